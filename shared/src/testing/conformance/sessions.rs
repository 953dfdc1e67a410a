//! The [`SessionStore`] suite: storing a session with its first refresh token, finding a token
//! with its session, rotation as a conditional write, and revocation. Session ids and tokens are
//! random, so the tests may share one store or table; they assert the stored state through the
//! port itself, since [`SessionStore::find_token`] is how a refresh sees it.
//!
//! [`session_store_race_conformance!`](crate::session_store_race_conformance) is the separate
//! race: many rotations of one token at once, on a multi-threaded runtime.

use super::SignInStoresUnderTest;
use crate::domain::{RefreshToken, RefreshTokenRecord, SecretHash, Session, SessionPolicy};
use crate::store::{SessionStore, StoreError};
use crate::testing::{started_session, unique_name, user};

/// Expands into a module `session_store_conformance` with one test per behaviour of the
/// [`SessionStore`] port; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! session_store_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(
            session_store_conformance, sessions: SignInStoresUnderTest, $make;
            create_then_find_token_returns_the_record_and_the_session_as_stored,
            find_token_of_an_unknown_hash_is_none,
            rotate_makes_the_next_token_current_and_keeps_the_old_one_findable,
            a_stale_rotation_after_a_competing_one_is_conflict_and_stores_nothing,
            rotate_of_a_revoked_session_is_conflict_and_stores_nothing,
            rotate_of_an_unknown_session_is_conflict_and_stores_nothing,
            rotate_to_an_already_stored_token_fails_and_changes_nothing,
            revoke_session_is_idempotent_and_keeps_the_first_time,
            revoke_of_an_unknown_session_is_ok,
            create_with_an_existing_session_id_is_already_exists_and_writes_nothing,
        );
    };
}

/// Expands into a module `session_store_race_conformance` with one test on a multi-threaded
/// runtime: fifty rotations of one token at once, exactly one of which may win. For the
/// adapters whose atomicity is their own code (memory, SQLite); see
/// [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! session_store_race_conformance {
    ($make:expr) => {
        mod session_store_race_conformance {
            #[allow(unused_imports)]
            use super::*;

            use $crate::testing::conformance::{SignInStoresUnderTest, sessions};

            #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
            async fn of_fifty_concurrent_rotations_of_one_token_exactly_one_wins() {
                let under_test: SignInStoresUnderTest = $make.await;
                sessions::of_fifty_concurrent_rotations_of_one_token_exactly_one_wins(&under_test)
                    .await;
            }
        }
    };
}

/// When the sessions of these tests start: a realistic clock, so expiries are realistic too.
const SIGNED_IN_AT: i64 = 1_764_000_000;

/// A session of a fresh user, stored with its first token, which is returned in clear.
/// Scopes and a non-zero epoch make every field worth comparing.
async fn stored_session(
    sessions: &dyn SessionStore,
) -> (Session, RefreshTokenRecord, RefreshToken) {
    let mut ann = user(&unique_name("lp"), "ann@example.org").build();
    ann.session_epoch = 3;
    let (session, first, token) = started_session(
        &ann,
        "mobile-app",
        &["profile", "orders:read"],
        SIGNED_IN_AT,
    );
    sessions
        .create_session(&session, &first)
        .await
        .unwrap_or_else(|e| panic!("create_session failed: {e}"));
    (session, first, token)
}

/// A next token for `session` issued at `now`: its record, and the expiry a rotation gives it.
fn next_token(session: &Session, now: i64) -> (RefreshTokenRecord, i64) {
    let token = RefreshToken::generate().expect("randomness");
    (
        session.record_for(&token, now),
        session.next_token_expiry(&SessionPolicy::default(), now),
    )
}

async fn found(
    sessions: &dyn SessionStore,
    hash: &SecretHash,
) -> Option<(RefreshTokenRecord, Session)> {
    sessions
        .find_token(hash)
        .await
        .unwrap_or_else(|e| panic!("find_token failed: {e}"))
}

/// The session as the store holds it now, read through one of its tokens.
async fn session_via(sessions: &dyn SessionStore, hash: &SecretHash) -> Session {
    found(sessions, hash).await.expect("the token is stored").1
}

fn assert_conflict(result: Result<(), StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "expected Conflict, got {result:?}"
    );
}

pub async fn create_then_find_token_returns_the_record_and_the_session_as_stored(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, first, token) = stored_session(sessions).await;
    assert_eq!(
        found(sessions, &token.hash()).await,
        Some((first, session.clone()))
    );
    assert!(session.is_current(&token.hash()));
}

pub async fn find_token_of_an_unknown_hash_is_none(stores: &SignInStoresUnderTest) {
    let sessions = stores.sessions().as_ref();
    stored_session(sessions).await;
    let unknown = RefreshToken::generate().expect("randomness").hash();
    assert_eq!(found(sessions, &unknown).await, None);
}

/// The rotated token stays findable, pointing at its session but no longer current: that is
/// how a refresh recognises a token that comes back as reuse.
pub async fn rotate_makes_the_next_token_current_and_keeps_the_old_one_findable(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, first, token) = stored_session(sessions).await;
    let (next, next_expires_at) = next_token(&session, SIGNED_IN_AT + 60);
    sessions
        .rotate(&session.session_id, &token.hash(), &next, next_expires_at)
        .await
        .expect("rotate");

    let rotated = Session {
        current_token: next.token_hash,
        current_token_expires_at: next_expires_at,
        generation: 1,
        ..session.clone()
    };
    assert_eq!(
        found(sessions, &next.token_hash).await,
        Some((next.clone(), rotated.clone()))
    );
    let (old_record, old_session) = found(sessions, &token.hash())
        .await
        .expect("the rotated token is still stored");
    assert_eq!(old_record, first);
    assert_eq!(old_session, rotated);
    assert!(!old_session.is_current(&token.hash()));

    // The next token rotates in turn.
    let (third, third_expires_at) = next_token(&session, SIGNED_IN_AT + 120);
    sessions
        .rotate(
            &session.session_id,
            &next.token_hash,
            &third,
            third_expires_at,
        )
        .await
        .expect("second rotate");
    let twice = session_via(sessions, &token.hash()).await;
    assert_eq!(
        (twice.generation, twice.current_token),
        (2, third.token_hash)
    );
}

/// The interleaving a refresh must survive: it reads the session, a competing refresh of the
/// same token rotates first, then its own rotation finds the token no longer current.
pub async fn a_stale_rotation_after_a_competing_one_is_conflict_and_stores_nothing(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (_, _, token) = stored_session(sessions).await;
    let (_, read) = found(sessions, &token.hash()).await.expect("stored");

    let (winner, winner_expires_at) = next_token(&read, SIGNED_IN_AT + 60);
    sessions
        .rotate(&read.session_id, &token.hash(), &winner, winner_expires_at)
        .await
        .expect("the competing rotate");

    let (stale, stale_expires_at) = next_token(&read, SIGNED_IN_AT + 61);
    assert_conflict(
        sessions
            .rotate(&read.session_id, &token.hash(), &stale, stale_expires_at)
            .await,
    );
    assert_eq!(found(sessions, &stale.token_hash).await, None);
    let now = session_via(sessions, &token.hash()).await;
    assert_eq!(
        (
            now.generation,
            now.current_token,
            now.current_token_expires_at
        ),
        (1, winner.token_hash, winner_expires_at)
    );
}

pub async fn rotate_of_a_revoked_session_is_conflict_and_stores_nothing(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, _, token) = stored_session(sessions).await;
    sessions
        .revoke_session(&session.session_id, SIGNED_IN_AT + 30)
        .await
        .expect("revoke_session");
    let (next, next_expires_at) = next_token(&session, SIGNED_IN_AT + 60);
    assert_conflict(
        sessions
            .rotate(&session.session_id, &token.hash(), &next, next_expires_at)
            .await,
    );
    assert_eq!(found(sessions, &next.token_hash).await, None);
    assert_eq!(
        session_via(sessions, &token.hash()).await,
        Session {
            revoked_at: Some(SIGNED_IN_AT + 30),
            ..session
        }
    );
}

pub async fn rotate_of_an_unknown_session_is_conflict_and_stores_nothing(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, _, token) = stored_session(sessions).await;
    let ghost = Session {
        session_id: unique_name("no-such-session"),
        ..session
    };
    let (next, next_expires_at) = next_token(&ghost, SIGNED_IN_AT + 60);
    assert_conflict(
        sessions
            .rotate(&ghost.session_id, &token.hash(), &next, next_expires_at)
            .await,
    );
    assert_eq!(found(sessions, &next.token_hash).await, None);
}

/// All or nothing: when the next token cannot be stored, the session does not move to it.
pub async fn rotate_to_an_already_stored_token_fails_and_changes_nothing(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, _, token) = stored_session(sessions).await;
    let (_, other_first, _) = stored_session(sessions).await;
    let taken = RefreshTokenRecord {
        session_id: session.session_id.clone(),
        ..other_first.clone()
    };
    let result = sessions
        .rotate(
            &session.session_id,
            &token.hash(),
            &taken,
            SIGNED_IN_AT + 60,
        )
        .await;
    assert!(result.is_err(), "rotated to a token already stored");
    assert_eq!(session_via(sessions, &token.hash()).await, session);
    assert_eq!(
        found(sessions, &other_first.token_hash)
            .await
            .map(|(r, _)| r),
        Some(other_first)
    );
}

pub async fn revoke_session_is_idempotent_and_keeps_the_first_time(stores: &SignInStoresUnderTest) {
    let sessions = stores.sessions().as_ref();
    let (session, _, token) = stored_session(sessions).await;
    for now in [SIGNED_IN_AT + 30, SIGNED_IN_AT + 90] {
        sessions
            .revoke_session(&session.session_id, now)
            .await
            .expect("revoke_session");
    }
    assert_eq!(
        session_via(sessions, &token.hash()).await,
        Session {
            revoked_at: Some(SIGNED_IN_AT + 30),
            ..session
        }
    );
}

pub async fn revoke_of_an_unknown_session_is_ok(stores: &SignInStoresUnderTest) {
    let sessions = stores.sessions().as_ref();
    let unknown = unique_name("no-such-session");
    sessions
        .revoke_session(&unknown, SIGNED_IN_AT)
        .await
        .expect("revoking an unknown session");
}

pub async fn create_with_an_existing_session_id_is_already_exists_and_writes_nothing(
    stores: &SignInStoresUnderTest,
) {
    let sessions = stores.sessions().as_ref();
    let (session, first, token) = stored_session(sessions).await;
    let mut bob = user(&unique_name("lp"), "bob@example.org").build();
    bob.session_epoch = 7;
    let (other, other_first, other_token) =
        started_session(&bob, "web-app", &["admin"], SIGNED_IN_AT + 5);
    let impostor = Session {
        session_id: session.session_id.clone(),
        ..other
    };
    let impostor_first = RefreshTokenRecord {
        session_id: session.session_id.clone(),
        ..other_first
    };
    let result = sessions.create_session(&impostor, &impostor_first).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
    assert_eq!(found(sessions, &other_token.hash()).await, None);
    assert_eq!(found(sessions, &token.hash()).await, Some((first, session)));
}

/// Fifty refreshes with one token at once (a client retrying in a loop, or an attacker racing
/// the user): exactly one rotation is stored, every other is a Conflict that wrote nothing.
pub async fn of_fifty_concurrent_rotations_of_one_token_exactly_one_wins(
    stores: &SignInStoresUnderTest,
) {
    let (session, _, token) = stored_session(stores.sessions().as_ref()).await;
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..50 {
        let sessions = std::sync::Arc::clone(stores.sessions());
        let session = session.clone();
        let presented = token.hash();
        racers.spawn(async move {
            let (next, next_expires_at) = next_token(&session, SIGNED_IN_AT + i);
            let result = sessions
                .rotate(&session.session_id, &presented, &next, next_expires_at)
                .await;
            (next, result)
        });
    }
    let outcomes = racers.join_all().await;
    let winners: Vec<&RefreshTokenRecord> = outcomes
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(next, _)| next)
        .collect();
    let conflicts = outcomes
        .iter()
        .filter(|(_, result)| matches!(result, Err(StoreError::Conflict)))
        .count();
    assert_eq!((winners.len(), conflicts), (1, 49), "{outcomes:?}");

    let sessions = stores.sessions().as_ref();
    let now = session_via(sessions, &token.hash()).await;
    assert_eq!(
        (now.generation, now.current_token),
        (1, winners[0].token_hash)
    );
    for (next, result) in &outcomes {
        let stored = found(sessions, &next.token_hash).await.is_some();
        assert_eq!(stored, result.is_ok(), "a losing rotation stored its token");
    }
}
