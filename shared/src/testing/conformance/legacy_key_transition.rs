//! The legacy-key transition (am-api-token-transition) over a backend's stores: the authorizer
//! accepts a client's API keys until the sunset, and the client's first OAuth token removes them.
//! The stores must start empty: the keys are fixed strings.
//!
//! The events are the smallest API Gateway sends that the handler reads (the recorded fixtures
//! are exercised by the authorizer's own tests): HTTP API payload 2.0 and REST API `REQUEST`.

use serde_json::{Map, Value, json};
use std::sync::Arc;

use super::{StoresUnderTest, legacy_key};
use crate::admin::clients::IssuedCredentials;
use crate::authz::{AccessPolicy, CallerStatus, LegacyApiKeyAuth, RequestAuthorizer};
use crate::config::HttpApiResponse;
use crate::domain::client::AccessLevel;
use crate::domain::time::now_unix;
use crate::entrypoints::authorizer::{AuthorizerFailure, AuthorizerHandler};
use crate::keys::{KeyCache, SigningAlgorithm};
use crate::oauth::{RemoveLegacyKeysOnIssue, TokenEndpoint};
use crate::store::ApiKeyStore;
use crate::testing::authorizer::{DEFAULT_FRESHNESS, answer};
use crate::testing::{TokenForm, key_cache, post_v1_token, registered};
use crate::tokens::{AccessTokenVerifier, TokenSettings};

const ISSUER: &str = "https://auth.example.test";
const AUDIENCE: &str = "am-api";

/// Expands into a module `legacy_key_transition_conformance` with one test per behaviour of
/// the transition; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! legacy_key_transition_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(legacy_key_transition_conformance, legacy_key_transition, $make;
            an_api_key_is_accepted_until_the_sunset_then_counts_as_no_credentials,
            the_api_key_header_is_configurable,
            the_first_oauth_token_removes_the_clients_api_keys,
        );
    };
}

/// A labelpartner client of `lp-1` with the scope `accounts:read`, stored, with its secret.
pub async fn labelpartner(stores: &StoresUnderTest) -> IssuedCredentials {
    registered(
        stores.clients().as_ref(),
        AccessLevel::Labelpartner,
        &["accounts:read"],
    )
    .await
}

/// Imports each key (in clear) for `client`.
pub async fn import_keys(keys: &dyn ApiKeyStore, client: &IssuedCredentials, in_clear: &[&str]) {
    for key in in_clear {
        keys.import_key(&legacy_key(key, &client.client.client_id))
            .await
            .unwrap_or_else(|e| panic!("import of a key failed: {e}"));
    }
}

/// The EdDSA key set the token endpoint signs with and the authorizer verifies with.
pub fn signing_keys() -> Arc<KeyCache> {
    key_cache(SigningAlgorithm::EdDSA)
}

/// The token endpoint over the stores, removing a client's legacy keys when it issues a token.
pub fn token_endpoint(stores: &StoresUnderTest, keys: Arc<KeyCache>) -> TokenEndpoint {
    TokenEndpoint::new(
        stores.clients().clone(),
        keys,
        TokenSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
        },
    )
    .with_after_issue(Arc::new(RemoveLegacyKeysOnIssue::new(
        stores.api_keys().clone(),
    )))
}

/// `POST /v1/token` with the client's credentials in the body: the status and the JSON body.
pub async fn token_request(endpoint: &TokenEndpoint, client: &IssuedCredentials) -> (u16, Value) {
    let form = TokenForm::credentials(&client.client.client_id, &client.client_secret);
    let response = post_v1_token(endpoint, &form).await;
    let json = serde_json::from_str(&response.body)
        .unwrap_or_else(|e| panic!("token response is no JSON ({e}): {}", response.body));
    (response.status, json)
}

/// The authorizer over the stores, reading API keys from `api_key_header` until `sunset`.
fn authorizer(
    stores: &StoresUnderTest,
    keys: Arc<KeyCache>,
    api_key_header: &str,
    sunset: i64,
) -> AuthorizerHandler {
    let authorizer = RequestAuthorizer::new(
        AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
        keys,
        AccessPolicy::default_policy().expect("the default policy"),
        CallerStatus::new(
            stores.clients().clone(),
            Arc::new(crate::store::memory::MemoryUserStore::default()),
            DEFAULT_FRESHNESS,
        ),
    )
    .with_api_keys(LegacyApiKeyAuth {
        keys: stores.api_keys().clone(),
        clients: stores.clients().clone(),
        sunset,
    });
    AuthorizerHandler::new(authorizer, api_key_header, HttpApiResponse::Simple)
}

/// Which API Gateway calls the authorizer.
#[derive(Clone, Copy)]
enum Api {
    /// HTTP API, payload format 2.0 (header names lower-cased).
    Http,
    /// REST API, `REQUEST` authorizer.
    Rest,
}

/// The event for `GET path` carrying exactly `headers`.
fn event(api: Api, path: &str, headers: &[(&str, &str)]) -> Value {
    let single: Map<String, Value> = headers
        .iter()
        .map(|(name, value)| match api {
            Api::Http => (name.to_ascii_lowercase(), json!(value)),
            Api::Rest => (name.to_string(), json!(value)),
        })
        .collect();
    match api {
        Api::Http => json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/GET{path}"),
            "routeKey": format!("GET {path}"),
            "rawPath": path,
            "headers": single,
            "requestContext": {"http": {"method": "GET", "path": path}},
        }),
        Api::Rest => {
            let multi: Map<String, Value> = headers
                .iter()
                .map(|(name, value)| (name.to_string(), json!([value])))
                .collect();
            json!({
                "type": "REQUEST",
                "methodArn": format!("arn:aws:execute-api:eu-west-1:123456789012:f6g7h8i9j0/prod/GET{path}"),
                "resource": path,
                "path": path,
                "httpMethod": "GET",
                "headers": single,
                "multiValueHeaders": multi,
                "requestContext": {"resourcePath": path, "httpMethod": "GET"},
            })
        }
    }
}

pub async fn an_api_key_is_accepted_until_the_sunset_then_counts_as_no_credentials(
    stores: &StoresUnderTest,
) {
    let client = labelpartner(stores).await;
    let id = client.client.client_id.as_str();
    import_keys(
        stores.api_keys().as_ref(),
        &client,
        &["legacy-key-0000000000000005"],
    )
    .await;
    let keys = signing_keys();
    let open = authorizer(stores, keys.clone(), "X-Api-Key", now_unix() + 3600);
    let with_key = |api, path| event(api, path, &[("X-Api-Key", "legacy-key-0000000000000005")]);
    let own_accounts = with_key(Api::Http, "/v1/labelpartners/lp-1/accounts");
    assert_eq!(
        answer(&open, own_accounts.clone()).await,
        Ok(json!({"isAuthorized": true, "context": {
            "sub": id, "client_id": id, "access_level": "labelpartner",
            "labelpartner": "lp-1", "scope": "accounts:read", "auth_method": "api_key"}}))
    );
    // The policy applies to API keys as to tokens.
    let other = with_key(Api::Rest, "/v1/labelpartners/lp-2/accounts");
    let arn = other["methodArn"].clone();
    assert_eq!(
        answer(&open, other).await.expect("a policy")["policyDocument"]["Statement"][0],
        json!({"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": arn})
    );
    // An unknown key is no credential: 401 on a REST API.
    let unknown = event(
        Api::Rest,
        "/v1/whoami",
        &[("X-Api-Key", "legacy-key-9999999999999999")],
    );
    assert_eq!(
        answer(&open, unknown).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    // After the sunset the same key is treated as missing credentials.
    let closed = authorizer(stores, keys, "X-Api-Key", now_unix() - 1);
    assert_eq!(
        answer(&closed, own_accounts).await,
        Ok(json!({"isAuthorized": false}))
    );
    assert_eq!(
        answer(&closed, with_key(Api::Rest, "/v1/whoami")).await,
        Err(AuthorizerFailure::Unauthorized)
    );
}

pub async fn the_api_key_header_is_configurable(stores: &StoresUnderTest) {
    let client = labelpartner(stores).await;
    import_keys(
        stores.api_keys().as_ref(),
        &client,
        &["legacy-key-0000000000000006"],
    )
    .await;
    let handler = authorizer(stores, signing_keys(), "X-Legacy-Key", now_unix() + 3600);
    let default_header = [("X-Api-Key", "legacy-key-0000000000000006")];
    assert_eq!(
        answer(&handler, event(Api::Rest, "/v1/whoami", &default_header)).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    let both_headers = [
        default_header[0],
        ("x-legacy-KEY", "legacy-key-0000000000000006"),
    ];
    let allowed = answer(&handler, event(Api::Rest, "/v1/whoami", &both_headers))
        .await
        .expect("an allow");
    assert_eq!(allowed["context"]["auth_method"], "api_key");
}

pub async fn the_first_oauth_token_removes_the_clients_api_keys(stores: &StoresUnderTest) {
    let keys_store = stores.api_keys();
    let legacy = labelpartner(stores).await;
    let other = labelpartner(stores).await;
    import_keys(
        keys_store.as_ref(),
        &legacy,
        &["legacy-key-1000000000000001", "legacy-key-1000000000000002"],
    )
    .await;
    import_keys(
        keys_store.as_ref(),
        &other,
        &["legacy-key-2000000000000001"],
    )
    .await;
    let legacy_id = legacy.client.client_id.as_str();
    let other_id = other.client.client_id.as_str();
    let keys = signing_keys();
    let handler = authorizer(stores, keys.clone(), "X-Api-Key", now_unix() + 3600);
    let whoami = |headers: &[(&str, &str)]| event(Api::Rest, "/v1/whoami", headers);
    let with_key = |key| whoami(&[("X-Api-Key", key)]);
    assert!(
        answer(&handler, with_key("legacy-key-1000000000000001"))
            .await
            .is_ok()
    );

    let endpoint = token_endpoint(stores, keys);
    let (status, body) = token_request(&endpoint, &legacy).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        keys_store
            .list_keys(Some(legacy_id))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(!stores.has_legacy_api_keys(legacy_id).await);
    // Only that client's keys go.
    assert_eq!(
        keys_store
            .list_keys(Some(other_id))
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(stores.has_legacy_api_keys(other_id).await);
    // Its old keys are now no credential; its token works.
    assert_eq!(
        answer(&handler, with_key("legacy-key-1000000000000001")).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    let access_token = body["access_token"].as_str().expect("an access token");
    let bearer = format!("Bearer {access_token}");
    assert_eq!(
        answer(&handler, whoami(&[("Authorization", &bearer)]))
            .await
            .expect("an allow")["context"]["auth_method"],
        "oauth2"
    );
    // Later tokens are issued as before.
    assert_eq!(token_request(&endpoint, &legacy).await.0, 200);
    assert!(
        answer(&handler, with_key("legacy-key-2000000000000001"))
            .await
            .is_ok()
    );
}
