//! Clients in a DynamoDB table keyed by `client_id` (S). Writes are conditional, so a create
//! never overwrites an existing client and an update never resurrects a deleted one.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use super::{Item, get_consistent, n, on_condition_failed, s, scan_all};
use crate::domain::{Client, GrantType, SecretHash, StoredSecret};
use crate::store::{ClientReader, ClientStore, StoreError, validated};

pub struct DynamoDbClientStore {
    client: DynamoClient,
    table: String,
}

impl DynamoDbClientStore {
    /// Writes the whole client if `condition` holds, else fails with `when_not`.
    async fn put_if(
        &self,
        client: &Client,
        condition: &str,
        when_not: StoreError,
    ) -> Result<(), StoreError> {
        validated(client)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(client)))
            .condition_expression(condition)
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), when_not))?;
        Ok(())
    }

    pub fn new(client: DynamoClient, table: impl Into<String>) -> Self {
        DynamoDbClientStore {
            client,
            table: table.into(),
        }
    }
}

fn string_list(values: impl IntoIterator<Item = impl Into<String>>) -> AttributeValue {
    AttributeValue::L(values.into_iter().map(s).collect())
}

fn to_item(client: &Client) -> Item {
    let secrets = client
        .secrets
        .iter()
        .map(|secret| {
            let mut m = HashMap::from([("hash".to_string(), s(secret.hash.to_hex()))]);
            if let Some(expiry) = secret.expires_at {
                m.insert("expires_at".into(), n(expiry));
            }
            AttributeValue::M(m)
        })
        .collect();
    let mut item = HashMap::from([
        ("client_id".to_string(), s(&client.client_id)),
        ("secrets".into(), AttributeValue::L(secrets)),
        ("access_level".into(), s(client.access_level.as_str())),
        (
            "allowed_grant_types".into(),
            string_list(client.allowed_grant_types.iter().map(|g| g.as_str())),
        ),
        (
            "allowed_scopes".into(),
            string_list(client.allowed_scopes.iter().cloned()),
        ),
        ("access_token_ttl".into(), n(client.access_token_ttl)),
        ("enabled".into(), AttributeValue::Bool(client.enabled)),
        ("created_at".into(), n(client.created_at)),
        (
            "has_legacy_api_keys".into(),
            AttributeValue::Bool(client.has_legacy_api_keys),
        ),
    ]);
    if let Some(lp) = &client.labelpartner {
        item.insert("labelpartner".into(), s(lp));
    }
    item
}

fn from_item(item: &Item) -> Result<Client, StoreError> {
    let id = item
        .get("client_id")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let corrupt =
        |what: &str| StoreError::Backend(format!("client {id}: missing or corrupt {what}"));
    let get_s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let get_n = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    let get_list = |name: &str| -> Result<Vec<String>, StoreError> {
        item.get(name)
            .and_then(|v| v.as_l().ok())
            .ok_or_else(|| corrupt(name))?
            .iter()
            .map(|v| v.as_s().cloned().map_err(|_| corrupt(name)))
            .collect()
    };
    let secrets = item
        .get("secrets")
        .and_then(|v| v.as_l().ok())
        .ok_or_else(|| corrupt("secrets"))?
        .iter()
        .map(|v| {
            let m = v.as_m().map_err(|_| corrupt("secrets"))?;
            let hash = m
                .get("hash")
                .and_then(|h| h.as_s().ok())
                .and_then(|h| SecretHash::from_hex(h))
                .ok_or_else(|| corrupt("secrets"))?;
            let expires_at = m
                .get("expires_at")
                .and_then(|e| e.as_n().ok())
                .and_then(|e| e.parse().ok());
            Ok(StoredSecret { hash, expires_at })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Client {
        client_id: id.clone(),
        secrets,
        access_level: get_s("access_level")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| corrupt("access_level"))?,
        labelpartner: get_s("labelpartner"),
        allowed_grant_types: get_list("allowed_grant_types")?
            .iter()
            .map(|g| {
                g.parse::<GrantType>()
                    .map_err(|_| corrupt("allowed_grant_types"))
            })
            .collect::<Result<_, _>>()?,
        allowed_scopes: get_list("allowed_scopes")?,
        access_token_ttl: get_n("access_token_ttl")
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| corrupt("access_token_ttl"))?,
        enabled: item
            .get("enabled")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .ok_or_else(|| corrupt("enabled"))?,
        created_at: get_n("created_at").ok_or_else(|| corrupt("created_at"))?,
        // Absent on items written before legacy API keys existed.
        has_legacy_api_keys: item
            .get("has_legacy_api_keys")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
    })
}

#[async_trait]
impl ClientReader for DynamoDbClientStore {
    /// A strongly consistent read, so that disabling a client or rotating its secret takes
    /// effect on the very next token request.
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let key = ("client_id", s(client_id));
        get_consistent(&self.client, &self.table, key, from_item).await
    }
}

#[async_trait]
impl ClientStore for DynamoDbClientStore {
    async fn create(&self, client: &Client) -> Result<(), StoreError> {
        self.put_if(
            client,
            "attribute_not_exists(client_id)",
            StoreError::AlreadyExists,
        )
        .await
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        let scan = self.client.scan().table_name(&self.table);
        let mut clients = scan_all(scan, from_item).await?;
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        self.put_if(client, "attribute_exists(client_id)", StoreError::NotFound)
            .await
    }

    async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("client_id", s(client_id))
            .update_expression("SET enabled = :disabled")
            .condition_expression("attribute_exists(client_id)")
            .expression_attribute_values(":disabled", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))?;
        Ok(())
    }
}
