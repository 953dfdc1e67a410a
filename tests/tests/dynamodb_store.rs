//! The DynamoDB adapters on moto join the store conformance suites, and what only they promise.
//!
//! The client suite shares one clients table per run of this binary (its client ids are unique,
//! and a new run starts from an empty table even when moto keeps the tables of earlier runs); the
//! API-key suite asserts whole listings, so each of its tests gets tables of its own.

use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::{Arc, OnceLock};
use token_service::domain::Client;
use token_service::store::StoreError;
use token_service::testing::conformance::clients::labelpartner_client;
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

/// Applies `update_expression` (with `values`) to the client's item directly, as a hand edit or
/// another writer would, bypassing the adapter.
async fn edit_item(
    clients_table: &str,
    client_id: &str,
    update_expression: &str,
    values: &[(&str, AttributeValue)],
) {
    let mut update = moto_dynamodb()
        .await
        .update_item()
        .table_name(clients_table)
        .key("client_id", AttributeValue::S(client_id.into()))
        .update_expression(update_expression);
    for (name, value) in values {
        update = update.expression_attribute_values(*name, value.clone());
    }
    update.send().await.expect("the direct edit");
}

/// A stored client at the builder's labelpartner defaults, in tables of its own.
async fn stored_client(prefix: &str) -> (StoresUnderTest, String, Client) {
    let clients_table = unique_name("clients");
    let stores = stores_over(&clients_table, &unique_name("api-keys")).await;
    let created = labelpartner_client(&unique_name(prefix)).build();
    stores.clients().create(&created).await.expect("create");
    (stores, clients_table, created)
}

/// An old secret's expiry that is not a number must not read as "never expires".
#[tokio::test]
async fn a_secret_expiry_that_is_not_a_number_is_refused_on_read() {
    let (stores, table, created) = stored_client("corrupt-expiry").await;
    edit_item(
        &table,
        &created.client_id,
        "SET secrets[1].expires_at = :soon",
        &[(":soon", AttributeValue::S("soon".into()))],
    )
    .await;
    let read = stores.clients().get(&created.client_id).await;
    assert!(
        matches!(read, Err(StoreError::Backend(_))),
        "expected a store error, got {read:?}"
    );
}

/// A stored lifetime outside 60..=86400 s is refused, not used.
#[tokio::test]
async fn a_stored_lifetime_out_of_bounds_is_refused_on_read() {
    let (stores, table, created) = stored_client("corrupt-ttl").await;
    for ttl in ["0", "59", "86401", "4000000000", "-1"] {
        edit_item(
            &table,
            &created.client_id,
            "SET access_token_ttl = :ttl",
            &[(":ttl", AttributeValue::N(ttl.into()))],
        )
        .await;
        let read = stores.clients().get(&created.client_id).await;
        assert!(
            matches!(read, Err(StoreError::Backend(_))),
            "ttl {ttl}: expected a store error, got {read:?}"
        );
    }
}

/// An item written before versions (no `version` attribute) reads as version 0; an update
/// from that read works once, and the same stale read then conflicts.
#[tokio::test]
async fn a_client_item_without_a_version_updates_at_version_zero() {
    let (stores, table, created) = stored_client("before-versions").await;
    edit_item(&table, &created.client_id, "REMOVE version", &[]).await;
    let read = stores
        .clients()
        .get(&created.client_id)
        .await
        .expect("get")
        .expect("the client");
    assert_eq!(read, created);
    let disabled = Client {
        enabled: false,
        ..read.clone()
    };
    stores
        .clients()
        .update(&disabled)
        .await
        .expect("update at version 0");
    let stale = stores.clients().update(&read).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict)),
        "expected Conflict, got {stale:?}"
    );
    assert_eq!(
        stores.clients().get(&created.client_id).await.expect("get"),
        Some(Client {
            version: 1,
            ..disabled
        })
    );
}
