//! The DynamoDB sign-in adapters on moto join the users and sessions conformance suites (one
//! users table and one sessions table per run of this binary: the suites use their own
//! labelpartners and random ids), and what only they promise: the conditional writes and
//! transactions that stand in for the in-memory store's lock, the e-mail claim items, the TTL
//! attribute, and corrupt items read as errors. Those tests get tables of their own, so they can
//! count items. moto runs requests in threads without serialising them, so the 50-way race of
//! the memory and SQLite suites is shown here by explicit interleavings instead.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use token_service::domain::{RefreshToken, RefreshTokenRecord, SecretHash, Session, User};
use token_service::store::dynamodb::{DynamoDbSessionStore, DynamoDbUserStore};
use token_service::store::{SessionStore, StoreError, UserAccounts, UserStore};
use token_service::testing::conformance::SignInStoresUnderTest;
use token_service::testing::{cheap_hasher, started_session, unique_name, user};

use integration_tests::dynamodb::{SESSIONS_TTL_ATTRIBUTE, moto_dynamodb, moto_sign_in_stores};
use integration_tests::sent_requests::SentRequests;
use integration_tests::template::grant;

const LABELPARTNER: &str = "acme";
const CLIENT_ID: &str = "app-client";
const NOW: i64 = 1_700_000_000;

async fn shared_sign_in_tables() -> SignInStoresUnderTest {
    static TABLES: OnceLock<(String, String)> = OnceLock::new();
    let (users, sessions) = TABLES.get_or_init(|| (unique_name("users"), unique_name("sessions")));
    let (users, sessions) = moto_sign_in_stores(users, sessions).await;
    SignInStoresUnderTest::new(Arc::new(users), Arc::new(sessions))
}

token_service::user_store_conformance!(shared_sign_in_tables());
token_service::session_store_conformance!(shared_sign_in_tables());

/// Both stores on fresh tables, and the raw client and table names to look under them.
struct Tables {
    users: DynamoDbUserStore,
    sessions: DynamoDbSessionStore,
    raw: aws_sdk_dynamodb::Client,
    users_table: String,
    sessions_table: String,
}

async fn fresh_tables() -> Tables {
    let users_table = unique_name("users");
    let sessions_table = unique_name("sessions");
    let (users, sessions) = moto_sign_in_stores(&users_table, &sessions_table).await;
    Tables {
        users,
        sessions,
        raw: moto_dynamodb().await,
        users_table,
        sessions_table,
    }
}

impl Tables {
    /// Every item's `pk`, sorted.
    async fn keys(&self, table: &str) -> Vec<String> {
        let scan = self
            .raw
            .scan()
            .table_name(table)
            .consistent_read(true)
            .send()
            .await
            .expect("scan");
        let mut keys: Vec<String> = scan
            .items()
            .iter()
            .map(|item| item["pk"].as_s().expect("pk is a string").clone())
            .collect();
        keys.sort();
        keys
    }

    async fn item(&self, table: &str, pk: &str) -> Option<HashMap<String, AttributeValue>> {
        self.raw
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get_item")
            .item
    }

    async fn put_raw(&self, table: &str, item: &[(&str, AttributeValue)]) {
        let item = item
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.raw
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .expect("put_item");
    }

    /// A stored session of a new user, with its first token.
    async fn started(&self) -> (Session, RefreshTokenRecord, RefreshToken) {
        let owner = user(LABELPARTNER, "owner@example.org").build();
        let (session, first, token) = started_session(&owner, CLIENT_ID, &["profile"], NOW);
        self.sessions
            .create_session(&session, &first)
            .await
            .expect("create_session");
        (session, first, token)
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn next_token(session: &Session, now: i64) -> (RefreshTokenRecord, RefreshToken) {
    let token = RefreshToken::generate().expect("randomness");
    (session.record_for(&token, now), token)
}

fn token_pk(hash: &SecretHash) -> String {
    format!("token#{}", hash.to_hex())
}

/// The race rotation exists for: two refreshes read the same session, one rotates; the other's
/// conditional write finds the token no longer current and must store nothing.
#[tokio::test]
async fn a_stale_rotation_loses_to_the_competing_one_and_stores_nothing() {
    let t = fresh_tables().await;
    let (session, _, first) = t.started().await;
    let (_, seen) = t
        .sessions
        .find_token(&first.hash())
        .await
        .expect("find_token")
        .expect("the first token is stored");

    let (winner, winner_token) = next_token(&seen, NOW + 10);
    t.sessions
        .rotate(&seen.session_id, &first.hash(), &winner, NOW + 1000)
        .await
        .expect("the competing rotation wins");
    let (loser, loser_token) = next_token(&seen, NOW + 11);
    let stale = t
        .sessions
        .rotate(&seen.session_id, &first.hash(), &loser, NOW + 1001)
        .await;

    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(
        t.sessions.find_token(&loser_token.hash()).await.unwrap(),
        None
    );
    assert!(
        t.item(&t.sessions_table, &token_pk(&loser_token.hash()))
            .await
            .is_none(),
        "the loser's token item must not be written"
    );
    let (_, now_current) = t
        .sessions
        .find_token(&winner_token.hash())
        .await
        .unwrap()
        .expect("the winner's token is stored");
    assert!(now_current.is_current(&winner_token.hash()));
    assert_eq!(now_current.generation, 1);
    assert_eq!(now_current.current_token_expires_at, NOW + 1000);
    assert_eq!(now_current.session_id, session.session_id);
}

#[tokio::test]
async fn a_revoked_session_does_not_rotate() {
    let t = fresh_tables().await;
    let (session, _, first) = t.started().await;
    t.sessions
        .revoke_session(&session.session_id, NOW + 5)
        .await
        .expect("revoke");
    let (next, next_token) = next_token(&session, NOW + 6);
    let rotated = t
        .sessions
        .rotate(&session.session_id, &first.hash(), &next, NOW + 1000)
        .await;
    assert!(matches!(rotated, Err(StoreError::Conflict)), "{rotated:?}");
    assert_eq!(
        t.sessions.find_token(&next_token.hash()).await.unwrap(),
        None
    );
}

/// Reuse detection depends on it: a token that has been rotated away is still found, and leads
/// to its session, whose current token is another.
#[tokio::test]
async fn a_rotated_token_is_still_found_and_points_at_its_session() {
    let t = fresh_tables().await;
    let (session, first_record, first) = t.started().await;
    let (next, next_token) = next_token(&session, NOW + 10);
    t.sessions
        .rotate(&session.session_id, &first.hash(), &next, NOW + 1000)
        .await
        .expect("rotate");

    let (record, family) = t
        .sessions
        .find_token(&first.hash())
        .await
        .unwrap()
        .expect("the rotated token is still stored");
    assert_eq!(record, first_record);
    assert_eq!(family.session_id, session.session_id);
    assert!(!family.is_current(&first.hash()));
    assert!(family.is_current(&next_token.hash()));
}

/// DynamoDB deletes what the TTL attribute says has expired: every session and token item
/// carries it, set to the session's absolute end.
#[tokio::test]
async fn session_and_token_items_carry_the_ttl_attribute() {
    let t = fresh_tables().await;
    let (session, _, first) = t.started().await;
    let (next, next_token) = next_token(&session, NOW + 10);
    t.sessions
        .rotate(&session.session_id, &first.hash(), &next, NOW + 1000)
        .await
        .expect("rotate");

    let expected = AttributeValue::N(session.expires_at.to_string());
    for pk in [
        format!("session#{}", session.session_id),
        token_pk(&first.hash()),
        token_pk(&next_token.hash()),
    ] {
        let item = t
            .item(&t.sessions_table, &pk)
            .await
            .unwrap_or_else(|| panic!("{pk} is stored"));
        assert_eq!(item.get(SESSIONS_TTL_ATTRIBUTE), Some(&expected), "{pk}");
    }
}

/// An `UpdateItem` on a missing key creates the item; the adapter's conditions must not let
/// it.
#[tokio::test]
async fn revoking_an_unknown_session_creates_nothing() {
    let t = fresh_tables().await;
    t.sessions
        .revoke_session("no-such-session", NOW)
        .await
        .expect("revoking an unknown session is Ok");
    assert_eq!(t.keys(&t.sessions_table).await, Vec::<String>::new());

    let (session, first, _) = {
        let owner = user(LABELPARTNER, "owner@example.org").build();
        started_session(&owner, CLIENT_ID, &[], NOW)
    };
    let (next, _) = next_token(&session, NOW + 1);
    let rotated = t
        .sessions
        .rotate(&session.session_id, &first.token_hash, &next, NOW + 100)
        .await;
    assert!(matches!(rotated, Err(StoreError::Conflict)), "{rotated:?}");
    assert_eq!(t.keys(&t.sessions_table).await, Vec::<String>::new());
}

#[tokio::test]
async fn changes_to_an_unknown_user_are_not_found_and_create_nothing() {
    let t = fresh_tables().await;
    let ghost = user(LABELPARTNER, "ghost@example.org").build();
    let id = ghost.user_id.as_str();
    let hash = cheap_hasher().hash("another password").expect("hash");

    let outcomes = [
        t.users.record_login_failure(id, NOW).await.map(|_| ()),
        t.users.reset_login_failures(id).await,
        t.users
            .upgrade_password_hash(id, &ghost.password_hash, &hash)
            .await
            .map(|_| ()),
        t.users.set_password(id, &hash, NOW).await,
        t.users.set_enabled(id, false).await,
        t.users.set_enabled(id, true).await,
        t.users.revoke_sessions(id).await,
        t.users.unlock(id).await,
    ];
    for (i, outcome) in outcomes.iter().enumerate() {
        assert!(
            matches!(outcome, Err(StoreError::NotFound)),
            "#{i}: {outcome:?}"
        );
    }
    assert_eq!(t.keys(&t.users_table).await, Vec::<String>::new());
}

/// `ADD` is applied by DynamoDB, not read and written back: no concurrent failure is lost, and
/// each caller sees its own count.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn twenty_concurrent_login_failures_all_count() {
    let t = Arc::new(fresh_tables().await);
    let target = user(LABELPARTNER, "target@example.org").build();
    t.users.create_user(&target).await.expect("create_user");

    let failures: Vec<_> = (0..20)
        .map(|i| {
            let t = Arc::clone(&t);
            let id = target.user_id.clone();
            tokio::spawn(async move { t.users.record_login_failure(&id, NOW + i).await })
        })
        .collect();
    let mut counts = Vec::new();
    for failure in failures {
        counts.push(
            failure
                .await
                .expect("task")
                .expect("record_login_failure")
                .count,
        );
    }
    counts.sort();

    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
    let stored = t.users.get_user(&target.user_id).await.unwrap().unwrap();
    assert_eq!(stored.login_failures.count, 20);
}

#[tokio::test]
async fn an_email_is_unique_in_its_labelpartner_whatever_its_case() {
    let t = fresh_tables().await;
    let ann = user(LABELPARTNER, "Ann.Lee@Example.org").build();
    t.users.create_user(&ann).await.expect("create_user");

    let twin = user(LABELPARTNER, "ann.lee@EXAMPLE.ORG").build();
    let duplicate = t.users.create_user(&twin).await;
    assert!(
        matches!(duplicate, Err(StoreError::AlreadyExists)),
        "{duplicate:?}"
    );

    let elsewhere = user("other-lp", "ann.lee@example.org").build();
    t.users
        .create_user(&elsewhere)
        .await
        .expect("another labelpartner may have the address");
    let found = t
        .users
        .find_by_email(LABELPARTNER, "ann.lee@example.org")
        .await
        .unwrap()
        .expect("found by the normalized address");
    assert_eq!(found.user_id, ann.user_id);
    assert_eq!(
        found.email, "Ann.Lee@Example.org",
        "the address as given is kept"
    );
}

/// The user and its e-mail claim are one transaction: a taken e-mail writes no user, a taken
/// user_id writes no claim.
#[tokio::test]
async fn a_refused_user_leaves_no_orphan_item() {
    let t = fresh_tables().await;
    let ann = user(LABELPARTNER, "ann@example.org").build();
    t.users.create_user(&ann).await.expect("create_user");
    let stored = t.keys(&t.users_table).await;
    assert_eq!(
        stored,
        [
            format!("email#{LABELPARTNER}#ann@example.org"),
            format!("user#{}", ann.user_id),
        ]
    );

    let same_email = user(LABELPARTNER, "ANN@example.org").build();
    let same_id = user(LABELPARTNER, "bob@example.org")
        .user_id(&ann.user_id)
        .build();
    for refused in [same_email, same_id] {
        let outcome = t.users.create_user(&refused).await;
        assert!(
            matches!(outcome, Err(StoreError::AlreadyExists)),
            "{outcome:?}"
        );
        assert_eq!(t.keys(&t.users_table).await, stored);
    }
    assert_eq!(
        t.users
            .find_by_email(LABELPARTNER, "bob@example.org")
            .await
            .unwrap(),
        None
    );
}

/// The conditional re-hash tells "the password changed meanwhile" (`false`) from "no such
/// user" with one write, through the item a failed condition returns.
#[tokio::test]
async fn a_rehash_after_a_password_change_is_refused() {
    let t = fresh_tables().await;
    let ann = user(LABELPARTNER, "ann@example.org").build();
    t.users.create_user(&ann).await.expect("create_user");
    let changed = cheap_hasher().hash("a brand new password").expect("hash");
    t.users
        .set_password(&ann.user_id, &changed, NOW)
        .await
        .expect("set_password");

    let rehash = cheap_hasher().hash("correct horse battery").expect("hash");
    let upgraded = t
        .users
        .upgrade_password_hash(&ann.user_id, &ann.password_hash, &rehash)
        .await;
    assert!(matches!(upgraded, Ok(false)), "{upgraded:?}");
    let stored = t.users.get_user(&ann.user_id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, changed);
    assert_eq!(stored.session_epoch, 1);
}

/// Listing goes through the `by-labelpartner` index: a labelpartner's users only, by normalized
/// e-mail, and never an e-mail claim item.
#[tokio::test]
async fn users_are_listed_from_the_index_by_email() {
    let t = fresh_tables().await;
    for (lp, email) in [
        (LABELPARTNER, "carol@example.org"),
        (LABELPARTNER, "Alice@example.org"),
        ("other-lp", "bob@example.org"),
        (LABELPARTNER, "bob@example.org"),
    ] {
        t.users
            .create_user(&user(lp, email).build())
            .await
            .expect("create_user");
    }
    let listed: Vec<String> = t
        .users
        .list_users(LABELPARTNER)
        .await
        .expect("list_users")
        .into_iter()
        .map(|u: User| u.email)
        .collect();
    assert_eq!(
        listed,
        ["Alice@example.org", "bob@example.org", "carol@example.org"]
    );
}

/// Items a bug or a hand edit left incomplete are errors for the caller to fail closed on,
/// never a panic and never a half-read user or session.
#[tokio::test]
async fn corrupt_items_are_errors() {
    let t = fresh_tables().await;
    let id = "0123456789abcdef0123456789abcdef";
    t.put_raw(
        &t.users_table,
        &[
            ("pk", s(&format!("user#{id}"))),
            ("user_id", s(id)),
            ("labelpartner", s(LABELPARTNER)),
            ("email", s("ann@example.org")),
            ("email_normalized", s("ann@example.org")),
            ("password_hash", s("not a hash")),
            ("enabled", AttributeValue::Bool(true)),
            ("created_at", n(0)),
            ("password_changed_at", n(0)),
            ("session_epoch", n(0)),
            ("failed_logins", n(0)),
            ("last_failed_at", n(0)),
        ],
    )
    .await;
    let read = t.users.get_user(id).await;
    assert!(matches!(read, Err(StoreError::Backend(_))), "{read:?}");

    t.put_raw(
        &t.users_table,
        &[("pk", s(&format!("email#{LABELPARTNER}#bob@example.org")))],
    )
    .await;
    let found = t.users.find_by_email(LABELPARTNER, "bob@example.org").await;
    assert!(matches!(found, Err(StoreError::Backend(_))), "{found:?}");

    let token = RefreshToken::generate().expect("randomness");
    t.put_raw(
        &t.sessions_table,
        &[
            ("pk", s(&token_pk(&token.hash()))),
            ("session_id", s("s1")),
            ("issued_at", n(NOW)),
            ("expires_at", n(NOW + 100)),
        ],
    )
    .await;
    t.put_raw(
        &t.sessions_table,
        &[
            ("pk", s("session#s1")),
            ("session_id", s("s1")),
            ("user_id", s(id)),
            ("client_id", s(CLIENT_ID)),
            ("labelpartner", s(LABELPARTNER)),
            ("scopes", AttributeValue::L(vec![])),
            ("auth_time", n(NOW)),
            ("user_epoch", n(0)),
            ("created_at", n(NOW)),
            ("expires_at", n(NOW + 100)),
            ("current_token", s("zz-not-hex")),
            ("current_token_expires_at", n(NOW + 100)),
            ("generation", n(0)),
        ],
    )
    .await;
    let found = t.sessions.find_token(&token.hash()).await;
    assert!(matches!(found, Err(StoreError::Backend(_))), "{found:?}");
}

/// The user-token endpoint over the DynamoDB stores: a rotated refresh token that comes back
/// revokes its whole family, and the newest token with it.
#[tokio::test]
async fn on_dynamodb_reuse_of_a_rotated_token_revokes_the_family() {
    use token_service::keys::SigningAlgorithm;
    use token_service::testing::sign_in::{SignInWorld, cheap_sign_in_settings};

    let (clients, _) = integration_tests::dynamodb::moto_dynamodb_stores(
        &unique_name("clients"),
        &unique_name("api-keys"),
    )
    .await;
    let (users, sessions) =
        moto_sign_in_stores(&unique_name("users"), &unique_name("sessions")).await;
    let world = SignInWorld::with_stores(
        Arc::new(clients),
        Arc::new(users),
        Arc::new(sessions),
        cheap_sign_in_settings(),
        SigningAlgorithm::ES256,
    )
    .await;
    let refresh_token =
        |body: &serde_json::Value| body["refresh_token"].as_str().unwrap().to_string();
    let first = refresh_token(&world.sign_in().await);
    let rotated = world.refresh(&first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = refresh_token(&serde_json::from_str(&rotated.body).unwrap());

    assert_eq!(
        world.refresh(&first).await.status,
        400,
        "the rotated token is spent"
    );
    let newest = world.refresh(&second).await;
    assert_eq!(newest.status, 400, "the family is revoked: {}", newest.body);
    let (_, session) = world
        .sessions
        .find_token(&token_service::domain::hash_secret(&second))
        .await
        .unwrap()
        .unwrap();
    assert!(session.revoked_at.is_some());
}

/// Finding 6: every write of the user-token function's users port ([`UserAccounts`]) stays
/// inside the template's IAM conditions on the users table (moto does not enforce them; AWS
/// would deny the request, and a sign-in would fail).
#[tokio::test]
async fn the_user_token_functions_updates_stay_inside_its_iam_conditions() {
    let t = fresh_tables().await;
    let ann = user(LABELPARTNER, "ann@example.org").build();
    t.users.create_user(&ann).await.expect("create_user");
    let sent = SentRequests::default();
    let logged = DynamoDbUserStore::new(sent.dynamodb_client().await, &t.users_table);
    let accounts: &dyn UserAccounts = &logged;

    accounts
        .record_login_failure(&ann.user_id, NOW)
        .await
        .expect("record_login_failure");
    accounts
        .reset_login_failures(&ann.user_id)
        .await
        .expect("reset_login_failures");
    let rehash = cheap_hasher().hash("correct horse battery").expect("hash");
    for expected in [true, false] {
        let upgraded = accounts
            .upgrade_password_hash(&ann.user_id, &ann.password_hash, &rehash)
            .await;
        assert_eq!(upgraded.expect("upgrade_password_hash"), expected);
    }

    let users_grant = grant(
        "UserTokenFunction",
        "dynamodb:UpdateItem",
        "GetAtt UsersTable.Arn",
    );
    let updates = sent.updates();
    assert_eq!(updates.len(), 4, "{updates:?}");
    for update in &updates {
        update.assert_allowed_by(&users_grant);
    }
}
