//! End to end: `cargo lambda invoke authorizer --data-file <fixture>` against the `cargo lambda
//! watch` emulator that `make test` starts (LAMBDA_ENDPOINT), with a token from the emulated
//! token endpoint for a client created in the SQLite file the functions use (E2E_SQLITE_PATH).
//! The binary under test is the real authorizer function, started by the emulator.

use integration_tests::{lambda_endpoint, required_env};
use serde_json::{Value, json};
use std::process::Command;
use token_service::admin::clients::{IssuedCredentials, NewClient, register};
use token_service::domain::time::now_unix;
use token_service::store::ClientStore;
use token_service::store::sqlite::SqliteStore;
use token_service::testing::authorizer::token_claims;
use token_service::testing::events::{
    Shape, event_with_token, fixtures_dir, iam_policy, route_arn, set_authorization, set_route,
};
use token_service::testing::unique_name;

fn cargo_lambda() -> String {
    std::env::var("CARGO_LAMBDA")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            format!(
                "{}/../.tools/venv/bin/cargo-lambda",
                env!("CARGO_MANIFEST_DIR")
            )
        })
}

fn port(endpoint: &str) -> String {
    endpoint
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or_else(|| panic!("no port in LAMBDA_ENDPOINT {endpoint}"))
        .to_string()
}

async fn registered(id_prefix: &str) -> IssuedCredentials {
    let store = SqliteStore::open(required_env("E2E_SQLITE_PATH")).unwrap();
    let new = NewClient::labelpartner("lp-e2e")
        .with_client_id(&unique_name(id_prefix))
        .with_scopes(&["accounts:read"]);
    let issued = register(new, now_unix()).unwrap();
    store.create(&issued.client).await.unwrap();
    issued
}

/// A token from the emulated `POST /v1/token`.
async fn token(base: &str, issued: &IssuedCredentials) -> String {
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
        .post(format!("{base}/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", issued.client.client_id.as_str()),
            ("client_secret", issued.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// `cargo lambda invoke authorizer --data-file <event>`: (success, stdout + stderr).
fn invoke(endpoint: &str, event: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("event.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let output = Command::new(cargo_lambda())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["lambda", "invoke", "authorizer", "--data-file"])
        .arg(&file)
        .args([
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port(endpoint),
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", cargo_lambda()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn the_built_authorizer_allows_a_token_from_the_token_endpoint_on_every_shape() {
    let endpoint = lambda_endpoint();
    let issued = registered("e2e-authz").await;
    let token = token(&endpoint, &issued).await;
    let id = issued.client.client_id.clone();
    let context = json!({"sub": id, "client_id": id, "access_level": "labelpartner",
        "labelpartner": "lp-e2e", "scope": "accounts:read", "jti": token_claims(&token)["jti"],
        "auth_method": "oauth2"});
    // The fixture file itself, token filled in: what a deployer sends with --data-file.
    assert!(
        fixtures_dir()
            .join(Shape::HttpApiV2.fixture_name())
            .is_file()
    );
    let (ok, out) = invoke(&endpoint, &event_with_token(Shape::HttpApiV2, &token));
    assert!(ok, "{out}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap_or_else(|_| panic!("not JSON: {out}")),
        json!({"isAuthorized": true, "context": context})
    );
    for shape in [Shape::RestToken, Shape::RestRequest] {
        let e = event_with_token(shape, &token);
        let (ok, out) = invoke(&endpoint, &e);
        assert!(ok, "{shape:?}: {out}");
        let response: Value = serde_json::from_str(out.trim()).unwrap();
        let mut expected = iam_policy(&id, "Allow", &route_arn(shape, &e));
        expected["context"] = context.clone();
        assert_eq!(response, expected, "{shape:?}");
    }
}

#[tokio::test]
async fn the_built_authorizer_fails_a_rest_event_without_a_token_with_exactly_unauthorized() {
    let endpoint = lambda_endpoint();
    let mut e = event_with_token(Shape::RestToken, "x");
    set_authorization(Shape::RestToken, &mut e, Some("Bearer not.a.token"));
    let (ok, out) = invoke(&endpoint, &e);
    assert!(!ok, "expected a failed invocation: {out}");
    assert!(out.contains("× Unauthorized"), "{out}");
    // The same through the Lambda invoke API: the error API Gateway reads is exactly this.
    let response = reqwest::Client::new()
        .post(format!(
            "{endpoint}/2015-03-31/functions/authorizer/invocations"
        ))
        .body(e.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
    );
    // HTTP API: a refusal is isAuthorized false (API Gateway answers 403).
    let mut e = event_with_token(Shape::HttpApiV2, "x");
    set_authorization(Shape::HttpApiV2, &mut e, Some("Bearer not.a.token"));
    let (ok, out) = invoke(&endpoint, &e);
    assert!(ok, "{out}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap(),
        json!({"isAuthorized": false})
    );
}

/// `make test` serves the authorizer with CALLER_STATUS_CACHE_SECONDS=0 (scripts/local-env.sh),
/// so a disable is seen on the very next request; deployed, within the cache's 60 s.
#[tokio::test]
async fn the_built_authorizer_refuses_a_token_once_its_client_is_disabled() {
    let endpoint = lambda_endpoint();
    let issued = registered("e2e-disabled").await;
    let token = token(&endpoint, &issued).await;
    let e = event_with_token(Shape::HttpApiV2, &token);
    let (ok, out) = invoke(&endpoint, &e);
    assert!(ok, "{out}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap_or_else(|_| panic!("not JSON: {out}"))["isAuthorized"],
        json!(true),
        "{out}"
    );
    let store = SqliteStore::open(required_env("E2E_SQLITE_PATH")).unwrap();
    store.disable(&issued.client.client_id).await.unwrap();
    let (ok, out) = invoke(&endpoint, &e);
    assert!(ok, "{out}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap_or_else(|_| panic!("not JSON: {out}")),
        json!({"isAuthorized": false})
    );
    let rest = event_with_token(Shape::RestToken, &token);
    let (ok, out) = invoke(&endpoint, &rest);
    assert!(!ok, "expected a failed invocation: {out}");
    assert!(out.contains("× Unauthorized"), "{out}");
}

/// An end user's tokens from the emulated `POST /v2/token`: (access token, id_token, user_id).
async fn user_tokens(base: &str) -> (String, String, String) {
    use integration_tests::e2e_store::{register_e2e_app, register_e2e_user};
    let app = register_e2e_app("lp-e2e", &[]).await;
    let password = "an end user's password";
    let user = register_e2e_user("lp-e2e", password).await;
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
        .post(format!("{base}/v2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app.client.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("username", user.email.as_str()),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let field = |name: &str| body[name].as_str().unwrap().to_string();
    (field("access_token"), field("id_token"), user.user_id)
}

#[tokio::test]
async fn the_built_authorizer_lets_an_end_user_reach_only_its_own_paths() {
    let endpoint = lambda_endpoint();
    let (access_token, id_token, user_id) = user_tokens(&endpoint).await;
    let decide = |token: &str, path: &str| {
        let mut e = event_with_token(Shape::HttpApiV2, token);
        set_route(Shape::HttpApiV2, &mut e, "GET", path);
        let (ok, out) = invoke(&endpoint, &e);
        assert!(ok, "{out}");
        let response: Value = serde_json::from_str(out.trim()).unwrap();
        response["isAuthorized"].as_bool().unwrap()
    };
    let own = format!("/v2/users/{user_id}/devices");
    assert!(decide(&access_token, &own), "its own sub");
    assert!(!decide(
        &access_token,
        &format!("/v2/users/{}/devices", "0".repeat(32))
    ));
    assert!(!decide(&access_token, "/v1/labelpartners/lp-e2e/accounts"));
    assert!(!decide(&id_token, &own), "an id_token is no access token");
}

/// The `iat` of a JWT, read without verifying it (the authorizer under test verifies).
fn issued_at(jwt: &str) -> i64 {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    claims["iat"].as_i64().expect("a numeric iat")
}

fn is_authorized(endpoint: &str, token: &str) -> bool {
    let (ok, out) = invoke(endpoint, &event_with_token(Shape::HttpApiV2, token));
    assert!(ok, "{out}");
    let response: Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("not JSON: {out}"));
    response["isAuthorized"].as_bool().expect("isAuthorized")
}

/// Waits until the wall clock has reached `second` (Unix seconds).
async fn until_second(second: i64) {
    while now_unix() < second {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `authctl client revoke-tokens` (its library call, with the cut-off one second after the old
/// token's `iat`): the built authorizer refuses the token issued before, and allows one issued
/// after, while the client stays enabled.
#[tokio::test]
async fn the_built_authorizer_refuses_a_clients_tokens_issued_before_revoke_tokens() {
    use token_service::admin::clients::revoke_tokens;
    let endpoint = lambda_endpoint();
    let issued = registered("e2e-revoked").await;
    let before = token(&endpoint, &issued).await;
    assert!(is_authorized(&endpoint, &before));

    let cut_off = issued_at(&before) + 1;
    let store = SqliteStore::open(required_env("E2E_SQLITE_PATH")).unwrap();
    revoke_tokens(&store, &issued.client.client_id, cut_off)
        .await
        .unwrap();
    assert!(
        !is_authorized(&endpoint, &before),
        "a token from before the cut-off"
    );

    until_second(cut_off).await;
    let after = token(&endpoint, &issued).await;
    assert!(issued_at(&after) >= cut_off);
    assert!(
        is_authorized(&endpoint, &after),
        "a token from after the cut-off"
    );
}

/// `authctl user revoke-tokens`: the built authorizer refuses the end user's earlier token.
#[tokio::test]
async fn the_built_authorizer_refuses_a_users_tokens_issued_before_revoke_tokens() {
    use token_service::store::UserStore;
    let endpoint = lambda_endpoint();
    let (access_token, _, user_id) = user_tokens(&endpoint).await;
    let own_path = |token: &str| {
        let mut e = event_with_token(Shape::HttpApiV2, token);
        set_route(
            Shape::HttpApiV2,
            &mut e,
            "GET",
            &format!("/v2/users/{user_id}/devices"),
        );
        let (ok, out) = invoke(&endpoint, &e);
        assert!(ok, "{out}");
        serde_json::from_str::<Value>(out.trim()).unwrap()["isAuthorized"]
            .as_bool()
            .unwrap()
    };
    assert!(own_path(&access_token));

    let store = SqliteStore::open(required_env("E2E_SQLITE_PATH")).unwrap();
    store
        .revoke_tokens(&user_id, issued_at(&access_token) + 1)
        .await
        .unwrap();
    assert!(!own_path(&access_token), "a token from before the cut-off");
}
