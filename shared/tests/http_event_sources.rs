//! The HTTP functions as `lambda_http` serves them, fed every event source it reads: API Gateway
//! HTTP API (payload 2.0 and 1.0), REST API (with a stage prefix), Lambda function URLs and ALB
//! (with and without multi-value headers), plain and base64-encoded bodies; each answered in
//! its source's own response format. And the invocation's deadline: a handler that has not
//! answered in time gets a JSON 503 with `Retry-After`, before Lambda would time it out.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use token_service::config::Settings;
use token_service::domain::client::AccessLevel;
use token_service::entrypoints::discovery::DiscoveryState;
use token_service::entrypoints::http_function::{HttpFunction, HttpRequest};
use token_service::http::HttpResponse;
use token_service::keys::SigningAlgorithm;
use token_service::oauth::TokenEndpoint;
use token_service::store::memory::MemoryClientStore;
use token_service::testing::http_events::{
    alb_event, form_post_event, function_url_event, http_api_event, http_api_v1_event,
    rest_api_event,
};
use token_service::testing::{
    FORM_URLENCODED, HttpInvoker, TokenForm, basic, env, key_cache, lambda_context, registered,
    response_header, response_json,
};
use token_service::tokens::TokenSettings;

/// A token endpoint over ES256 keys and a store holding one registered labelpartner client:
/// (the endpoint, the client's id, its secret).
async fn endpoint_with_client() -> (TokenEndpoint, String, String) {
    let store = Arc::new(MemoryClientStore::default());
    let issued = registered(store.as_ref(), AccessLevel::Labelpartner, &[]).await;
    let settings = TokenSettings {
        issuer: "https://issuer.test".into(),
        audience: "am-api".into(),
    };
    (
        TokenEndpoint::new(store, key_cache(SigningAlgorithm::ES256), settings),
        issued.client.client_id,
        issued.client_secret,
    )
}

fn form_headers() -> Value {
    json!({"content-type": FORM_URLENCODED})
}

/// Every field of the response format of each source, as API Gateway, function URLs and ALB
/// read them.
fn assert_token_answer(response: &Value, expected_fields: &[&str]) {
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["isBase64Encoded"], false, "{response}");
    assert_eq!(
        response_header(response, "cache-control").as_deref(),
        Some("no-store"),
        "{response}"
    );
    assert_eq!(response_json(response)["token_type"], "Bearer");
    let mut fields: Vec<&str> = response
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, _)| name.as_str())
        .collect();
    fields.sort_unstable();
    let mut expected = expected_fields.to_vec();
    expected.sort_unstable();
    assert_eq!(fields, expected, "{response}");
}

const V2_FIELDS: &[&str] = &[
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
    "cookies",
];
const V1_FIELDS: &[&str] = &[
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];
const ALB_FIELDS: &[&str] = &[
    "statusCode",
    "statusDescription",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

#[tokio::test]
async fn an_http_api_v2_event_with_a_plain_or_base64_body_gets_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let function = HttpInvoker::new(endpoint);
    let body = TokenForm::credentials(&id, &secret).encode();
    for base64 in [false, true] {
        let response = function
            .answer(&form_post_event("/v1/token", &body, base64))
            .await;
        assert_token_answer(&response, V2_FIELDS);
    }
}

#[tokio::test]
async fn an_http_api_v1_event_gets_a_token_in_the_v1_format() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = TokenForm::credentials(&id, &secret).encode();
    let event = http_api_v1_event("POST", "/v1/token", form_headers(), Some(&body));
    let response = HttpInvoker::new(endpoint).answer(&event).await;
    assert_token_answer(&response, V1_FIELDS);
}

#[tokio::test]
async fn a_rest_api_event_under_a_stage_routes_by_path_suffix() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let event = rest_api_event(
        "POST",
        "/oauth/v2/token",
        json!({"Content-Type": FORM_URLENCODED, "Authorization": basic(&id, &secret)}),
        Some("grant_type=client_credentials"),
    );
    let response = HttpInvoker::new(endpoint).answer(&event).await;
    assert_token_answer(&response, V1_FIELDS);
}

#[tokio::test]
async fn a_function_url_event_with_its_base64_body_gets_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = TokenForm::credentials(&id, &secret).encode();
    let event = function_url_event("POST", "/v1/token", form_headers(), Some(&body));
    let response = HttpInvoker::new(endpoint).answer(&event).await;
    assert_token_answer(&response, V2_FIELDS);
}

#[tokio::test]
async fn an_alb_event_gets_a_token_with_its_status_description() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let function = HttpInvoker::new(endpoint);
    let body = TokenForm::credentials(&id, &secret).encode();
    for (base64, multi_value) in [(false, false), (true, false), (false, true), (true, true)] {
        let event = alb_event(
            "POST",
            "/v1/token",
            form_headers(),
            Some(&body),
            base64,
            multi_value,
        );
        let response = function.answer(&event).await;
        assert_token_answer(&response, ALB_FIELDS);
        assert_eq!(response["statusDescription"], "200 OK", "{response}");
    }
}

#[tokio::test]
async fn an_alb_client_with_a_wrong_secret_gets_the_oauth_error_and_the_basic_challenge() {
    let (endpoint, id, _) = endpoint_with_client().await;
    let event = alb_event(
        "POST",
        "/oauth/v2/token",
        json!({"content-type": FORM_URLENCODED, "authorization": basic(&id, "wrong")}),
        Some("grant_type=client_credentials"),
        false,
        false,
    );
    let response = HttpInvoker::new(endpoint).answer(&event).await;
    assert_eq!(response["statusCode"], 401);
    assert_eq!(response["statusDescription"], "401 Unauthorized");
    assert_eq!(response_json(&response)["error"], "invalid_client");
    assert!(
        response_header(&response, "www-authenticate")
            .is_some_and(|challenge| challenge.starts_with("Basic")),
        "{response}"
    );
}

#[tokio::test]
async fn a_credential_header_sent_twice_is_ambiguous_and_refused() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let mut event: Value = serde_json::from_str(&alb_event(
        "POST",
        "/oauth/v2/token",
        json!({"content-type": FORM_URLENCODED}),
        Some("grant_type=client_credentials"),
        false,
        true,
    ))
    .expect("an event");
    event["multiValueHeaders"]["authorization"] =
        json!([basic(&id, &secret), basic("someone-else", "x")]);
    let response = HttpInvoker::new(endpoint).answer(&event.to_string()).await;
    assert_eq!(response["statusCode"], 401, "{response}");
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (endpoint, _, _) = endpoint_with_client().await;
    let function = HttpInvoker::new(endpoint);
    let event = http_api_event("POST", "/v1/other", json!({}), None, false);
    assert_eq!(function.answer(&event).await["statusCode"], 404);
    let event = http_api_event("PUT", "/v1/token", json!({}), None, false);
    let response = function.answer(&event).await;
    assert_eq!(response["statusCode"], 405);
    assert_eq!(response_header(&response, "allow").as_deref(), Some("POST"));
    assert_eq!(response_json(&response)["error"], "invalid_request");
}

/// A function whose store never answers.
struct Stalled;

impl HttpFunction for Stalled {
    async fn handle(&self, _: HttpRequest) -> HttpResponse {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_request_that_outlives_the_deadline_gets_a_503_with_retry_after_before_it() {
    let function = HttpInvoker::new(Stalled);
    let time_left = Duration::from_millis(600);
    let started = Instant::now();
    let event = form_post_event("/v1/token", "grant_type=client_credentials", false);
    let response = function
        .answer_within(&event, lambda_context(Some(time_left)))
        .await;
    assert!(started.elapsed() < time_left, "{:?}", started.elapsed());
    assert_eq!(response["statusCode"], 503);
    assert_eq!(
        response_header(&response, "retry-after").as_deref(),
        Some("1")
    );
    assert_eq!(
        response_header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert_eq!(response_json(&response)["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn discovery_serves_metadata_and_a_cacheable_jwks() {
    let settings = Settings::from_lookup(env(&[
        ("TOKEN_ISSUER", "https://auth.example.test"),
        ("SIGNING_ALG", "ES256"),
    ]))
    .unwrap();
    let discovery = HttpInvoker::new(DiscoveryState {
        settings,
        keys: key_cache(SigningAlgorithm::ES256),
    });
    let event = http_api_event(
        "GET",
        "/.well-known/openid-configuration",
        json!({}),
        None,
        false,
    );
    let response = discovery.answer(&event).await;
    assert_eq!(response["statusCode"], 200);
    let doc = response_json(&response);
    assert_eq!(doc["issuer"], "https://auth.example.test");
    assert_eq!(
        doc["token_endpoint"],
        "https://auth.example.test/oauth/v2/token"
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let event = http_api_event("GET", "/.well-known/jwks.json", json!({}), None, false);
    let response = discovery.answer(&event).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(
        response["isBase64Encoded"], false,
        "a JSON media type is text"
    );
    assert_eq!(
        response_header(&response, "content-type").unwrap(),
        "application/jwk-set+json"
    );
    assert_eq!(
        response_header(&response, "cache-control").unwrap(),
        "public, max-age=300"
    );
    let jwks = response_json(&response);
    for key in jwks["keys"].as_array().unwrap() {
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["use"].as_str()
            ),
            (Some("EC"), Some("P-256"), Some("sig"))
        );
        assert!(key.get("d").is_none());
    }
}
