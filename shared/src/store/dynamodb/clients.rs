//! Clients in a DynamoDB table keyed by `client_id` (S). Writes are conditional, so a create
//! never overwrites an existing client, an update never resurrects a deleted one, and an update
//! replaces only the version it read (`version`, N; absent on items from before versions, which
//! read as 0). Every write increments `version`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use super::{Item, backend, get_consistent, n, on_condition_failed, s, scan_all};
use crate::domain::{Client, GrantType, SecretHash, StoredSecret};
use crate::store::{
    ClientReader, ClientStore, StoreError, checked_on_read, corrupt_client, validated,
};

/// The condition that the stored client is still at `version`; an item without the attribute
/// is at version 0. Uses the placeholder `:read`.
fn still_at_version(version: u64) -> &'static str {
    if version == 0 {
        "attribute_exists(client_id) AND (attribute_not_exists(version) OR version = :read)"
    } else {
        "attribute_exists(client_id) AND version = :read"
    }
}

/// The update-expression clause that increments the version, counting an absent one as 0.
/// Uses the placeholders `:zero` and `:one`.
pub(super) const NEXT_VERSION: &str = "version = if_not_exists(version, :zero) + :one";

pub struct DynamoDbClientStore {
    client: DynamoClient,
    table: String,
}

impl DynamoDbClientStore {
    /// Writes `client` as the whole item if `condition` holds, else fails with `when_not`.
    async fn put_if(
        &self,
        client: &Client,
        condition: &str,
        values: Option<Item>,
        when_not: StoreError,
    ) -> Result<(), StoreError> {
        validated(client)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(client)))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), when_not))?;
        Ok(())
    }

    /// Whether the client exists, read consistently (to tell a conflict from a deletion).
    async fn exists(&self, client_id: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("client_id", s(client_id))
            .projection_expression("client_id")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        Ok(output.item().is_some())
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
        ("version".into(), n(client.version)),
    ]);
    if let Some(lp) = &client.labelpartner {
        item.insert("labelpartner".into(), s(lp));
    }
    if let Some(cut_off) = client.tokens_not_before {
        item.insert("tokens_not_before".into(), n(cut_off));
    }
    item
}

fn from_item(item: &Item) -> Result<Client, StoreError> {
    let id = item
        .get("client_id")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let corrupt = |what: &str| corrupt_client(&id, &format!("missing or corrupt {what}"));
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
            // Absent means the secret does not expire; present but unreadable is corrupt,
            // never "does not expire".
            let expires_at = match m.get("expires_at") {
                None => None,
                Some(e) => Some(
                    e.as_n()
                        .ok()
                        .and_then(|e| e.parse().ok())
                        .ok_or_else(|| corrupt("secret expiry"))?,
                ),
            };
            Ok(StoredSecret { hash, expires_at })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    checked_on_read(Client {
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
        // Absent on items written before versions existed.
        version: match item.get("version") {
            None => 0,
            Some(v) => v
                .as_n()
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| corrupt("version"))?,
        },
        // Absent: no cut-off (and on items from before cut-offs existed).
        tokens_not_before: match item.get("tokens_not_before") {
            None => None,
            Some(_) => {
                Some(get_n("tokens_not_before").ok_or_else(|| corrupt("tokens_not_before"))?)
            }
        },
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
            None,
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
        let next = Client {
            version: client.version + 1,
            ..client.clone()
        };
        let read = HashMap::from([(":read".to_string(), n(client.version))]);
        let written = self
            .put_if(
                &next,
                still_at_version(client.version),
                Some(read),
                StoreError::Conflict,
            )
            .await;
        match written {
            Err(StoreError::Conflict) if !self.exists(&client.client_id).await? => {
                Err(StoreError::NotFound)
            }
            other => other,
        }
    }

    async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("client_id", s(client_id))
            .update_expression(format!("SET enabled = :disabled, {NEXT_VERSION}"))
            .condition_expression("attribute_exists(client_id)")
            .expression_attribute_values(":disabled", AttributeValue::Bool(false))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))?;
        Ok(())
    }
}
