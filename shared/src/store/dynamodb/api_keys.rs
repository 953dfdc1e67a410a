//! Legacy API keys in a DynamoDB table keyed by `key_sha256` (S, the hex SHA-256 of the key),
//! with `client_id` (S) and `created_at` (N), and an index `by-client` on `client_id`.
//!
//! The authorizer's lookup is one strongly consistent `GetItem`, so a revoked key stops working
//! at once. Removing a client's keys (the token function, on the client's first OAuth token)
//! queries the index, never scans the table. An index is only eventually consistent: it may not
//! show yet a key imported a moment ago. So each client also has a count of its keys, written in
//! the same transaction as every key written or deleted, and its flag is cleared only in a
//! transaction that finds that count at zero: a key the index missed keeps the flag set, and a
//! later token issue removes it.
//!
//! The count is the item `client#<client_id>` in the same table with `key_count` (N): its key is
//! never a hex hash (no lookup finds it) and it has no `client_id` (the index leaves it out).
//! Keys imported before counts existed drive a count below zero when they are deleted; the
//! clearing transaction deletes the count item, so it starts again from zero.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

use super::clients::NEXT_VERSION;
use super::{
    Item, backend, build_failed, condition_failed_at, get_consistent, n, query_all, s, scan_all,
};
use crate::domain::{LegacyApiKey, SecretHash};
use crate::store::{
    ApiKeyReader, ApiKeyRemover, ApiKeyStore, MAX_FLAG_ATTEMPTS, StoreError, sort_keys,
};

/// The index of a client's keys, as `infra/template.yaml` declares it.
pub const API_KEYS_BY_CLIENT_INDEX: &str = "by-client";

/// The prefix of a count item's `key_sha256`: `#` never occurs in a hex hash.
const COUNT_ITEM_PREFIX: &str = "client#";

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

    /// A client's keys, from the index (eventually consistent: see the module docs).
    async fn keys_of(&self, client_id: &str) -> Result<Vec<LegacyApiKey>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.keys_table)
            .index_name(API_KEYS_BY_CLIENT_INDEX)
            .key_condition_expression("client_id = :client_id")
            .expression_attribute_values(":client_id", s(client_id));
        let mut keys = query_all(query, from_item).await?;
        sort_keys(&mut keys);
        Ok(keys)
    }

    /// Every key of every client (the count items left out).
    async fn all_keys(&self) -> Result<Vec<LegacyApiKey>, StoreError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.keys_table)
            .filter_expression("attribute_exists(client_id)");
        let mut keys = scan_all(scan, from_item).await?;
        sort_keys(&mut keys);
        Ok(keys)
    }

    /// Adds `delta` to the client's key count (creating the count item at need).
    fn count_change(&self, client_id: &str, delta: i64) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.keys_table)
            .key("key_sha256", s(count_item_key(client_id)))
            .update_expression("ADD key_count :delta")
            .expression_attribute_values(":delta", n(delta))
            .build()
            .map_err(build_failed)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Deletes one key of `client_id` and counts it off, in one transaction; false when the key
    /// was already gone (revoked, or removed by a concurrent removal).
    async fn delete_counted(
        &self,
        client_id: &str,
        key_sha256: &SecretHash,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.keys_table)
            .key("key_sha256", s(key_sha256.to_hex()))
            .condition_expression("client_id = :client_id")
            .expression_attribute_values(":client_id", s(client_id))
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.count_change(client_id, -1)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = e.into_service_error();
                if condition_failed_at(&e, 0) {
                    Ok(false)
                } else {
                    Err(backend(e))
                }
            }
        }
    }

    /// Clears the client's flag in a transaction that also finds its key count at zero (and
    /// deletes the count item). [`StoreError::Conflict`] when keys are counted still: imported
    /// since the query, or not in the index yet. A client that is gone, or has no flag to
    /// clear, is left as it is.
    async fn clear_flag_if_no_keys(&self, client_id: &str) -> Result<(), StoreError> {
        let count = Delete::builder()
            .table_name(&self.keys_table)
            .key("key_sha256", s(count_item_key(client_id)))
            .condition_expression("attribute_not_exists(key_count) OR key_count <= :zero")
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(build_failed)?;
        let flag = Update::builder()
            .table_name(&self.clients_table)
            .key("client_id", s(client_id))
            .update_expression(format!("SET has_legacy_api_keys = :no, {NEXT_VERSION}"))
            .condition_expression("has_legacy_api_keys = :yes")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(count).build())
            .transact_items(TransactWriteItem::builder().update(flag).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if condition_failed_at(&e, 0) {
                    Err(StoreError::Conflict)
                } else if condition_failed_at(&e, 1) {
                    Ok(())
                } else {
                    Err(backend(e))
                }
            }
        }
    }
}

fn count_item_key(client_id: &str) -> String {
    format!("{COUNT_ITEM_PREFIX}{client_id}")
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
    /// One transaction: the key (only if its hash is new), one more on the client's key count,
    /// and the client's flag (only if the client exists).
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
            .transact_items(self.count_change(&key.client_id, 1)?)
            .transact_items(TransactWriteItem::builder().update(flag).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if condition_failed_at(&e, 2) {
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
        match client_id {
            Some(client_id) => self.keys_of(client_id).await,
            None => self.all_keys().await,
        }
    }

    /// Reads the key for its client, then deletes it and counts it off in one transaction.
    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError> {
        let key = self.find(key_sha256).await?.ok_or(StoreError::NotFound)?;
        if self.delete_counted(&key.client_id, key_sha256).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}

#[async_trait]
impl ApiKeyRemover for DynamoDbApiKeyStore {
    /// Deletes the keys the index shows, each counted off, then clears the flag once the count
    /// says no key is left. A key the index did not show yet, or one imported meanwhile, keeps
    /// the flag set after a few attempts: [`StoreError::Conflict`], so that the caller backs
    /// off before a later token issue tries again (a count that never reaches zero would
    /// otherwise cost a query and three transactions on every token); so does a failure
    /// part-way.
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError> {
        let mut removed = 0;
        for _ in 0..MAX_FLAG_ATTEMPTS {
            for key in self.keys_of(client_id).await? {
                if self.delete_counted(client_id, &key.key_sha256).await? {
                    removed += 1;
                }
            }
            match self.clear_flag_if_no_keys(client_id).await {
                Ok(()) => return Ok(removed),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        tracing::warn!(
            client_id,
            removed,
            "legacy keys are still counted for the client (imported meanwhile, or not yet in \
             the index); its flag stays set and a later token issue retries"
        );
        Err(StoreError::Conflict)
    }
}
