//! Legacy API keys with DynamoDB (on moto) behind the authorizer and the token endpoint, as in
//! AWS (am-api-token-transition): the transition suite that memory and SQLite join in
//! `shared/tests/stores.rs`, and what only a remote store can do: fail part-way.
//!
//! The store operations themselves are the API-key conformance suite (`dynamodb_store.rs`).

use std::sync::Arc;
use token_service::store::dynamodb::DynamoDbApiKeyStore;
use token_service::testing::conformance::StoresUnderTest;
use token_service::testing::conformance::legacy_key_transition::{
    import_keys, labelpartner, signing_keys, token_endpoint, token_request,
};
use token_service::testing::unique_name;

use integration_tests::dynamodb::{moto_dynamodb, moto_dynamodb_stores};

/// Both stores over fresh tables, and the name of the clients table.
async fn fresh_tables() -> (StoresUnderTest, String) {
    let clients_table = unique_name("clients");
    let (clients, api_keys) = moto_dynamodb_stores(&clients_table, &unique_name("api-keys")).await;
    let stores = StoresUnderTest::new(Arc::new(clients), Arc::new(api_keys));
    (stores, clients_table)
}

token_service::legacy_key_transition_conformance!(async { fresh_tables().await.0 });

/// A removal that fails (here: the api-keys table is missing) never fails the token request; it
/// leaves the flag set, so the next token issue tries again.
#[tokio::test]
async fn a_failed_removal_on_dynamodb_keeps_the_token_and_the_flag_and_is_retried() {
    let (stores, clients_table) = fresh_tables().await;
    let legacy = labelpartner(&stores).await;
    let id = legacy.client.client_id.as_str();
    import_keys(
        stores.api_keys().as_ref(),
        &legacy,
        &["legacy-key-3000000000000001"],
    )
    .await;
    // Same clients, but the keys table the token function is pointed at does not exist.
    let broken = StoresUnderTest::new(
        stores.clients().clone(),
        Arc::new(DynamoDbApiKeyStore::new(
            moto_dynamodb().await,
            unique_name("missing-table"),
            clients_table,
        )),
    );
    let keys = signing_keys();
    let (status, body) = token_request(&token_endpoint(&broken, keys.clone()), &legacy).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    assert!(stores.has_legacy_api_keys(id).await);
    let remaining = stores.api_keys().list_keys(Some(id)).await.expect("list");
    assert_eq!(remaining.len(), 1);
    // Repaired: the next issue removes them.
    assert_eq!(
        token_request(&token_endpoint(&stores, keys), &legacy)
            .await
            .0,
        200
    );
    let remaining = stores.api_keys().list_keys(Some(id)).await.expect("list");
    assert!(remaining.is_empty());
    assert!(!stores.has_legacy_api_keys(id).await);
}
