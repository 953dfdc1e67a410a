//! End to end through `cargo lambda watch` (started by `make test`), on the production paths:
//! the real function binaries, the emulator's API Gateway events (which base64-encode form
//! bodies), the SQLite store and key file the functions were started with.

use integration_tests::e2e_store::register_e2e_client;
use integration_tests::lambda_endpoint;
use token_service::admin::clients::NewClient;
use token_service::testing::basic;
use token_service::testing::unique_name;

mod support;
use support::{get, header, http, send};

#[tokio::test]
async fn v1_token_with_credentials_in_the_body() {
    let base = lambda_endpoint();
    let issued =
        register_e2e_client(NewClient::labelpartner("lp-e2e").with_scopes(&["accounts:read"]))
            .await;
    let request = http()
        .post(format!("{base}/v1/token"))
        .header("accept", "application/json")
        .form(&[
            ("client_id", issued.client.client_id.as_str()),
            ("client_secret", issued.client_secret.as_str()),
            ("grant_type", "client_credentials"),
        ]);
    let (status, headers, body) = send(request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "accounts:read");
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(header(&headers, "pragma"), Some("no-cache"));
}

#[tokio::test]
async fn oauth_v2_token_with_http_basic() {
    let base = lambda_endpoint();
    let issued = register_e2e_client(
        NewClient::admin()
            .with_client_id(&unique_name("e2e-admin"))
            .with_scopes(&["accounts:read"]),
    )
    .await;
    let request = http()
        .post(format!("{base}/oauth/v2/token"))
        .basic_auth(&issued.client.client_id, Some(&issued.client_secret))
        .form(&[("grant_type", "client_credentials")]);
    let (status, _, body) = send(request).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn bad_basic_credentials_get_401_invalid_client_with_a_challenge() {
    let base = lambda_endpoint();
    let request = http()
        .post(format!("{base}/oauth/v2/token"))
        .header("authorization", basic("nobody", "wrong"))
        .form(&[("grant_type", "client_credentials")]);
    let (status, headers, body) = send(request).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
}

#[tokio::test]
async fn malformed_requests_get_400_with_an_oauth_error_code() {
    let base = lambda_endpoint();
    let client = http();
    let post = |path: &str| client.post(format!("{base}{path}"));
    for (request, code, what) in [
        (
            post("/oauth/v2/token").form(&[("client_id", "x"), ("client_secret", "y")]),
            "invalid_request",
            "missing grant_type",
        ),
        (
            post("/v1/token").form(&[
                ("grant_type", "password"),
                ("client_id", "x"),
                ("client_secret", "y"),
            ]),
            "unsupported_grant_type",
            "password grant",
        ),
        (
            post("/v1/token")
                .header("content-type", "application/json")
                .body(r#"{"client_id":"x","client_secret":"y"}"#),
            "invalid_request",
            "JSON body",
        ),
    ] {
        let (status, _, body) = send(request).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(code)),
            "{what}"
        );
    }
}

#[tokio::test]
async fn get_on_the_token_endpoint_is_405() {
    let base = lambda_endpoint();
    let (status, headers, body) = get(format!("{base}/v1/token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("invalid_request"))
    );
    assert_eq!(header(&headers, "allow"), Some("POST"));
}

#[tokio::test]
async fn discovery_document_describes_the_token_endpoint() {
    let base = lambda_endpoint();
    let (status, headers, doc) = get(format!("{base}/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], base.as_str());
    assert_eq!(doc["token_endpoint"], format!("{base}/oauth/v2/token"));
    assert_eq!(doc["jwks_uri"], format!("{base}/.well-known/jwks.json"));
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!(["client_credentials", "password", "refresh_token"])
    );
    assert_eq!(doc["revocation_endpoint"], format!("{base}/v2/revoke"));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert!(
        header(&headers, "cache-control")
            .unwrap()
            .contains("max-age=")
    );
    let (status, _, rfc8414) = get(format!("{base}/.well-known/oauth-authorization-server")).await;
    assert_eq!(status, 200);
    assert_eq!(rfc8414["issuer"], doc["issuer"]);
}

#[tokio::test]
async fn jwks_publishes_the_signing_key_with_cache_control() {
    let base = lambda_endpoint();
    let (status, headers, jwks) = get(format!("{base}/.well-known/jwks.json")).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=300")
    );
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "current and next");
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string() && key["n"].is_string() && key["e"].is_string());
        assert!(key.get("d").is_none(), "no private material");
    }
}
