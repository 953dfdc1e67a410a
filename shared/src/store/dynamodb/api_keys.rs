//! Legacy API keys in a DynamoDB table keyed by `key_sha256` (S, the hex SHA-256 of the key),
//! with `client_id` (S) and `created_at` (N).
//!
//! The authorizer's lookup is one strongly consistent `GetItem`, so a revoked key stops working
//! at once. Listing and removing a client's keys scan the table: it only shrinks (no key is ever
//! issued again, and every client that switches to OAuth loses its keys), so a scan stays cheap
//! and no index has to be kept for the rare operations.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

use super::clients::{NEXT_VERSION, still_at_version};
use super::{
    Item, backend, build_failed, condition_failed_at, get_consistent, n, on_condition_failed, s,
    scan_all,
};
use crate::domain::{LegacyApiKey, SecretHash};
use crate::store::{
    ApiKeyReader, ApiKeyRemover, ApiKeyStore, MAX_FLAG_ATTEMPTS, StoreError, sort_keys,
};

/// DynamoDB accepts at most 100 actions in one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

pub struct DynamoDbApiKeyStore {
    client: DynamoClient,
    keys_table: String,
    clients_table: String,
}

impl DynamoDbApiKeyStore {
    pub fn new(
        client: DynamoClient,
        keys_table: impl Into<String>,
        clients_table: impl Into<String>,
    ) -> Self {
        DynamoDbApiKeyStore {
            client,
            keys_table: keys_table.into(),
            clients_table: clients_table.into(),
        }
    }

    async fn scan(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
        let mut scan = self.client.scan().table_name(&self.keys_table);
        if let Some(id) = client_id {
            scan = scan
                .filter_expression("client_id = :client_id")
                .expression_attribute_values(":client_id", s(id));
        }
        let mut keys = scan_all(scan, from_item).await?;
        sort_keys(&mut keys);
        Ok(keys)
    }

    /// The client's version and flag, read consistently; `None` when the client is gone.
    async fn flag_and_version(&self, client_id: &str) -> Result<Option<(bool, u64)>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.clients_table)
            .key("client_id", s(client_id))
            .projection_expression("has_legacy_api_keys, version")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let flag = matches!(
            item.get("has_legacy_api_keys"),
            Some(AttributeValue::Bool(true))
        );
        let version = match item.get("version") {
            None => 0,
            Some(v) => v.as_n().ok().and_then(|v| v.parse().ok()).ok_or_else(|| {
                StoreError::Backend(format!("client {client_id:?}: corrupt version"))
            })?,
        };
        Ok(Some((flag, version)))
    }

    /// Deletes every key of the client (up to 100 per transaction); returns how many.
    async fn delete_keys(&self, client_id: &str) -> Result<usize, StoreError> {
        let keys = self.scan(Some(client_id)).await?;
        for chunk in keys.chunks(MAX_TRANSACTION_ITEMS) {
            let mut deletes = Vec::with_capacity(chunk.len());
            for key in chunk {
                let delete = Delete::builder()
                    .table_name(&self.keys_table)
                    .key("key_sha256", s(key.key_sha256.to_hex()))
                    .build()
                    .map_err(build_failed)?;
                deletes.push(TransactWriteItem::builder().delete(delete).build());
            }
            self.client
                .transact_write_items()
                .set_transact_items(Some(deletes))
                .send()
                .await
                .map_err(|e| backend(e.into_service_error()))?;
        }
        Ok(keys.len())
    }

    /// Clears the flag if the client is still at `version`: [`StoreError::Conflict`] when a
    /// write (an import, say) came since it was read.
    async fn clear_flag(&self, client_id: &str, version: u64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.clients_table)
            .key("client_id", s(client_id))
            .update_expression(format!("SET has_legacy_api_keys = :no, {NEXT_VERSION}"))
            .condition_expression(still_at_version(version))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":read", n(version))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::Conflict))?;
        Ok(())
    }
}

fn to_item(key: &LegacyApiKey) -> Item {
    HashMap::from([
        ("key_sha256".to_string(), s(key.key_sha256.to_hex())),
        ("client_id".into(), s(&key.client_id)),
        ("created_at".into(), n(key.created_at)),
    ])
}

fn from_item(item: &Item) -> Result<LegacyApiKey, StoreError> {
    let get_s = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    let corrupt = |what: &str| StoreError::Backend(format!("api key: missing or corrupt {what}"));
    Ok(LegacyApiKey {
        key_sha256: get_s("key_sha256")
            .and_then(|h| SecretHash::from_hex(h))
            .ok_or_else(|| corrupt("key_sha256"))?,
        client_id: get_s("client_id")
            .cloned()
            .ok_or_else(|| corrupt("client_id"))?,
        created_at: item
            .get("created_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt("created_at"))?,
    })
}

#[async_trait]
impl ApiKeyReader for DynamoDbApiKeyStore {
    async fn find(&self, key_sha256: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError> {
        let key = ("key_sha256", s(key_sha256.to_hex()));
        get_consistent(&self.client, &self.keys_table, key, from_item).await
    }
}

#[async_trait]
impl ApiKeyStore for DynamoDbApiKeyStore {
    /// One transaction: the key (only if its hash is new) and the client's flag (only if the
    /// client exists).
    async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.keys_table)
            .set_item(Some(to_item(key)))
            .condition_expression("attribute_not_exists(key_sha256)")
            .build()
            .map_err(build_failed)?;
        let flag = Update::builder()
            .table_name(&self.clients_table)
            .key("client_id", s(&key.client_id))
            .update_expression(format!("SET has_legacy_api_keys = :yes, {NEXT_VERSION}"))
            .condition_expression("attribute_exists(client_id)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(flag).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if condition_failed_at(&e, 1) {
                    Err(StoreError::NotFound)
                } else if condition_failed_at(&e, 0) {
                    Err(StoreError::AlreadyExists)
                } else {
                    Err(backend(e))
                }
            }
        }
    }

    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
        self.scan(client_id).await
    }

    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.keys_table)
            .key("key_sha256", s(key_sha256.to_hex()))
            .condition_expression("attribute_exists(key_sha256)")
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))?;
        Ok(())
    }
}

#[async_trait]
impl ApiKeyRemover for DynamoDbApiKeyStore {
    /// Reads the client's version, deletes the keys, and only then clears the flag, on condition
    /// that the version is unchanged: a key imported after the read (which the scan may have
    /// missed) bumps the version, so its flag stays set. A failure part-way, or conflicts on
    /// every attempt, leave the flag set and the next token issue tries again.
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError> {
        let mut removed = 0;
        for _ in 0..MAX_FLAG_ATTEMPTS {
            let read = self.flag_and_version(client_id).await?;
            removed += self.delete_keys(client_id).await?;
            let Some((true, version)) = read else {
                // The client is gone, or holds no flag to clear.
                return Ok(removed);
            };
            match self.clear_flag(client_id, version).await {
                Ok(()) => return Ok(removed),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        tracing::warn!(
            client_id,
            "the client kept changing while its legacy keys were removed; its flag stays set"
        );
        Ok(removed)
    }
}
