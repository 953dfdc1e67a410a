//! The DynamoDB adapters on moto join the store conformance suites, and what only they promise.
//!
//! The client suite shares one clients table per run of this binary (its client ids are unique,
//! and a new run starts from an empty table even when moto keeps the tables of earlier runs); the
//! API-key suite asserts whole listings, so each of its tests gets tables of its own.

use std::sync::{Arc, OnceLock};
use token_service::testing::conformance::{StoresUnderTest, legacy_key};
use token_service::testing::{client, unique_name};

use integration_tests::dynamodb::{moto_dynamodb, moto_dynamodb_stores};

/// Both stores over tables named `clients_table` and `api_keys_table`, created if missing.
async fn stores_over(clients_table: &str, api_keys_table: &str) -> StoresUnderTest {
    let (clients, api_keys) = moto_dynamodb_stores(clients_table, api_keys_table).await;
    StoresUnderTest::new(Arc::new(clients), Arc::new(api_keys))
}

async fn shared_tables() -> StoresUnderTest {
    static TABLES: OnceLock<(String, String)> = OnceLock::new();
    let (clients, api_keys) =
        TABLES.get_or_init(|| (unique_name("clients"), unique_name("api-keys")));
    stores_over(clients, api_keys).await
}

async fn fresh_tables() -> StoresUnderTest {
    stores_over(&unique_name("clients"), &unique_name("api-keys")).await
}

token_service::client_store_conformance!(shared_tables());
token_service::api_key_store_conformance!(fresh_tables());
token_service::api_key_store_race_conformance!(fresh_tables());

/// A client created before API keys existed (no `has_legacy_api_keys` attribute) reads as
/// having none, and importing a key for it works.
#[tokio::test]
async fn a_dynamodb_client_item_without_the_flag_reads_as_false() {
    let clients_table = unique_name("clients");
    let stores = stores_over(&clients_table, &unique_name("api-keys")).await;
    stores
        .clients()
        .create(&client("old-client").admin().build())
        .await
        .expect("create");
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
        .expect("removing the attribute");
    assert!(!stores.has_legacy_api_keys("old-client").await);
    stores
        .api_keys()
        .import_key(&legacy_key("legacy-key-4000000000000001", "old-client"))
        .await
        .expect("import");
    assert!(stores.has_legacy_api_keys("old-client").await);
}
