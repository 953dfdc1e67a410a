//! The DynamoDB adapters on moto join the store conformance suites, and what only they promise.
//!
//! The client suite shares one clients table per run of this binary (its client ids are unique,
//! and a new run starts from an empty table even when moto keeps the tables of earlier runs); the
//! API-key suite asserts whole listings, so each of its tests gets tables of its own.

use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::{Arc, OnceLock};
use token_service::domain::Client;
use token_service::store::dynamodb::DynamoDbApiKeyStore;
use token_service::store::{ApiKeyRemover, StoreError};
use token_service::testing::conformance::clients::labelpartner_client;
use token_service::testing::conformance::{StoresUnderTest, legacy_key};
use token_service::testing::{client, unique_name};

use integration_tests::dynamodb::{moto_dynamodb, moto_dynamodb_stores};
use integration_tests::sent_requests::SentRequests;
use integration_tests::template::grant;

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
// No race suite here: moto applies a transaction's checks and writes without isolation from
// concurrent requests (DynamoDB serialises them), so a 120-round race of removal against import
// fails on moto now and then for reasons AWS does not have. The interleavings that matter are
// tested one by one below: a key counted but not yet visible to the removal keeps the flag set,
// as one imported between the removal's query and its clearing does.

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

/// Two clients' keys in fresh tables: `owner` with `owned` keys, `bystander` with one.
async fn keys_of_two_clients(owned: usize) -> (StoresUnderTest, String, String) {
    let (clients_table, keys_table) = (unique_name("clients"), unique_name("api-keys"));
    let stores = stores_over(&clients_table, &keys_table).await;
    for id in ["owner", "bystander"] {
        stores
            .clients()
            .create(&labelpartner_client(id).build())
            .await
            .expect("create");
    }
    for i in 0..owned {
        let key = legacy_key(&format!("legacy-key-owner-{i:010}"), "owner");
        stores.api_keys().import_key(&key).await.expect("import");
    }
    let other = legacy_key("legacy-key-bystander-000001", "bystander");
    stores.api_keys().import_key(&other).await.expect("import");
    (stores, clients_table, keys_table)
}

/// Removes the owner's keys as a token issue does: how many went, and whether its flag is set.
/// What removing the owner's keys returned, and whether its flag is still set.
async fn remove_owners_keys(stores: &StoresUnderTest) -> (Result<usize, StoreError>, bool) {
    let removed = stores.api_keys().remove_for_client("owner").await;
    (removed, stores.has_legacy_api_keys("owner").await)
}

/// Finding 7: a token request that removes a client's keys reads the client's index, never the
/// whole table, however many keys other clients hold.
#[tokio::test]
async fn removing_a_clients_keys_queries_its_index_and_never_scans_the_table() {
    let (stores, clients_table, keys_table) = keys_of_two_clients(3).await;
    let sent = SentRequests::default();
    let api_keys =
        DynamoDbApiKeyStore::new(sent.dynamodb_client().await, &keys_table, &clients_table);

    assert_eq!(
        api_keys.remove_for_client("owner").await.expect("remove"),
        3
    );

    // One query, a transaction per key deleted (the key and its count), one to clear the flag.
    assert_eq!(
        sent.operations(),
        [
            "Query",
            "TransactWriteItems",
            "TransactWriteItems",
            "TransactWriteItems",
            "TransactWriteItems"
        ]
    );
    assert!(!stores.has_legacy_api_keys("owner").await);
    assert_eq!(
        stores.api_keys().list_keys(None).await.expect("list"),
        vec![legacy_key("legacy-key-bystander-000001", "bystander")]
    );
    assert!(stores.has_legacy_api_keys("bystander").await);
}

/// Adds `delta` to the client's key count directly, as a key that the index does not show yet
/// would have (the index is eventually consistent; moto's is not, so the test makes the gap).
async fn shift_key_count(keys_table: &str, client_id: &str, delta: i64) {
    moto_dynamodb()
        .await
        .update_item()
        .table_name(keys_table)
        .key(
            "key_sha256",
            AttributeValue::S(format!("client#{client_id}")),
        )
        .update_expression("ADD key_count :delta")
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
        .send()
        .await
        .expect("the direct edit");
}

/// A key the index does not show yet is not removed, so the flag must stay set for the next
/// token issue to remove it: the flag is cleared only when the consistent count reaches zero.
#[tokio::test]
async fn a_key_not_yet_in_the_index_keeps_the_flag_set_until_it_is_removed() {
    let (stores, _, keys_table) = keys_of_two_clients(2).await;
    shift_key_count(&keys_table, "owner", 1).await;

    // The two keys the index shows are gone, and the caller is told to back off.
    assert!(matches!(
        remove_owners_keys(&stores).await,
        (Err(StoreError::Conflict), true)
    ));
    let left = stores.api_keys().list_keys(Some("owner")).await;
    assert_eq!(left.expect("list"), vec![]);

    // The index catches up and shows nothing more: the next removal clears the flag.
    shift_key_count(&keys_table, "owner", -1).await;
    assert!(matches!(remove_owners_keys(&stores).await, (Ok(0), false)));
}

/// Keys stored before counts existed are removed as well, and counting starts afresh after.
#[tokio::test]
async fn keys_from_before_counts_are_removed_and_counting_starts_again() {
    let (stores, clients_table, keys_table) = keys_of_two_clients(0).await;
    let old = legacy_key("legacy-key-owner-before-001", "owner");
    moto_dynamodb()
        .await
        .put_item()
        .table_name(&keys_table)
        .item("key_sha256", AttributeValue::S(old.key_sha256.to_hex()))
        .item("client_id", AttributeValue::S(old.client_id.clone()))
        .item("created_at", AttributeValue::N(old.created_at.to_string()))
        .send()
        .await
        .expect("an item as an older version wrote it");
    edit_item(
        &clients_table,
        "owner",
        "SET has_legacy_api_keys = :yes",
        &[(":yes", AttributeValue::Bool(true))],
    )
    .await;

    assert!(matches!(remove_owners_keys(&stores).await, (Ok(1), false)));

    let new = legacy_key("legacy-key-owner-after-0001", "owner");
    stores.api_keys().import_key(&new).await.expect("import");
    assert_eq!(
        stores
            .api_keys()
            .list_keys(Some("owner"))
            .await
            .expect("list"),
        vec![new]
    );
    assert!(matches!(remove_owners_keys(&stores).await, (Ok(1), false)));
}

/// Finding 6: what the token function writes when it removes a client's keys stays inside the
/// template's IAM conditions for it (moto does not enforce them; AWS would deny the request).
#[tokio::test]
async fn the_token_functions_updates_stay_inside_its_iam_conditions() {
    let (_, clients_table, keys_table) = keys_of_two_clients(2).await;
    let sent = SentRequests::default();
    let api_keys =
        DynamoDbApiKeyStore::new(sent.dynamodb_client().await, &keys_table, &clients_table);
    api_keys.remove_for_client("owner").await.expect("remove");

    let on = |table: &str| grant("ClientTokenFunction", "dynamodb:UpdateItem", table);
    let (clients_grant, keys_grant) =
        (on("GetAtt ClientsTable.Arn"), on("GetAtt ApiKeysTable.Arn"));
    let updates = sent.updates();
    assert!(
        updates.iter().any(|u| u.table == clients_table),
        "{updates:?}"
    );
    assert!(updates.iter().any(|u| u.table == keys_table), "{updates:?}");
    for update in &updates {
        if update.table == clients_table {
            update.assert_allowed_by(&clients_grant);
        } else {
            assert_eq!(update.table, keys_table);
            update.assert_allowed_by(&keys_grant);
        }
    }
}
