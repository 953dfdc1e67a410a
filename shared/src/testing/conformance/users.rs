//! The [`UserStore`] suite, and with it [`UserAccounts`]: creating and finding users, the
//! uniqueness of e-mails per labelpartner, the failed-login counter and every action that ends
//! a user's sessions. Each behaviour creates its users in a labelpartner of its own (from
//! [`unique_name`]) with random user ids, so the tests may share one store or table; they assert
//! the stored state through the port itself.

use std::sync::Arc;

use super::SignInStoresUnderTest;
use crate::domain::user::{new_user_id, normalize_email};
use crate::domain::{LoginFailures, PasswordHash, User};
use crate::store::{StoreError, UserStore};
use crate::testing::{cheap_hasher, unique_name, user};

/// Expands into a module `user_store_conformance` with one test per behaviour of the
/// [`UserStore`] port; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! user_store_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(user_store_conformance, users: SignInStoresUnderTest, $make;
            create_then_get_and_find_by_email_return_the_user_as_created,
            get_and_find_of_an_unknown_user_are_none,
            find_by_email_ignores_the_case_the_address_was_given_in,
            the_same_email_in_two_labelpartners_is_two_users_and_find_never_crosses_them,
            a_second_user_with_the_same_email_in_any_case_is_already_exists_and_not_written,
            a_second_user_with_the_same_user_id_is_already_exists_and_keeps_the_first,
            an_invalid_user_is_refused_and_nothing_is_written,
            list_users_is_sorted_by_normalized_email_and_only_that_labelpartner,
            record_login_failure_counts_and_stamps_each_failure,
            concurrent_login_failures_all_count,
            reset_login_failures_clears_the_count,
            upgrade_password_hash_replaces_the_hash_only_while_it_is_current,
            a_password_set_meanwhile_wins_over_an_upgrade,
            set_password_sets_hash_and_time_resets_failures_and_ends_sessions,
            disabling_ends_sessions_and_enabling_does_not,
            revoke_sessions_ends_sessions_and_clears_a_lockout,
            unlock_clears_the_failures_and_nothing_else,
            every_mutation_of_an_unknown_user_is_not_found,
            revoke_tokens_sets_a_cut_off_that_never_moves_back_and_nothing_else,
        );
    };
}

/// A labelpartner no other test uses.
fn labelpartner() -> String {
    unique_name("lp")
}

/// A user whose every field is away from the builder's defaults: disabled, a changed password,
/// sessions ended twice, three failures. A store that drops or mixes up a column fails on it.
pub fn well_used_user(labelpartner: &str, email: &str) -> User {
    let mut user = user(labelpartner, email)
        .password("a changed password")
        .disabled()
        .build();
    user.created_at = 1_763_900_000;
    user.password_changed_at = 1_763_950_000;
    user.session_epoch = 2;
    user.login_failures = LoginFailures {
        count: 3,
        last_failed_at: 1_763_990_000,
    };
    user
}

async fn create(users: &dyn UserStore, user: &User) {
    users
        .create_user(user)
        .await
        .unwrap_or_else(|e| panic!("create_user({}) failed: {e}", user.user_id));
}

/// Creates a user of the builder's defaults.
async fn created(users: &dyn UserStore, labelpartner: &str, email: &str) -> User {
    let user = user(labelpartner, email).build();
    create(users, &user).await;
    user
}

async fn stored(users: &dyn UserStore, user_id: &str) -> User {
    users
        .get_user(user_id)
        .await
        .unwrap_or_else(|e| panic!("get_user({user_id}) failed: {e}"))
        .unwrap_or_else(|| panic!("user {user_id} is not stored"))
}

async fn found(users: &dyn UserStore, labelpartner: &str, email: &str) -> Option<User> {
    users
        .find_by_email(labelpartner, &normalize_email(email))
        .await
        .unwrap_or_else(|e| panic!("find_by_email({labelpartner}, {email}) failed: {e}"))
}

async fn listed(users: &dyn UserStore, labelpartner: &str) -> Vec<User> {
    users
        .list_users(labelpartner)
        .await
        .unwrap_or_else(|e| panic!("list_users({labelpartner}) failed: {e}"))
}

fn another_hash(password: &str) -> PasswordHash {
    cheap_hasher().hash(password).expect("hashing a password")
}

fn assert_already_exists(result: Result<(), StoreError>) {
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
}

pub async fn create_then_get_and_find_by_email_return_the_user_as_created(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    let ann = well_used_user(&lp, "Ann.Lee@Example.org");
    create(users, &ann).await;
    assert_eq!(stored(users, &ann.user_id).await, ann);
    assert_eq!(found(users, &lp, "Ann.Lee@Example.org").await, Some(ann));
}

pub async fn get_and_find_of_an_unknown_user_are_none(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    created(users, &lp, "ann@example.org").await;
    let unknown = new_user_id().expect("randomness");
    assert_eq!(users.get_user(&unknown).await.expect("get_user"), None);
    assert_eq!(found(users, &lp, "bob@example.org").await, None);
}

/// The address is kept as given, for display; lookups see it normalized.
pub async fn find_by_email_ignores_the_case_the_address_was_given_in(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    let ann = created(users, &lp, "Ann.Lee@Example.ORG").await;
    for typed in [
        "ann.lee@example.org",
        "ANN.LEE@EXAMPLE.ORG",
        " Ann.Lee@example.org ",
    ] {
        assert_eq!(found(users, &lp, typed).await, Some(ann.clone()), "{typed}");
    }
    assert_eq!(
        stored(users, &ann.user_id).await.email,
        "Ann.Lee@Example.ORG"
    );
}

pub async fn the_same_email_in_two_labelpartners_is_two_users_and_find_never_crosses_them(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let (first_lp, second_lp, third_lp) = (labelpartner(), labelpartner(), labelpartner());
    let first = created(users, &first_lp, "ann@example.org").await;
    let second = created(users, &second_lp, "Ann@Example.org").await;
    assert_ne!(first.user_id, second.user_id);
    assert_eq!(
        found(users, &first_lp, "ann@example.org").await,
        Some(first)
    );
    assert_eq!(
        found(users, &second_lp, "ann@example.org").await,
        Some(second)
    );
    assert_eq!(found(users, &third_lp, "ann@example.org").await, None);
}

pub async fn a_second_user_with_the_same_email_in_any_case_is_already_exists_and_not_written(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    let first = created(users, &lp, "ann@example.org").await;
    let impostor = user(&lp, "ANN@example.org")
        .password("the impostor's password")
        .build();
    assert_already_exists(users.create_user(&impostor).await);
    assert_eq!(users.get_user(&impostor.user_id).await.expect("get"), None);
    assert_eq!(
        found(users, &lp, "ann@example.org").await,
        Some(first.clone())
    );
    assert_eq!(listed(users, &lp).await, vec![first]);
}

pub async fn a_second_user_with_the_same_user_id_is_already_exists_and_keeps_the_first(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    let first = created(users, &lp, "ann@example.org").await;
    // Another address and another labelpartner: only the id collides.
    let other_lp = labelpartner();
    let impostor = user(&other_lp, "bob@example.org")
        .user_id(&first.user_id)
        .build();
    assert_already_exists(users.create_user(&impostor).await);
    assert_eq!(stored(users, &first.user_id).await, first);
    assert_eq!(found(users, &other_lp, "bob@example.org").await, None);
    assert!(listed(users, &other_lp).await.is_empty());
}

pub async fn an_invalid_user_is_refused_and_nothing_is_written(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let lp = labelpartner();
    let mut no_email = user(&lp, "ann@example.org").build();
    no_email.email = "ann at example.org".into();
    let bad_id = user(&lp, "bob@example.org")
        .user_id("Not-A-User-Id")
        .build();
    let mut bad_labelpartner = user(&lp, "carol@example.org").build();
    bad_labelpartner.labelpartner = "lp with spaces".into();
    for invalid in [&no_email, &bad_id, &bad_labelpartner] {
        let result = users.create_user(invalid).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "expected Invalid for {invalid:?}, got {result:?}"
        );
        assert_eq!(users.get_user(&invalid.user_id).await.expect("get"), None);
    }
    assert!(listed(users, &lp).await.is_empty());
    assert!(listed(users, "lp with spaces").await.is_empty());
}

pub async fn list_users_is_sorted_by_normalized_email_and_only_that_labelpartner(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let (lp, other_lp) = (labelpartner(), labelpartner());
    // Created out of order, and cased so that sorting the addresses as given would put
    // "Alice" and "Carol" before "bob".
    let bob = created(users, &lp, "bob@example.org").await;
    let carol = created(users, &lp, "Carol@example.org").await;
    let alice = created(users, &lp, "Alice@example.org").await;
    created(users, &other_lp, "aaron@example.org").await;
    assert_eq!(listed(users, &lp).await, vec![alice, bob, carol]);
    assert!(listed(users, &labelpartner()).await.is_empty());
}

pub async fn record_login_failure_counts_and_stamps_each_failure(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = created(users, &labelpartner(), "ann@example.org").await;
    for (count, now) in [(1, 1_000), (2, 1_005), (3, 1_030)] {
        let failures = users
            .record_login_failure(&ann.user_id, now)
            .await
            .expect("record_login_failure");
        let expected = LoginFailures {
            count,
            last_failed_at: now,
        };
        assert_eq!(failures, expected);
        assert_eq!(stored(users, &ann.user_id).await.login_failures, expected);
    }
    let counted = stored(users, &ann.user_id).await;
    assert_eq!(
        User {
            login_failures: LoginFailures::default(),
            ..counted
        },
        ann,
        "only the failures changed"
    );
}

/// Twenty wrong passwords at once are twenty failures: no read-modify-write loses one, and
/// each caller sees a count of its own.
pub async fn concurrent_login_failures_all_count(stores: &SignInStoresUnderTest) {
    let ann = created(stores.users().as_ref(), &labelpartner(), "ann@example.org").await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..20 {
        let users = Arc::clone(stores.users());
        let user_id = ann.user_id.clone();
        attempts.spawn(async move { users.record_login_failure(&user_id, 2_000 + i).await });
    }
    let mut counts: Vec<u32> = attempts
        .join_all()
        .await
        .into_iter()
        .map(|failures| failures.expect("record_login_failure").count)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
    assert_eq!(
        stored(stores.users().as_ref(), &ann.user_id)
            .await
            .login_failures
            .count,
        20
    );
}

pub async fn reset_login_failures_clears_the_count(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = created(users, &labelpartner(), "ann@example.org").await;
    for now in [1_000, 1_001] {
        users
            .record_login_failure(&ann.user_id, now)
            .await
            .expect("record_login_failure");
    }
    users
        .reset_login_failures(&ann.user_id)
        .await
        .expect("reset_login_failures");
    assert_eq!(stored(users, &ann.user_id).await, ann);
}

pub async fn upgrade_password_hash_replaces_the_hash_only_while_it_is_current(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let ann = created(users, &labelpartner(), "ann@example.org").await;
    let upgraded = another_hash("correct horse battery");
    let replaced = users
        .upgrade_password_hash(&ann.user_id, &ann.password_hash, &upgraded)
        .await
        .expect("upgrade_password_hash");
    assert!(replaced);
    let after = stored(users, &ann.user_id).await;
    assert_eq!(
        after,
        User {
            password_hash: upgraded.clone(),
            ..ann.clone()
        },
        "only the hash changed: the epoch and password_changed_at stay"
    );

    // A second sign-in that read the old hash does not undo the first one's upgrade.
    let stale = another_hash("correct horse battery");
    let replaced = users
        .upgrade_password_hash(&ann.user_id, &ann.password_hash, &stale)
        .await
        .expect("upgrade_password_hash");
    assert!(!replaced);
    assert_eq!(stored(users, &ann.user_id).await, after);
}

pub async fn a_password_set_meanwhile_wins_over_an_upgrade(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = created(users, &labelpartner(), "ann@example.org").await;
    let reset = another_hash("the new password");
    users
        .set_password(&ann.user_id, &reset, 5_000)
        .await
        .expect("set_password");
    let replaced = users
        .upgrade_password_hash(
            &ann.user_id,
            &ann.password_hash,
            &another_hash("correct horse battery"),
        )
        .await
        .expect("upgrade_password_hash");
    assert!(!replaced);
    assert_eq!(stored(users, &ann.user_id).await.password_hash, reset);
}

pub async fn set_password_sets_hash_and_time_resets_failures_and_ends_sessions(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let ann = well_used_user(&labelpartner(), "ann@example.org");
    create(users, &ann).await;
    let hash = another_hash("the new password");
    users
        .set_password(&ann.user_id, &hash, 1_764_000_000)
        .await
        .expect("set_password");
    assert_eq!(
        stored(users, &ann.user_id).await,
        User {
            password_hash: hash,
            password_changed_at: 1_764_000_000,
            login_failures: LoginFailures::default(),
            session_epoch: ann.session_epoch + 1,
            ..ann
        }
    );
}

pub async fn disabling_ends_sessions_and_enabling_does_not(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = created(users, &labelpartner(), "ann@example.org").await;
    users
        .set_enabled(&ann.user_id, false)
        .await
        .expect("disable");
    let disabled = User {
        enabled: false,
        session_epoch: ann.session_epoch + 1,
        ..ann.clone()
    };
    assert_eq!(stored(users, &ann.user_id).await, disabled);

    users.set_enabled(&ann.user_id, true).await.expect("enable");
    assert_eq!(
        stored(users, &ann.user_id).await,
        User {
            enabled: true,
            ..disabled
        },
        "enabling keeps the epoch: the sessions it ended stay ended"
    );
}

pub async fn revoke_sessions_ends_sessions_and_clears_a_lockout(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = well_used_user(&labelpartner(), "ann@example.org");
    create(users, &ann).await;
    users
        .revoke_sessions(&ann.user_id)
        .await
        .expect("revoke_sessions");
    assert_eq!(
        stored(users, &ann.user_id).await,
        User {
            session_epoch: ann.session_epoch + 1,
            login_failures: LoginFailures::default(),
            ..ann
        }
    );
}

pub async fn unlock_clears_the_failures_and_nothing_else(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let ann = well_used_user(&labelpartner(), "ann@example.org");
    create(users, &ann).await;
    users.unlock(&ann.user_id).await.expect("unlock");
    assert_eq!(
        stored(users, &ann.user_id).await,
        User {
            login_failures: LoginFailures::default(),
            ..ann
        }
    );
}

pub async fn every_mutation_of_an_unknown_user_is_not_found(stores: &SignInStoresUnderTest) {
    let users = stores.users().as_ref();
    let id = new_user_id().expect("randomness");
    let hash = another_hash("correct horse battery");
    let results = [
        (
            "record_login_failure",
            users.record_login_failure(&id, 1).await.map(drop),
        ),
        (
            "reset_login_failures",
            users.reset_login_failures(&id).await,
        ),
        (
            "upgrade_password_hash",
            users
                .upgrade_password_hash(&id, &hash, &hash)
                .await
                .map(drop),
        ),
        ("set_password", users.set_password(&id, &hash, 1).await),
        ("set_enabled(false)", users.set_enabled(&id, false).await),
        ("set_enabled(true)", users.set_enabled(&id, true).await),
        ("revoke_sessions", users.revoke_sessions(&id).await),
        ("unlock", users.unlock(&id).await),
        ("revoke_tokens", users.revoke_tokens(&id, 1).await.map(drop)),
    ];
    for (mutation, result) in results {
        assert!(
            matches!(result, Err(StoreError::NotFound)),
            "{mutation}: expected NotFound, got {result:?}"
        );
    }
    assert_eq!(users.get_user(&id).await.expect("get_user"), None);
}

pub async fn revoke_tokens_sets_a_cut_off_that_never_moves_back_and_nothing_else(
    stores: &SignInStoresUnderTest,
) {
    let users = stores.users().as_ref();
    let ann = well_used_user(&labelpartner(), "ann@example.org");
    create(users, &ann).await;
    assert_eq!(ann.tokens_not_before, None);
    assert_eq!(
        users.revoke_tokens(&ann.user_id, 1_000).await.unwrap(),
        1_000
    );
    let revoked = User {
        tokens_not_before: Some(1_000),
        ..ann.clone()
    };
    assert_eq!(stored(users, &ann.user_id).await, revoked);
    assert_eq!(
        users.revoke_tokens(&ann.user_id, 999).await.unwrap(),
        1_000,
        "an earlier clock does not move the cut-off back"
    );
    assert_eq!(stored(users, &ann.user_id).await, revoked);
    users.set_enabled(&ann.user_id, false).await.unwrap();
    assert_eq!(
        stored(users, &ann.user_id).await.tokens_not_before,
        Some(1_000),
        "other writes keep the cut-off"
    );
    assert_eq!(
        users.revoke_tokens(&ann.user_id, 2_000).await.unwrap(),
        2_000
    );
    assert_eq!(
        stored(users, &ann.user_id).await.tokens_not_before,
        Some(2_000)
    );
}
