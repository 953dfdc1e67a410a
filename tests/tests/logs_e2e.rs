//! No log level prints a credential: the functions under the `cargo lambda watch` that `make
//! test` starts run at TRACE (`RUST_LOG=trace`, `AWS_LAMBDA_LOG_LEVEL=TRACE`, JSON as in Lambda)
//! with their output in WATCH_LOG. This test sends every kind of credential the service takes
//! (client secret in the body and in Basic, password, refresh token, access token as Bearer, an
//! API key) and then looks for each, its base64 forms and its hash in that output.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use integration_tests::e2e_store::{register_e2e_app, register_e2e_client, register_e2e_user};
use integration_tests::{lambda_endpoint, required_env};
use serde_json::Value;
use std::time::{Duration, Instant};
use token_service::admin::clients::NewClient;
use token_service::domain::hash_secret;
use token_service::domain::user::new_user_id;
use token_service::testing::authorizer::token_claims;
use token_service::testing::basic;
use token_service::testing::events::{Shape, event_with_token, set_header};
use token_service::testing::unique_name;

mod support;
use support::{http, send};

async fn post_form(path: &str, authorization: Option<&str>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut request = http()
        .post(format!("{}{path}", lambda_endpoint()))
        .form(form);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let (status, _, body) = send(request).await;
    (status, body)
}

/// The authorizer through the Lambda invoke API, as API Gateway calls it.
async fn invoke_authorizer(event: &Value) -> Value {
    let url = format!(
        "{}/2015-03-31/functions/authorizer/invocations",
        lambda_endpoint()
    );
    let (_, _, body) = send(http().post(url).json(event)).await;
    body
}

/// How a credential could show up in a log: as sent, inside any base64 text (a Basic header,
/// a base64-encoded event body) at each of the three byte alignments, and as its stored hash.
fn traces_of(credential: &str) -> Vec<String> {
    let mut traces = vec![credential.to_string(), hash_secret(credential).to_hex()];
    for offset in 0..3 {
        let encoded = STANDARD.encode(format!("{}{credential}", "x".repeat(offset)));
        // Characters that mix in the bytes before or after the credential are left out.
        let first = (offset * 4).div_ceil(3);
        let end = encoded.trim_end_matches('=').len().saturating_sub(3);
        traces.push(encoded[first..end].to_string());
    }
    traces
}

/// The watch's output once it holds `expected` (lines arrive shortly after the responses).
fn watch_log_with(expected: &[&str]) -> String {
    let path = required_env("WATCH_LOG");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading WATCH_LOG {path}: {e}"));
        if expected.iter().all(|e| log.contains(e)) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The request id the runtime gave the invocation whose line contains `marker`.
fn request_id_of_line_with(log: &str, marker: &str) -> Option<String> {
    log.lines()
        .filter(|line| line.contains(marker))
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|line| line["span"]["requestId"].as_str().map(String::from))
}

#[tokio::test]
async fn at_trace_no_credential_sent_to_any_function_appears_in_the_logs() {
    let mut credentials: Vec<(&str, String)> = Vec::new();

    // Client credentials: the secret in the body, then in HTTP Basic.
    let client = register_e2e_client(
        NewClient::labelpartner("lp-e2e-logs")
            .with_client_id(&unique_name("e2e-logs"))
            .with_scopes(&["accounts:read"]),
    )
    .await;
    let (id, secret) = (
        client.client.client_id.as_str(),
        client.client_secret.as_str(),
    );
    credentials.push(("client secret", secret.to_string()));
    let (status, issued) = post_form(
        "/v1/token",
        None,
        &[("client_id", id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let access_token = issued["access_token"].as_str().unwrap().to_string();
    credentials.push(("access token", access_token.clone()));
    let client_basic = basic(id, secret);
    credentials.push(("Basic header", client_basic.clone()));
    let (status, body) = post_form(
        "/oauth/v2/token",
        Some(&client_basic),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // End-user sign-in: a password (and a wrong one), then a refresh token refreshed and revoked.
    let password = format!("Pw{}", new_user_id().unwrap());
    let wrong_password = format!("Wrong{}", new_user_id().unwrap());
    let app = register_e2e_app("lp-e2e-logs", &["profile"]).await;
    let user = register_e2e_user("lp-e2e-logs", &password).await;
    let app_basic = basic(&app.client.client_id, &app.client_secret);
    credentials.push(("app client secret", app.client_secret.clone()));
    credentials.push(("password", password.clone()));
    credentials.push(("wrong password", wrong_password.clone()));
    let (status, body) = post_form(
        "/v2/token",
        Some(&app_basic),
        &[
            ("grant_type", "password"),
            ("username", &user.email),
            ("password", &wrong_password),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, signed_in) = post_form(
        "/v2/token",
        Some(&app_basic),
        &[
            ("grant_type", "password"),
            ("username", &user.email),
            ("password", &password),
        ],
    )
    .await;
    assert_eq!(status, 200, "{signed_in}");
    let first_refresh = signed_in["refresh_token"].as_str().unwrap().to_string();
    credentials.push((
        "user access token",
        signed_in["access_token"].as_str().unwrap().into(),
    ));
    credentials.push(("id token", signed_in["id_token"].as_str().unwrap().into()));
    credentials.push(("refresh token", first_refresh.clone()));
    let (status, refreshed) = post_form(
        "/v2/token",
        Some(&app_basic),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_string();
    credentials.push(("rotated refresh token", second_refresh.clone()));
    let (status, body) = post_form(
        "/v2/revoke",
        Some(&app_basic),
        &[("token", &second_refresh)],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The authorizer: the access token as Bearer, and an API key.
    let allowed = invoke_authorizer(&event_with_token(Shape::HttpApiV2, &access_token)).await;
    assert_eq!(allowed["isAuthorized"], true, "{allowed}");
    let api_key = format!("ApiKey{}", new_user_id().unwrap());
    credentials.push(("API key", api_key.clone()));
    let mut with_api_key = event_with_token(Shape::HttpApiV2, "x");
    set_header(Shape::HttpApiV2, &mut with_api_key, "authorization", None);
    set_header(
        Shape::HttpApiV2,
        &mut with_api_key,
        "X-Api-Key",
        Some(&api_key),
    );
    let refused = invoke_authorizer(&with_api_key).await;
    assert_eq!(refused["isAuthorized"], false, "{refused}");

    // A function behind the authorizer receives the same headers in its raw event.
    // (Called directly, it has no authorizer context to echo and says so.)
    let (_, _, body) = send(
        http()
            .get(format!("{}/lambda-url/whoami/v1/whoami", lambda_endpoint()))
            .header("authorization", format!("Bearer {access_token}"))
            .header("x-api-key", &api_key),
    )
    .await;
    assert_eq!(body["error"], "no_authorizer_context", "{body}");

    // Not vacuous: the log holds the lines of these very requests, at DEBUG too (the
    // authorizer's allow, with the token's jti), inside the runtime's span with its request id.
    let jti = token_claims(&access_token)["jti"]
        .as_str()
        .unwrap()
        .to_string();
    let log = watch_log_with(&[&jti, &user.user_id, "\"level\":\"DEBUG\""]);
    let allow_line = log
        .lines()
        .find(|line| line.contains(&jti) && line.contains("authorization decided"))
        .unwrap_or_else(|| panic!("no authorizer line for jti {jti} in the watch log"));
    assert!(allow_line.contains("\"level\":\"DEBUG\""), "{allow_line}");
    assert!(
        request_id_of_line_with(&log, &jti).is_some(),
        "no request id: {allow_line}"
    );
    assert!(
        request_id_of_line_with(&log, id).is_some(),
        "no line of the client's token request"
    );
    assert!(
        request_id_of_line_with(&log, &user.user_id).is_some(),
        "no line of the user's sign-in"
    );

    for (what, credential) in &credentials {
        for trace in traces_of(credential) {
            assert!(
                !log.contains(&trace),
                "the {what} appears in the watch log (as {trace:?})"
            );
        }
    }
}
