//! DynamoDB on moto: the tables the adapters expect (as `infra/template.yaml` declares them),
//! created on demand, and the adapters over them.

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::time::Duration;
use token_service::store::dynamodb::{DynamoDbApiKeyStore, DynamoDbClientStore};

use crate::moto_sdk_config;

/// A DynamoDB client for moto. Each test builds its own: an SDK client keeps connections that
/// belong to the runtime of the test that made it.
pub async fn moto_dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_sdk_config().await)
}

/// Creates a table with the string hash key `key` and on-demand billing unless it exists, and
/// waits until it is active. Safe to call from tests racing to create the same table.
async fn ensure_table(client: &aws_sdk_dynamodb::Client, table: &str, key: &str) {
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
    if !exists {
        let created = client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap_or_else(|e| panic!("attribute definition: {e}")),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key)
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap_or_else(|e| panic!("key schema: {e}")),
            )
            .send()
            .await;
        if let Err(e) = created {
            let e = e.into_service_error();
            // Another test created it between our describe and our create.
            if !e.is_resource_in_use_exception() {
                panic!("create_table({table}) failed: {e:?}");
            }
        }
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("table {table} did not become active: {e:?}"));
}

/// Both adapters on moto over one clients table and one api-keys table, created if missing.
pub async fn moto_dynamodb_stores(
    clients_table: &str,
    api_keys_table: &str,
) -> (DynamoDbClientStore, DynamoDbApiKeyStore) {
    let client = moto_dynamodb().await;
    ensure_table(&client, clients_table, "client_id").await;
    ensure_table(&client, api_keys_table, "key_sha256").await;
    (
        DynamoDbClientStore::new(client.clone(), clients_table),
        DynamoDbApiKeyStore::new(client, api_keys_table, clients_table),
    )
}
