//! DynamoDB on moto: the clients table the [`DynamoDbClientStore`] expects, created on demand.

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::sync::OnceLock;
use std::time::Duration;
use token_service::store::dynamodb::DynamoDbClientStore;

use crate::{moto_sdk_config, unique_name};

/// One clients table per test binary run: tests share it (their client ids are unique), and a
/// new run starts from an empty table even when moto keeps the tables of earlier runs.
pub fn shared_clients_table() -> &'static str {
    static TABLE: OnceLock<String> = OnceLock::new();
    TABLE.get_or_init(|| unique_name("clients"))
}

/// A DynamoDB client for moto. Each test builds its own: an SDK client keeps connections that
/// belong to the runtime of the test that made it.
pub async fn moto_dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_sdk_config().await)
}

/// Creates the clients table (`client_id` S HASH, on-demand billing) unless it exists, and waits
/// until it is active. Safe to call from tests racing to create the same table.
pub async fn ensure_clients_table(client: &aws_sdk_dynamodb::Client, table: &str) {
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
                    .attribute_name("client_id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap_or_else(|e| panic!("attribute definition: {e}")),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("client_id")
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

/// A [`DynamoDbClientStore`] on moto over `table`, created if missing.
pub async fn moto_dynamodb_store(table: &str) -> DynamoDbClientStore {
    let client = moto_dynamodb().await;
    ensure_clients_table(&client, table).await;
    DynamoDbClientStore::new(client, table)
}
