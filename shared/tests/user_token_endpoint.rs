//! `POST /v2/token` (password and refresh_token grants) and `POST /v2/revoke` driven through the
//! endpoint's plain-Rust interface over in-memory stores (and SQLite for the refresh race): one
//! test per rule of end-user sign-in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::sync::Arc;

use token_service::admin::clients::NewClient;
use token_service::config::SignInSettings;
use token_service::domain::time::now_unix;
use token_service::domain::{AccessLevel, Argon2Params, GrantType, hash_secret};
use token_service::http::HttpResponse;
use token_service::keys::SigningAlgorithm;
use token_service::store::UserAccounts;
use token_service::store::sqlite::SqliteStore;
use token_service::testing::sign_in::{
    APP_SCOPES, SIGN_IN_AUDIENCE, SIGN_IN_ISSUER, SignInWorld, app_client, cheap_sign_in_settings,
    credentials_of,
};
use token_service::testing::{DEFAULT_PASSWORD, TokenForm, cheap_argon2, cheap_hasher, user};
use token_service::tokens::{AccessTokenVerifier, IdTokenClaims, VerifyError};

fn json(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body).expect("a JSON body")
}

fn assert_error(response: &HttpResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(json(response)["error"], code, "{}", response.body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

fn refresh_token_of(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn verifier() -> AccessTokenVerifier {
    AccessTokenVerifier::new(SIGN_IN_ISSUER, SIGN_IN_AUDIENCE, 0)
}

#[tokio::test]
async fn the_password_grant_answers_exactly_the_reference_shape() {
    let world = SignInWorld::new().await;
    let response = world
        .post_password_grant("ann@example.org", DEFAULT_PASSWORD)
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    let body = json(&response);
    let fields = [
        "access_token",
        "refresh_token",
        "id_token",
        "expires_in",
        "token_type",
        "scope",
    ];
    assert_eq!(
        body.as_object().unwrap().len(),
        fields.len(),
        "{}",
        response.body
    );
    let positions: Vec<usize> = fields
        .iter()
        .map(|field| response.body.find(&format!("\"{field}\":")).expect(field))
        .collect();
    assert!(
        positions.is_sorted(),
        "the fields of ce-api-token, in its order: {}",
        response.body
    );
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], serde_json::json!(APP_SCOPES));
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(refresh_token_of(&body))
            .unwrap()
            .len(),
        32
    );
}

#[tokio::test]
async fn scope_is_an_empty_array_when_none_is_granted() {
    let world = SignInWorld::new().await;
    let plain = app_client(world.clients.as_ref(), NewClient::labelpartner("lp-1")).await;
    let response = world
        .post_token(&credentials_of(&plain).password_grant("ann@example.org", DEFAULT_PASSWORD))
        .await;
    assert_eq!(json(&response)["scope"], serde_json::json!([]));
}

#[tokio::test]
async fn the_access_token_names_the_user_and_the_id_token_cannot_pass_as_one() {
    let world = SignInWorld::new().await;
    let before = now_unix();
    let body = world.sign_in().await;
    let keys = world.keys.current().await.unwrap();

    let access = verifier()
        .verify(&keys, body["access_token"].as_str().unwrap())
        .expect("a valid access token");
    assert_eq!(access.sub, world.ann.user_id);
    assert_eq!(access.client_id, world.app.client.client_id);
    assert_eq!(access.access_level, AccessLevel::User);
    assert_eq!(access.labelpartner.as_deref(), Some("lp-1"));
    assert_eq!(access.scope.as_deref(), Some("profile devices:read"));
    assert_eq!(access.exp - access.iat, 3600);

    let id_token = body["id_token"].as_str().unwrap();
    let header = jwt_part(id_token, 0);
    assert_eq!(header["typ"], "JWT");
    let id: IdTokenClaims = serde_json::from_value(jwt_part(id_token, 1)).unwrap();
    assert_eq!(id.iss, SIGN_IN_ISSUER);
    assert_eq!(id.sub, world.ann.user_id);
    assert_eq!(id.aud, world.app.client.client_id);
    assert_eq!(id.email, "ann@example.org");
    assert!(id.auth_time >= before && id.exp == id.iat + 3600);
    assert_eq!(
        verifier().verify(&keys, id_token).unwrap_err(),
        VerifyError::WrongType
    );
}

#[tokio::test]
async fn the_email_is_matched_without_regard_to_case() {
    let world = SignInWorld::new().await;
    let response = world
        .post_password_grant("  ANN@Example.org", DEFAULT_PASSWORD)
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn unknown_email_wrong_password_and_disabled_user_get_one_identical_answer() {
    let world = SignInWorld::new().await;
    let bob = user("lp-1", "bob@example.org").disabled().build();
    world.users.create_user(&bob).await.unwrap();
    let mut bodies = Vec::new();
    for (email, password) in [
        ("nobody@example.org", DEFAULT_PASSWORD),
        ("ann@example.org", "wrong password"),
        ("bob@example.org", DEFAULT_PASSWORD),
    ] {
        let response = world.post_password_grant(email, password).await;
        assert_error(&response, 400, "invalid_grant");
        bodies.push(response.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

#[tokio::test]
async fn an_app_signs_in_only_its_own_labelpartners_users() {
    let world = SignInWorld::new().await;
    let other_app = app_client(world.clients.as_ref(), NewClient::labelpartner("lp-2")).await;
    let response = world
        .post_token(&credentials_of(&other_app).password_grant("ann@example.org", DEFAULT_PASSWORD))
        .await;
    assert_error(&response, 400, "invalid_grant");
}

#[tokio::test]
async fn clients_without_the_grant_and_admin_clients_are_unauthorized_client() {
    let world = SignInWorld::new().await;
    let m2m = world.register(NewClient::labelpartner("lp-1")).await;
    let admin = world
        .register(NewClient::admin().with_grants(&[GrantType::Password]))
        .await;
    for issued in [m2m, admin] {
        let response = world
            .post_token(
                &credentials_of(&issued).password_grant("ann@example.org", DEFAULT_PASSWORD),
            )
            .await;
        assert_error(&response, 400, "unauthorized_client");
    }
}

#[tokio::test]
async fn client_authentication_works_as_on_the_other_token_endpoints() {
    let world = SignInWorld::new().await;
    let wrong = TokenForm::credentials(&world.app.client.client_id, "wrong")
        .password_grant("ann@example.org", DEFAULT_PASSWORD);
    assert_error(&world.post_token(&wrong).await, 401, "invalid_client");

    let body = TokenForm::new()
        .password_grant("ann@example.org", DEFAULT_PASSWORD)
        .encode();
    let authorization =
        token_service::testing::basic(&world.app.client.client_id, &world.app.client_secret);
    let response = world
        .endpoint
        .token(token_service::oauth::TokenRequest {
            content_type: Some(token_service::testing::FORM_URLENCODED),
            authorization: Some(&authorization),
            body: body.as_bytes(),
        })
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn the_fifth_consecutive_failure_locks_even_the_right_password_out() {
    let world = SignInWorld::new().await;
    let wrong = world
        .app_form()
        .password_grant("ann@example.org", "wrong password");
    for _ in 0..5 {
        assert_error(&world.post_token(&wrong).await, 400, "invalid_grant");
    }
    let stored = world
        .users
        .get_user(&world.ann.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.login_failures.count, 5);
    let right = world
        .app_form()
        .password_grant("ann@example.org", DEFAULT_PASSWORD);
    assert_error(&world.post_token(&right).await, 400, "invalid_grant");
    let stored = world
        .users
        .get_user(&world.ann.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.login_failures.count, 5,
        "a locked attempt is refused without checking, so it does not count"
    );
}

#[tokio::test]
async fn after_the_backoff_the_right_password_signs_in_and_resets_the_count() {
    let world = SignInWorld::new().await;
    let long_ago = now_unix() - 3600;
    for _ in 0..7 {
        world
            .users
            .record_login_failure(&world.ann.user_id, long_ago)
            .await
            .unwrap();
    }
    world.sign_in().await;
    let stored = world
        .users
        .get_user(&world.ann.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.login_failures.count, 0);
}

#[tokio::test]
async fn a_hash_with_other_parameters_is_upgraded_on_sign_in() {
    let stronger = Argon2Params {
        memory_kib: 512,
        ..cheap_argon2()
    };
    let world = SignInWorld::new().await;
    let world = SignInWorld {
        endpoint: world.endpoint_with(
            world.users.clone(),
            SignInSettings {
                argon2: stronger,
                ..SignInSettings::default()
            },
        ),
        ..world
    };
    assert!(world.ann.password_hash.needs_rehash(&stronger));
    world.sign_in().await;
    let stored = world
        .users
        .get_user(&world.ann.user_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.password_hash.needs_rehash(&stronger));
    assert!(stored.password_hash.as_str().contains("m=512,"));
    assert!(stored.password_hash.verify(DEFAULT_PASSWORD));
    world.sign_in().await;
}

#[tokio::test]
async fn imported_bcrypt_argon2i_and_pbkdf2_users_sign_in_and_are_rehashed_to_argon2id() {
    use token_service::domain::PasswordHash;
    use token_service::domain::password::HashScheme;
    use token_service::testing::password_hashes::{
        ARGON2I, BCRYPT_2Y, IMPORTED_PASSWORD, PBKDF2_DJANGO, PBKDF2_PASSLIB, PBKDF2_PHC,
    };
    let world = SignInWorld::new().await;
    for (i, imported) in [
        BCRYPT_2Y,
        ARGON2I,
        PBKDF2_PHC,
        PBKDF2_PASSLIB,
        PBKDF2_DJANGO,
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("imported-{i}@example.org");
        let hash = PasswordHash::parse(imported).unwrap();
        let migrated = user("lp-1", &email).hash(hash).build();
        world.users.create_user(&migrated).await.unwrap();
        let wrong = world.app_form().password_grant(&email, "not it");
        assert_error(&world.post_token(&wrong).await, 400, "invalid_grant");
        let right = world.app_form().password_grant(&email, IMPORTED_PASSWORD);
        let response = world.post_token(&right).await;
        assert_eq!(response.status, 200, "{imported}: {}", response.body);
        let stored = world
            .users
            .get_user(&migrated.user_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.password_hash.scheme(),
            HashScheme::Argon2id,
            "{imported}"
        );
        assert!(!stored.password_hash.needs_rehash(&cheap_argon2()));
        assert!(stored.password_hash.verify(IMPORTED_PASSWORD));
        let again = world.post_token(&right).await;
        assert_eq!(again.status, 200, "the re-hashed password still signs in");
    }
}

#[tokio::test]
async fn a_refresh_rotates_the_token_and_keeps_the_sign_in_time() {
    let world = SignInWorld::new().await;
    let first = world.sign_in().await;
    let response = world.refresh(&refresh_token_of(&first)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let second = json(&response);
    assert_ne!(refresh_token_of(&second), refresh_token_of(&first));
    assert_eq!(second["expires_in"], 3600);
    assert_eq!(second["scope"], serde_json::json!(APP_SCOPES));
    let auth_time =
        |body: &Value| jwt_part(body["id_token"].as_str().unwrap(), 1)["auth_time"].clone();
    assert_eq!(auth_time(&second), auth_time(&first));
    let third = world.refresh(&refresh_token_of(&second)).await;
    assert_eq!(third.status, 200, "{}", third.body);
}

#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_whole_family() {
    let world = SignInWorld::new().await;
    let first = refresh_token_of(&world.sign_in().await);
    let second = refresh_token_of(&json(&world.refresh(&first).await));
    let third = refresh_token_of(&json(&world.refresh(&second).await));

    assert_error(&world.refresh(&first).await, 400, "invalid_grant");
    assert_error(&world.refresh(&third).await, 400, "invalid_grant");
    let (_, session) = world
        .sessions
        .find_token(&hash_secret(&third))
        .await
        .unwrap()
        .unwrap();
    assert!(session.revoked_at.is_some());

    let fresh = world.sign_in().await;
    assert_eq!(
        world.refresh(&refresh_token_of(&fresh)).await.status,
        200,
        "other sessions live on"
    );
}

/// 50 refreshes of one token at once, on a multi-thread runtime: exactly one 200, 49 400s.
async fn fifty_concurrent_refreshes(world: SignInWorld) {
    let world = Arc::new(world);
    let token = refresh_token_of(&world.sign_in().await);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let world = world.clone();
            let token = token.clone();
            tokio::spawn(async move { world.refresh(&token).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_concurrent_refreshes_of_one_token_exactly_one_succeeds_in_memory() {
    fifty_concurrent_refreshes(SignInWorld::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_concurrent_refreshes_of_one_token_exactly_one_succeeds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("race.sqlite")).unwrap());
    fifty_concurrent_refreshes(SignInWorld::sqlite(store, SigningAlgorithm::ES256).await).await;
}

#[tokio::test]
async fn another_clients_refresh_token_is_refused_without_harming_the_session() {
    let world = SignInWorld::new().await;
    let token = refresh_token_of(&world.sign_in().await);
    let other = app_client(world.clients.as_ref(), NewClient::labelpartner("lp-1")).await;
    let response = world
        .post_token(&credentials_of(&other).refresh_grant(&token))
        .await;
    assert_error(&response, 400, "invalid_grant");
    assert_eq!(world.refresh(&token).await.status, 200);
}

#[tokio::test]
async fn unknown_and_oversized_refresh_tokens_are_invalid_grant() {
    let world = SignInWorld::new().await;
    for token in ["not-a-token", &"x".repeat(1000)] {
        assert_error(&world.refresh(token).await, 400, "invalid_grant");
    }
}

#[tokio::test]
async fn the_scope_of_a_refresh_may_narrow_but_never_widen() {
    let world = SignInWorld::new().await;
    let token = refresh_token_of(&world.sign_in().await);
    let narrowed = world
        .post_token(&world.app_form().refresh_grant(&token).scope("profile"))
        .await;
    assert_eq!(json(&narrowed)["scope"], serde_json::json!(["profile"]));
    let token = refresh_token_of(&json(&narrowed));
    let again = json(&world.refresh(&token).await);
    assert_eq!(
        again["scope"],
        serde_json::json!(APP_SCOPES),
        "narrowing one access token leaves the session's scope as it was (RFC 6749 §6)"
    );
    let widened = world
        .post_token(
            &world
                .app_form()
                .refresh_grant(&refresh_token_of(&again))
                .scope("admin"),
        )
        .await;
    assert_error(&widened, 400, "invalid_scope");
}

#[tokio::test]
async fn disabling_changing_the_password_or_revoking_sessions_ends_every_refresh_token() {
    type Action = fn(&SignInWorld) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    let actions: [(&str, Action); 3] = [
        ("disable", |w| {
            Box::pin(async { w.users.set_enabled(&w.ann.user_id, false).await.unwrap() })
        }),
        ("set-password", |w| {
            Box::pin(async {
                let hash = cheap_hasher().hash("a new password").unwrap();
                w.users
                    .set_password(&w.ann.user_id, &hash, now_unix())
                    .await
                    .unwrap()
            })
        }),
        ("revoke-sessions", |w| {
            Box::pin(async { w.users.revoke_sessions(&w.ann.user_id).await.unwrap() })
        }),
    ];
    for (name, action) in actions {
        let world = SignInWorld::new().await;
        let one = refresh_token_of(&world.sign_in().await);
        let two = refresh_token_of(&world.sign_in().await);
        action(&world).await;
        for token in [&one, &two] {
            let response = world.refresh(token).await;
            assert_eq!(response.status, 400, "{name}: {}", response.body);
        }
        if name != "disable" {
            world
                .users
                .set_enabled(&world.ann.user_id, true)
                .await
                .unwrap();
            let response = world.refresh(&one).await;
            assert_eq!(response.status, 400, "{name}: sessions stay ended");
        }
    }
}

#[tokio::test]
async fn a_client_without_the_refresh_grant_gets_no_refresh_token() {
    let world = SignInWorld::new().await;
    let issued = world
        .register(NewClient::labelpartner("lp-1").with_grants(&[GrantType::Password]))
        .await;
    let form = credentials_of(&issued);
    let response = world
        .post_token(
            &form
                .clone()
                .password_grant("ann@example.org", DEFAULT_PASSWORD),
        )
        .await;
    let body = json(&response);
    assert_eq!(response.status, 200);
    assert!(body.get("refresh_token").is_none());
    assert!(body["id_token"].is_string());
    let refresh = world.post_token(&form.refresh_grant("anything")).await;
    assert_error(&refresh, 400, "unauthorized_client");
}

#[tokio::test]
async fn revocation_ends_the_session_and_answers_200_for_unknown_tokens() {
    let world = SignInWorld::new().await;
    let first = refresh_token_of(&world.sign_in().await);
    let second = refresh_token_of(&json(&world.refresh(&first).await));

    let response = world
        .post_revoke(
            &world
                .app_form()
                .param("token", &first)
                .param("token_type_hint", "refresh_token"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_error(&world.refresh(&second).await, 400, "invalid_grant");

    for token in ["unknown", &"y".repeat(500)] {
        let response = world
            .post_revoke(&world.app_form().param("token", token))
            .await;
        assert_eq!(response.status, 200);
    }
}

#[tokio::test]
async fn revocation_needs_client_authentication_and_a_token_and_spares_other_clients_tokens() {
    let world = SignInWorld::new().await;
    let token = refresh_token_of(&world.sign_in().await);
    let wrong = TokenForm::credentials(&world.app.client.client_id, "wrong").param("token", &token);
    assert_error(&world.post_revoke(&wrong).await, 401, "invalid_client");
    assert_error(
        &world.post_revoke(&world.app_form()).await,
        400,
        "invalid_request",
    );

    let other = app_client(world.clients.as_ref(), NewClient::labelpartner("lp-1")).await;
    let response = world
        .post_revoke(&credentials_of(&other).param("token", &token))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(world.refresh(&token).await.status, 200, "still valid");
}

#[tokio::test]
async fn malformed_requests_are_invalid_request_or_unsupported_grant_type() {
    let world = SignInWorld::new().await;
    let missing_password = world
        .app_form()
        .grant_type("password")
        .param("username", "ann@example.org");
    assert_error(
        &world.post_token(&missing_password).await,
        400,
        "invalid_request",
    );
    let client_credentials = world.app_form().grant_type("client_credentials");
    assert_error(
        &world.post_token(&client_credentials).await,
        400,
        "unsupported_grant_type",
    );
    let repeated = world
        .app_form()
        .password_grant("ann@example.org", DEFAULT_PASSWORD)
        .param("password", "again");
    assert_error(&world.post_token(&repeated).await, 400, "invalid_request");
}

#[tokio::test]
async fn a_store_failure_is_a_server_error_never_a_sign_in() {
    let world = SignInWorld::new().await;
    let endpoint = world.endpoint_with(Arc::new(BrokenUsers), cheap_sign_in_settings());
    let body = world
        .app_form()
        .password_grant("ann@example.org", DEFAULT_PASSWORD)
        .encode();
    let response = endpoint
        .token(token_service::oauth::TokenRequest {
            content_type: Some(token_service::testing::FORM_URLENCODED),
            authorization: None,
            body: body.as_bytes(),
        })
        .await;
    assert_error(&response, 500, "server_error");
    assert!(
        !response.body.contains("disk"),
        "the cause stays in the log"
    );
}

struct BrokenUsers;

fn disk_on_fire<T>() -> Result<T, token_service::store::StoreError> {
    Err(token_service::store::StoreError::Backend(
        "disk on fire".into(),
    ))
}

#[async_trait::async_trait]
impl UserAccounts for BrokenUsers {
    async fn get_user(
        &self,
        _: &str,
    ) -> Result<Option<token_service::domain::User>, token_service::store::StoreError> {
        disk_on_fire()
    }
    async fn find_by_email(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<token_service::domain::User>, token_service::store::StoreError> {
        disk_on_fire()
    }
    async fn record_login_failure(
        &self,
        _: &str,
        _: i64,
    ) -> Result<token_service::domain::LoginFailures, token_service::store::StoreError> {
        disk_on_fire()
    }
    async fn reset_login_failures(&self, _: &str) -> Result<(), token_service::store::StoreError> {
        disk_on_fire()
    }
    async fn upgrade_password_hash(
        &self,
        _: &str,
        _: &token_service::domain::PasswordHash,
        _: &token_service::domain::PasswordHash,
    ) -> Result<bool, token_service::store::StoreError> {
        disk_on_fire()
    }
}
