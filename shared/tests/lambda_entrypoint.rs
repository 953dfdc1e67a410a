//! The API Gateway translation layer fed real event shapes: HTTP API (payload 2.0) and REST API
//! (payload 1.0, with a stage prefix), plain and base64-encoded bodies.

use serde_json::{Value, json};
use std::sync::Arc;
use token_service::config::Settings;
use token_service::domain::client::AccessLevel;
use token_service::entrypoints::discovery::DiscoveryState;
use token_service::entrypoints::discovery::handle_discovery_request;
use token_service::entrypoints::token::handle_token_request;
use token_service::http::HttpResponse;
use token_service::keys::SigningAlgorithm;
use token_service::oauth::TokenEndpoint;
use token_service::store::memory::MemoryClientStore;
use token_service::testing::proxy_events::{form_post_event, http_api_event, rest_api_event};
use token_service::testing::{FORM_URLENCODED, TokenForm, basic, env, key_cache, registered};
use token_service::tokens::TokenSettings;

type Response = HttpResponse;

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
    handle_token_request(endpoint, serde_json::from_str(event).unwrap()).await
}

/// The discovery function's answer to an API Gateway event (JSON text).
async fn discovery_response(state: &DiscoveryState, event: &str) -> Response {
    handle_discovery_request(state, serde_json::from_str(event).unwrap()).await
}

fn body_json(response: &Response) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn http_api_event_with_a_plain_body_issues_a_token() {
    let (endpoint, id, secret) = endpoint_with_client().await;
    let body = TokenForm::credentials(&id, &secret).encode();
    let event = form_post_event("/v1/token", &body, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control").unwrap(), "no-store");
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
    assert_eq!(response.status, 200, "{}", response.body);
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
    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (endpoint, _, _) = endpoint_with_client().await;
    let event = http_api_event("POST", "/v1/other", json!({}), None, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status, 404);
    let event = http_api_event("PUT", "/v1/token", json!({}), None, false);
    let response = token_response(&endpoint, &event).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow").unwrap(), "POST");
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
    assert_eq!(response.status, 200);
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
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type").unwrap(),
        "application/jwk-set+json"
    );
    assert_eq!(
        response.header("cache-control").unwrap(),
        "public, max-age=300"
    );
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
