//! Legacy API keys against both stores (SQLite, and DynamoDB on moto): the store operations,
//! acceptance by the authorizer until the sunset, and removal when the client obtains its first
//! OAuth token (am-api-token-transition). The same suite runs on each store.

use integration_tests::authorizer::{Shape, event, set_header};
use integration_tests::dynamodb::{ensure_clients_table, moto_dynamodb};
use integration_tests::unique_name;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use token_service::admin::clients::{IssuedCredentials, NewClient, register};
use token_service::authz::{AccessPolicy, LegacyApiKeyAuth, RequestAuthorizer};
use token_service::config::HttpApiResponse;
use token_service::domain::LegacyApiKey;
use token_service::domain::client::AccessLevel;
use token_service::domain::secret::hash_secret;
use token_service::domain::time::now_unix;
use token_service::entrypoints::authorizer::{AuthorizerFailure, AuthorizerHandler};
use token_service::keys::source::InMemoryKeySource;
use token_service::keys::{KeyCache, SigningAlgorithm, initial_document};
use token_service::oauth::RemoveLegacyKeysOnIssue;
use token_service::oauth::{TokenEndpoint, TokenEndpointKind, TokenRequest};
use token_service::store::ApiKeyStore;
use token_service::store::dynamodb::DynamoDbApiKeyStore;
use token_service::store::dynamodb::DynamoDbClientStore;
use token_service::store::sqlite::SqliteStore;
use token_service::store::{ClientStore, StoreError};
use token_service::tokens::{AccessTokenVerifier, TokenSettings};

const ISSUER: &str = "https://auth.example.test";
const AUDIENCE: &str = "am-api";

/// The two ports over one backend, and whatever keeps the backend alive.
struct Stores {
    clients: Arc<dyn ClientStore>,
    keys: Arc<dyn ApiKeyStore>,
    _keep: Box<dyn Send + Sync>,
}

async fn sqlite_stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("store.sqlite")).unwrap());
    Stores {
        clients: store.clone(),
        keys: store,
        _keep: Box::new(dir),
    }
}

/// Creates the api-keys table as infra/template.yaml declares it: `key_sha256` (S) hash key.
async fn ensure_api_keys_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::client::Waiters;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("key_sha256")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("key_sha256")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("create_table({table}): {:?}", e.into_service_error()));
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(30))
        .await
        .unwrap();
}

async fn dynamodb_stores() -> Stores {
    dynamodb_stores_and_clients_table().await.0
}

async fn dynamodb_stores_and_clients_table() -> (Stores, String) {
    let client = moto_dynamodb().await;
    let clients_table = unique_name("clients");
    let keys_table = unique_name("api-keys");
    ensure_clients_table(&client, &clients_table).await;
    ensure_api_keys_table(&client, &keys_table).await;
    let stores = Stores {
        clients: Arc::new(DynamoDbClientStore::new(client.clone(), &clients_table)),
        keys: Arc::new(DynamoDbApiKeyStore::new(
            client,
            keys_table,
            clients_table.clone(),
        )),
        _keep: Box::new(()),
    };
    (stores, clients_table)
}

async fn client(stores: &Stores, id: &str, level: AccessLevel) -> IssuedCredentials {
    let issued = register(
        NewClient {
            client_id: Some(id.into()),
            access_level: level,
            labelpartner: (level == AccessLevel::Labelpartner).then(|| "lp-1".to_string()),
            allowed_scopes: vec!["accounts:read".into()],
            allowed_grant_types: vec![],
            access_token_ttl: None,
        },
        now_unix(),
    )
    .unwrap();
    stores.clients.create(&issued.client).await.unwrap();
    issued
}

fn key(k: &str, client_id: &str) -> LegacyApiKey {
    LegacyApiKey::from_key(k, client_id, 1_700_000_000).unwrap()
}

async fn flag(stores: &Stores, id: &str) -> bool {
    stores
        .clients
        .get(id)
        .await
        .unwrap()
        .unwrap()
        .has_legacy_api_keys
}

fn cache() -> Arc<KeyCache> {
    let document = initial_document(SigningAlgorithm::EdDSA, now_unix()).unwrap();
    Arc::new(KeyCache::new(
        Arc::new(InMemoryKeySource(document)),
        Duration::from_secs(300),
    ))
}

fn handler(stores: &Stores, keys: Arc<KeyCache>, header: &str, sunset: i64) -> AuthorizerHandler {
    let authorizer = RequestAuthorizer::new(
        AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
        keys,
        AccessPolicy::default_policy().unwrap(),
    )
    .with_api_keys(LegacyApiKeyAuth {
        keys: stores.keys.clone(),
        clients: stores.clients.clone(),
        sunset,
    });
    AuthorizerHandler::new(authorizer, header, HttpApiResponse::Simple)
}

fn endpoint(stores: &Stores, keys: Arc<KeyCache>) -> TokenEndpoint {
    TokenEndpoint::new(
        stores.clients.clone(),
        keys,
        TokenSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
        },
    )
    .with_after_issue(Arc::new(RemoveLegacyKeysOnIssue::new(stores.keys.clone())))
}

async fn token_request(endpoint: &TokenEndpoint, issued: &IssuedCredentials) -> (u16, Value) {
    let body = format!(
        "client_id={}&client_secret={}",
        issued.client.client_id, issued.client_secret
    );
    let response = endpoint
        .handle(
            TokenEndpointKind::AccountManagementV1,
            TokenRequest {
                content_type: Some("application/x-www-form-urlencoded"),
                authorization: None,
                body: body.as_bytes(),
            },
        )
        .await;
    (
        response.status,
        serde_json::from_str(&response.body).unwrap(),
    )
}

async fn answer(handler: &AuthorizerHandler, e: Value) -> Result<Value, AuthorizerFailure> {
    handler
        .handle(e)
        .await
        .map(|r| serde_json::to_value(r).unwrap())
}

// ---- the suite --------------------------------------------------------------------------

async fn import_stores_only_the_hash_and_sets_the_clients_flag(stores: Stores) {
    client(&stores, "lp-client", AccessLevel::Labelpartner).await;
    assert!(!flag(&stores, "lp-client").await);
    let k = key("legacy-key-0000000000000001", "lp-client");
    stores.keys.import_key(&k).await.unwrap();
    assert!(flag(&stores, "lp-client").await);
    assert_eq!(
        stores
            .keys
            .find(&hash_secret("legacy-key-0000000000000001"))
            .await
            .unwrap(),
        Some(k)
    );
    assert_eq!(
        stores
            .keys
            .find(&hash_secret("legacy-key-0000000000000002"))
            .await
            .unwrap(),
        None
    );
}

async fn import_for_an_unknown_client_is_not_found_and_stores_nothing(stores: Stores) {
    let result = stores
        .keys
        .import_key(&key("legacy-key-0000000000000003", "nobody"))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert!(stores.keys.list_keys(None).await.unwrap().is_empty());
    assert_eq!(stores.clients.get("nobody").await.unwrap(), None);
}

async fn importing_a_stored_key_again_is_already_exists(stores: Stores) {
    client(&stores, "first", AccessLevel::Admin).await;
    client(&stores, "second", AccessLevel::Admin).await;
    stores
        .keys
        .import_key(&key("legacy-key-0000000000000004", "first"))
        .await
        .unwrap();
    let result = stores
        .keys
        .import_key(&key("legacy-key-0000000000000004", "second"))
        .await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "{result:?}"
    );
    assert!(!flag(&stores, "second").await);
    assert_eq!(stores.keys.list_keys(Some("second")).await.unwrap(), vec![]);
}

async fn list_and_revoke(stores: Stores) {
    client(&stores, "a-client", AccessLevel::Admin).await;
    client(&stores, "b-client", AccessLevel::Admin).await;
    let a1 = key("legacy-key-a000000000000001", "a-client");
    let a2 = key("legacy-key-a000000000000002", "a-client");
    let b1 = key("legacy-key-b000000000000001", "b-client");
    for k in [&b1, &a2, &a1] {
        stores.keys.import_key(k).await.unwrap();
    }
    let mut expected_a = vec![a1.clone(), a2.clone()];
    expected_a.sort_by_key(|k| k.key_sha256.to_hex());
    assert_eq!(
        stores.keys.list_keys(Some("a-client")).await.unwrap(),
        expected_a
    );
    let mut expected_all = expected_a.clone();
    expected_all.push(b1.clone());
    assert_eq!(stores.keys.list_keys(None).await.unwrap(), expected_all);
    stores.keys.revoke_key(&a1.key_sha256).await.unwrap();
    assert_eq!(
        stores.keys.list_keys(Some("a-client")).await.unwrap(),
        vec![a2]
    );
    assert!(matches!(
        stores.keys.revoke_key(&a1.key_sha256).await,
        Err(StoreError::NotFound)
    ));
}

async fn an_api_key_is_accepted_until_the_sunset_then_counts_as_no_credentials(stores: Stores) {
    client(&stores, "lp-client", AccessLevel::Labelpartner).await;
    stores
        .keys
        .import_key(&key("legacy-key-0000000000000005", "lp-client"))
        .await
        .unwrap();
    let keys = cache();
    let open = handler(&stores, keys.clone(), "X-Api-Key", now_unix() + 3600);
    let e = event(
        Shape::HttpApiV2,
        "GET",
        "/v1/labelpartners/lp-1/accounts",
        None,
        Some("legacy-key-0000000000000005"),
    );
    assert_eq!(
        answer(&open, e.clone()).await,
        Ok(json!({"isAuthorized": true, "context": {
            "sub": "lp-client", "client_id": "lp-client", "access_level": "labelpartner",
            "labelpartner": "lp-1", "scope": "accounts:read", "auth_method": "api_key"}}))
    );
    // The policy applies to API keys as to tokens.
    let other = event(
        Shape::RestRequest,
        "GET",
        "/v1/labelpartners/lp-2/accounts",
        None,
        Some("legacy-key-0000000000000005"),
    );
    let arn = other["methodArn"].as_str().unwrap().to_string();
    assert_eq!(
        answer(&open, other).await.unwrap()["policyDocument"]["Statement"][0],
        json!({"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": arn})
    );
    // An unknown key is no credential: 401 on a REST API.
    let unknown = event(
        Shape::RestRequest,
        "GET",
        "/v1/whoami",
        None,
        Some("legacy-key-9999999999999999"),
    );
    assert_eq!(
        answer(&open, unknown).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    // After the sunset the same key is treated as missing credentials.
    let closed = handler(&stores, keys, "X-Api-Key", now_unix() - 1);
    assert_eq!(answer(&closed, e).await, Ok(json!({"isAuthorized": false})));
    let rest = event(
        Shape::RestRequest,
        "GET",
        "/v1/whoami",
        None,
        Some("legacy-key-0000000000000005"),
    );
    assert_eq!(
        answer(&closed, rest).await,
        Err(AuthorizerFailure::Unauthorized)
    );
}

async fn the_api_key_header_is_configurable(stores: Stores) {
    client(&stores, "lp-client", AccessLevel::Labelpartner).await;
    stores
        .keys
        .import_key(&key("legacy-key-0000000000000006", "lp-client"))
        .await
        .unwrap();
    let h = handler(&stores, cache(), "X-Legacy-Key", now_unix() + 3600);
    let mut e = event(Shape::RestRequest, "GET", "/v1/whoami", None, None);
    set_header(
        Shape::RestRequest,
        &mut e,
        "X-Api-Key",
        Some("legacy-key-0000000000000006"),
    );
    assert_eq!(
        answer(&h, e.clone()).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    set_header(
        Shape::RestRequest,
        &mut e,
        "x-legacy-KEY",
        Some("legacy-key-0000000000000006"),
    );
    let allowed = answer(&h, e).await.unwrap();
    assert_eq!(allowed["context"]["auth_method"], "api_key");
}

async fn the_first_oauth_token_removes_the_clients_api_keys(stores: Stores) {
    let legacy = client(&stores, "legacy-client", AccessLevel::Labelpartner).await;
    let other = client(&stores, "other-client", AccessLevel::Labelpartner).await;
    for (k, owner) in [
        ("legacy-key-1000000000000001", "legacy-client"),
        ("legacy-key-1000000000000002", "legacy-client"),
        ("legacy-key-2000000000000001", "other-client"),
    ] {
        stores.keys.import_key(&key(k, owner)).await.unwrap();
    }
    let keys = cache();
    let h = handler(&stores, keys.clone(), "X-Api-Key", now_unix() + 3600);
    let with_key = |k: &str| event(Shape::RestRequest, "GET", "/v1/whoami", None, Some(k));
    assert!(
        answer(&h, with_key("legacy-key-1000000000000001"))
            .await
            .is_ok()
    );

    let endpoint = endpoint(&stores, keys);
    let (status, body) = token_request(&endpoint, &legacy).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        stores
            .keys
            .list_keys(Some("legacy-client"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!flag(&stores, "legacy-client").await);
    // Only that client's keys go.
    assert_eq!(
        stores
            .keys
            .list_keys(Some("other-client"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(flag(&stores, "other-client").await);
    // Its old keys are now no credential; its token works.
    assert_eq!(
        answer(&h, with_key("legacy-key-1000000000000001")).await,
        Err(AuthorizerFailure::Unauthorized)
    );
    let mut e = event(Shape::RestRequest, "GET", "/v1/whoami", None, None);
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    set_header(Shape::RestRequest, &mut e, "Authorization", Some(&bearer));
    assert_eq!(
        answer(&h, e).await.unwrap()["context"]["auth_method"],
        "oauth2"
    );
    // Later tokens are issued as before.
    assert_eq!(token_request(&endpoint, &legacy).await.0, 200);
    assert!(
        answer(&h, with_key("legacy-key-2000000000000001"))
            .await
            .is_ok()
    );
    drop(other);
}

macro_rules! suite {
    ($module:ident, $stores:expr) => {
        mod $module {
            use super::*;
            #[tokio::test]
            async fn import_stores_only_the_hash_and_sets_the_clients_flag() {
                super::import_stores_only_the_hash_and_sets_the_clients_flag($stores).await
            }
            #[tokio::test]
            async fn import_for_an_unknown_client_is_not_found_and_stores_nothing() {
                super::import_for_an_unknown_client_is_not_found_and_stores_nothing($stores).await
            }
            #[tokio::test]
            async fn importing_a_stored_key_again_is_already_exists() {
                super::importing_a_stored_key_again_is_already_exists($stores).await
            }
            #[tokio::test]
            async fn list_and_revoke() {
                super::list_and_revoke($stores).await
            }
            #[tokio::test]
            async fn an_api_key_is_accepted_until_the_sunset_then_counts_as_no_credentials() {
                super::an_api_key_is_accepted_until_the_sunset_then_counts_as_no_credentials(
                    $stores,
                )
                .await
            }
            #[tokio::test]
            async fn the_api_key_header_is_configurable() {
                super::the_api_key_header_is_configurable($stores).await
            }
            #[tokio::test]
            async fn the_first_oauth_token_removes_the_clients_api_keys() {
                super::the_first_oauth_token_removes_the_clients_api_keys($stores).await
            }
        }
    };
}

suite!(sqlite, sqlite_stores().await);
suite!(dynamodb, dynamodb_stores().await);

/// A removal that fails (here: the api-keys table is missing) never fails the token request; it
/// leaves the flag set, so the next token issue tries again.
#[tokio::test]
async fn a_failed_removal_on_dynamodb_keeps_the_token_and_the_flag_and_is_retried() {
    let stores = dynamodb_stores().await;
    let legacy = client(&stores, "legacy-client", AccessLevel::Admin).await;
    stores
        .keys
        .import_key(&key("legacy-key-3000000000000001", "legacy-client"))
        .await
        .unwrap();
    let client = moto_dynamodb().await;
    let clients_table = unique_name("clients");
    ensure_clients_table(&client, &clients_table).await;
    // Same clients, but the keys table the token function is pointed at does not exist.
    let broken = Stores {
        clients: stores.clients.clone(),
        keys: Arc::new(DynamoDbApiKeyStore::new(
            client,
            unique_name("missing-table"),
            clients_table,
        )),
        _keep: Box::new(()),
    };
    let keys = cache();
    let (status, body) = token_request(&endpoint(&broken, keys.clone()), &legacy).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    assert!(flag(&stores, "legacy-client").await);
    assert_eq!(
        stores
            .keys
            .list_keys(Some("legacy-client"))
            .await
            .unwrap()
            .len(),
        1
    );
    // Repaired: the next issue removes them.
    assert_eq!(
        token_request(&endpoint(&stores, keys), &legacy).await.0,
        200
    );
    assert!(
        stores
            .keys
            .list_keys(Some("legacy-client"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!flag(&stores, "legacy-client").await);
}

/// A client created before API keys existed (no `has_legacy_api_keys` attribute) reads as
/// having none, and importing a key for it works.
#[tokio::test]
async fn a_dynamodb_client_item_without_the_flag_reads_as_false() {
    let (stores, clients_table) = dynamodb_stores_and_clients_table().await;
    client(&stores, "old-client", AccessLevel::Admin).await;
    moto_dynamodb()
        .await
        .update_item()
        .table_name(&clients_table)
        .key(
            "client_id",
            aws_sdk_dynamodb::types::AttributeValue::S("old-client".into()),
        )
        .update_expression("REMOVE has_legacy_api_keys")
        .send()
        .await
        .unwrap();
    assert!(!flag(&stores, "old-client").await);
    stores
        .keys
        .import_key(&key("legacy-key-4000000000000001", "old-client"))
        .await
        .unwrap();
    assert!(flag(&stores, "old-client").await);
}
