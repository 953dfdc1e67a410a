//! The API Gateway translation layer fed real event shapes: HTTP API (payload 2.0) and REST API
//! (payload 1.0, with a stage prefix), plain and base64-encoded bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Body;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use token_service::admin::clients::{NewClient, register};
use token_service::config::Settings;
use token_service::domain::client::AccessLevel;
use token_service::domain::time::now_unix;
use token_service::entrypoints::discovery::DiscoveryState;
use token_service::entrypoints::discovery::handle_discovery_request;
use token_service::entrypoints::token::handle_token_request;
use token_service::keys::source::InMemoryKeySource;
use token_service::keys::{KeyCache, SigningAlgorithm, initial_document};
use token_service::oauth::TokenEndpoint;
use token_service::store::ClientStore;
use token_service::store::memory::MemoryClientStore;
use token_service::tokens::TokenSettings;

fn keys() -> Arc<KeyCache> {
    Arc::new(KeyCache::new(
        Arc::new(InMemoryKeySource(
            initial_document(SigningAlgorithm::ES256, 0).unwrap(),
        )),
        Duration::from_secs(300),
    ))
}

async fn endpoint_with_client() -> (TokenEndpoint, String, String) {
    let store = Arc::new(MemoryClientStore::default());
    let issued = register(
        NewClient {
            client_id: None,
            access_level: AccessLevel::Labelpartner,
            labelpartner: Some("lp-1".into()),
            allowed_scopes: vec![],
            allowed_grant_types: vec![],
            access_token_ttl: None,
        },
        now_unix(),
    )
    .unwrap();
    store.create(&issued.client).await.unwrap();
    let settings = TokenSettings {
        issuer: "https://issuer.test".into(),
        audience: "am-api".into(),
    };
    (
        TokenEndpoint::new(store, keys(), settings),
        issued.client.client_id,
        issued.client_secret,
    )
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

fn body_json(response: &lambda_http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn http_api_event_with_a_plain_body_issues_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = format!("client_id={id}&client_secret={secret}");
    let event = http_api_event(
        "POST",
        "/v1/token",
        json!({"content-type": FORM}),
        Some(&body),
        false,
    );
    let response =
        handle_token_request(&endpoint, lambda_http::request::from_str(&event).unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(body_json(&response)["token_type"], "Bearer");
}

#[tokio::test]
async fn http_api_event_with_a_base64_body_issues_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let event = http_api_event(
        "POST",
        "/oauth/v2/token",
        json!({"content-type": FORM}),
        Some(&body),
        true,
    );
    let response =
        handle_token_request(&endpoint, lambda_http::request::from_str(&event).unwrap()).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn rest_api_event_under_a_stage_routes_by_path_suffix() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let auth = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
    let event = rest_api_event(
        "POST",
        "/oauth/v2/token",
        json!({"Content-Type": FORM, "Authorization": auth}),
        Some("grant_type=client_credentials"),
    );
    let response =
        handle_token_request(&endpoint, lambda_http::request::from_str(&event).unwrap()).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (endpoint, _, _) = endpoint_with_client().await;
    let event = http_api_event("POST", "/v1/other", json!({}), None, false);
    let response =
        handle_token_request(&endpoint, lambda_http::request::from_str(&event).unwrap()).await;
    assert_eq!(response.status(), 404);
    let event = http_api_event("PUT", "/v1/token", json!({}), None, false);
    let response =
        handle_token_request(&endpoint, lambda_http::request::from_str(&event).unwrap()).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(body_json(&response)["error"], "invalid_request");
}

#[tokio::test]
async fn discovery_serves_metadata_and_a_cacheable_jwks() {
    let settings = Settings::from_lookup(|name| match name {
        "TOKEN_ISSUER" => Some("https://auth.example.test".into()),
        "SIGNING_ALG" => Some("ES256".into()),
        _ => None,
    })
    .unwrap();
    let state = DiscoveryState {
        settings,
        keys: keys(),
    };
    let event = http_api_event(
        "GET",
        "/.well-known/openid-configuration",
        json!({}),
        None,
        false,
    );
    let response =
        handle_discovery_request(&state, lambda_http::request::from_str(&event).unwrap()).await;
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
    let response =
        handle_discovery_request(&state, lambda_http::request::from_str(&event).unwrap()).await;
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
