//! DynamoDB on moto: the tables the adapters expect (as `infra/template.yaml` declares them),
//! created on demand, and the adapters over them.

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use std::time::Duration;
use token_service::store::dynamodb::{
    API_KEYS_BY_CLIENT_INDEX, DynamoDbApiKeyStore, DynamoDbClientStore, DynamoDbSessionStore,
    DynamoDbUserStore, USERS_BY_LABELPARTNER_INDEX,
};

/// The sessions table's TTL attribute (Unix seconds), as `infra/template.yaml` sets it.
pub const SESSIONS_TTL_ATTRIBUTE: &str = "expires_at";

use crate::moto_sdk_config;

/// A DynamoDB client for moto. Each test builds its own: an SDK client keeps connections that
/// belong to the runtime of the test that made it.
pub async fn moto_dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_sdk_config().await)
}

/// Creates a table with the string hash key `key` and on-demand billing unless it exists, and
/// waits until it is active. Safe to call from tests racing to create the same table.
async fn ensure_table(client: &aws_sdk_dynamodb::Client, table: &str, key: &str) {
    let request = client
        .create_table()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(key))
        .key_schema(key_element(key, KeyType::Hash));
    ensure_created(client, table, request).await;
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap_or_else(|e| panic!("attribute definition: {e}"))
}

fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .unwrap_or_else(|e| panic!("key schema: {e}"))
}

/// Sends `request` for `table` unless the table exists, then waits until it is active. True
/// when this call created it.
async fn ensure_created(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    request: CreateTableFluentBuilder,
) -> bool {
    let exists = match client.describe_table().table_name(table).send().await {
        Ok(_) => true,
        Err(e) => {
            let e = e.into_service_error();
            if !e.is_resource_not_found_exception() {
                panic!("describe_table({table}) failed: {e:?}");
            }
            false
        }
    };
    let mut created = false;
    if !exists {
        match request.table_name(table).send().await {
            Ok(_) => created = true,
            Err(e) => {
                let e = e.into_service_error();
                // Another test created it between our describe and our create.
                if !e.is_resource_in_use_exception() {
                    panic!("create_table({table}) failed: {e:?}");
                }
            }
        }
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("table {table} did not become active: {e:?}"));
    created
}

/// A global secondary index projecting every attribute, keyed by `hash` (and `range`).
fn index(name: &str, hash: &str, range: Option<&str>) -> GlobalSecondaryIndex {
    let mut index = GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key_element(hash, KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        );
    if let Some(range) = range {
        index = index.key_schema(key_element(range, KeyType::Range));
    }
    index
        .build()
        .unwrap_or_else(|e| panic!("index {name}: {e}"))
}

/// The API-key table as `infra/template.yaml` declares it: `key_sha256`, and the index of a
/// client's keys.
async fn ensure_api_keys_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    let request = client
        .create_table()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("key_sha256"))
        .attribute_definitions(string_attribute("client_id"))
        .key_schema(key_element("key_sha256", KeyType::Hash))
        .global_secondary_indexes(index(API_KEYS_BY_CLIENT_INDEX, "client_id", None));
    ensure_created(client, table, request).await;
}

/// The users table as `infra/template.yaml` declares it: `pk`, and the index listing a
/// labelpartner's users by e-mail.
async fn ensure_users_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    let by_labelpartner = index(
        USERS_BY_LABELPARTNER_INDEX,
        "labelpartner",
        Some("email_normalized"),
    );
    let request = client
        .create_table()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("pk"))
        .attribute_definitions(string_attribute("labelpartner"))
        .attribute_definitions(string_attribute("email_normalized"))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(by_labelpartner);
    ensure_created(client, table, request).await;
}

/// The sessions table as `infra/template.yaml` declares it: `pk`, TTL on `expires_at`.
async fn ensure_sessions_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    let request = client
        .create_table()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("pk"))
        .key_schema(key_element("pk", KeyType::Hash));
    if ensure_created(client, table, request).await {
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(SESSIONS_TTL_ATTRIBUTE)
            .enabled(true)
            .build()
            .unwrap_or_else(|e| panic!("ttl specification: {e}"));
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .unwrap_or_else(|e| panic!("enabling TTL on {table}: {e:?}"));
    }
}

/// Both adapters on moto over one clients table and one api-keys table, created if missing.
pub async fn moto_dynamodb_stores(
    clients_table: &str,
    api_keys_table: &str,
) -> (DynamoDbClientStore, DynamoDbApiKeyStore) {
    let client = moto_dynamodb().await;
    ensure_table(&client, clients_table, "client_id").await;
    ensure_api_keys_table(&client, api_keys_table).await;
    (
        DynamoDbClientStore::new(client.clone(), clients_table),
        DynamoDbApiKeyStore::new(client, api_keys_table, clients_table),
    )
}

/// The sign-in adapters on moto over a users table and a sessions table, created if missing.
pub async fn moto_sign_in_stores(
    users_table: &str,
    sessions_table: &str,
) -> (DynamoDbUserStore, DynamoDbSessionStore) {
    let client = moto_dynamodb().await;
    ensure_users_table(&client, users_table).await;
    ensure_sessions_table(&client, sessions_table).await;
    (
        DynamoDbUserStore::new(client.clone(), users_table),
        DynamoDbSessionStore::new(client, sessions_table),
    )
}
