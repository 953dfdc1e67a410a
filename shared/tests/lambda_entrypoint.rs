//! The API Gateway translation layer fed real event shapes: HTTP API (payload 2.0) and REST API
//! (payload 1.0, with a stage prefix), plain and base64-encoded bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Body;
use serde_json::{Value, json};
use std::sync::Arc;
use token_service::config::Settings;
use token_service::domain::client::AccessLevel;
use token_service::entrypoints::discovery::DiscoveryState;
use token_service::entrypoints::discovery::handle_discovery_request;
use token_service::entrypoints::token::handle_token_request;
use token_service::keys::SigningAlgorithm;
use token_service::oauth::TokenEndpoint;
use token_service::store::memory::MemoryClientStore;
use token_service::testing::{FORM_URLENCODED, TokenForm, basic, env, key_cache, registered};
use token_service::tokens::TokenSettings;

type Response = lambda_http::Response<Body>;

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

/// The token function's answer to an API Gateway event (JSON text).
async fn token_response(endpoint: &TokenEndpoint, event: &str) -> Response {
    handle_token_request(endpoint, lambda_http::request::from_str(event).unwrap()).await
}

/// The discovery function's answer to an API Gateway event (JSON text).
async fn discovery_response(state: &DiscoveryState, event: &str) -> Response {
    handle_discovery_request(state, lambda_http::request::from_str(event).unwrap()).await
}

fn http_api_event(
    method: &str,
    path: &str,
    headers: Value,
    body: Option<&str>,
    base64: bool,
) -> String {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "requestId": "req-1",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "23/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795435200000i64
        },
        "body": body.map(|b| if base64 { STANDARD.encode(b) } else { b.to_string() }),
        "isBase64Encoded": base64
    })
    .to_string()
}

/// An HTTP API event posting a form-encoded `body` to `path`, base64-encoded or not.
fn form_post_event(path: &str, body: &str, base64: bool) -> String {
    http_api_event(
        "POST",
        path,
        json!({"content-type": FORM_URLENCODED}),
        Some(body),
        base64,
    )
}

fn rest_api_event(method: &str, path: &str, headers: Value, body: Option<&str>) -> String {
    json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "resourceId": "res",
            "stage": "prod",
            "requestId": "req-2",
            "identity": {"sourceIp": "192.0.2.1"},
            "resourcePath": path,
            "httpMethod": method,
            "path": format!("/prod{path}"),
            "protocol": "HTTP/1.1"
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

fn body_json(response: &Response) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[tokio::test]
async fn http_api_event_with_a_plain_body_issues_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = TokenForm::credentials(&id, &secret).encode();
    let event = form_post_event("/v1/token", &body, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(body_json(&response)["token_type"], "Bearer");
}

#[tokio::test]
async fn http_api_event_with_a_base64_body_issues_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = TokenForm::credentials(&id, &secret)
        .grant_type("client_credentials")
        .encode();
    let event = form_post_event("/oauth/v2/token", &body, true);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn rest_api_event_under_a_stage_routes_by_path_suffix() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let auth = basic(&id, &secret);
    let event = rest_api_event(
        "POST",
        "/oauth/v2/token",
        json!({"Content-Type": FORM_URLENCODED, "Authorization": auth}),
        Some("grant_type=client_credentials"),
    );
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (endpoint, _, _) = endpoint_with_client().await;
    let event = http_api_event("POST", "/v1/other", json!({}), None, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status(), 404);
    let event = http_api_event("PUT", "/v1/token", json!({}), None, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(body_json(&response)["error"], "invalid_request");
}

#[tokio::test]
async fn discovery_serves_metadata_and_a_cacheable_jwks() {
    let settings = Settings::from_lookup(env(&[
        ("TOKEN_ISSUER", "https://auth.example.test"),
        ("SIGNING_ALG", "ES256"),
    ]))
    .unwrap();
    let state = DiscoveryState {
        settings,
        keys: key_cache(SigningAlgorithm::ES256),
    };
    let event = http_api_event(
        "GET",
        "/.well-known/openid-configuration",
        json!({}),
        None,
        false,
    );
    let response = discovery_response(&state, &event).await;
    assert_eq!(response.status(), 200);
    let doc = body_json(&response);
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
    let response = discovery_response(&state, &event).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let jwks = body_json(&response);
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
