//! Sessions and their refresh tokens in one DynamoDB table keyed by `pk` (S):
//!
//! - `session#<session_id>`: the session, with the hex hash of its one current token;
//! - `token#<hex SHA-256>`: every token ever issued, pointing at its session, so a rotated token
//!   that comes back is recognised as reuse.
//!
//! Both carry `expires_at` (Unix seconds), the table's TTL attribute: DynamoDB deletes them,
//! some time after the session's absolute end, at no write cost. Until it does they are still
//! read, and the session's own expiry refuses them.
//!
//! Rotation is one transaction: the next token's item (only if new) and the session's switch to
//! it, conditioned on the presented token still being current and the session not revoked. Of
//! concurrent rotations, the condition lets at most one through.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use std::collections::HashMap;

use super::{
    Attributes, Item, backend, build_failed, condition_failed_at, get_consistent, n,
    on_condition_failed, s,
};
use crate::domain::{RefreshTokenRecord, SecretHash, Session};
use crate::store::{SessionStore, StoreError};

const TOKEN_PREFIX: &str = "token#";

pub struct DynamoDbSessionStore {
    client: DynamoClient,
    table: String,
}

impl DynamoDbSessionStore {
    pub fn new(client: DynamoClient, sessions_table: impl Into<String>) -> Self {
        DynamoDbSessionStore {
            client,
            table: sessions_table.into(),
        }
    }

    /// A transaction action writing `item` only if its key is new.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_failed)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn session_key(session_id: &str) -> String {
    format!("session#{session_id}")
}

fn token_key(token_hash: &SecretHash) -> String {
    format!("{TOKEN_PREFIX}{}", token_hash.to_hex())
}

/// A token must name the session it is stored with; anything else is a caller's bug, refused
/// before it is written.
fn belongs_to(record: &RefreshTokenRecord, session_id: &str) -> Result<(), StoreError> {
    if record.session_id == session_id {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "the refresh token names another session".into(),
        ))
    }
}

fn session_item(session: &Session) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(session_key(&session.session_id))),
        ("session_id".into(), s(&session.session_id)),
        ("user_id".into(), s(&session.user_id)),
        ("client_id".into(), s(&session.client_id)),
        ("labelpartner".into(), s(&session.labelpartner)),
        (
            "scopes".into(),
            AttributeValue::L(session.scopes.iter().map(s).collect()),
        ),
        ("auth_time".into(), n(session.auth_time)),
        ("user_epoch".into(), n(session.user_epoch)),
        ("created_at".into(), n(session.created_at)),
        ("expires_at".into(), n(session.expires_at)),
        ("current_token".into(), s(session.current_token.to_hex())),
        (
            "current_token_expires_at".into(),
            n(session.current_token_expires_at),
        ),
        ("generation".into(), n(session.generation)),
    ]);
    if let Some(revoked_at) = session.revoked_at {
        item.insert("revoked_at".into(), n(revoked_at));
    }
    item
}

fn token_item(record: &RefreshTokenRecord) -> Item {
    HashMap::from([
        ("pk".to_string(), s(token_key(&record.token_hash))),
        ("session_id".into(), s(&record.session_id)),
        ("issued_at".into(), n(record.issued_at)),
        ("expires_at".into(), n(record.expires_at)),
    ])
}

fn session_from_item(item: &Item) -> Result<Session, StoreError> {
    let a = Attributes::of("session", item);
    Ok(Session {
        session_id: a.string("session_id")?,
        user_id: a.string("user_id")?,
        client_id: a.string("client_id")?,
        labelpartner: a.string("labelpartner")?,
        scopes: a.strings("scopes")?,
        auth_time: a.number("auth_time")?,
        user_epoch: a.number("user_epoch")?,
        created_at: a.number("created_at")?,
        expires_at: a.number("expires_at")?,
        current_token: a.hash("current_token")?,
        current_token_expires_at: a.number("current_token_expires_at")?,
        generation: a.number("generation")?,
        revoked_at: a.optional_number("revoked_at")?,
    })
}

fn token_from_item(item: &Item) -> Result<RefreshTokenRecord, StoreError> {
    let a = Attributes::of("refresh token", item);
    let token_hash = a
        .string("pk")?
        .strip_prefix(TOKEN_PREFIX)
        .and_then(SecretHash::from_hex)
        .ok_or_else(|| a.corrupt("pk"))?;
    Ok(RefreshTokenRecord {
        token_hash,
        session_id: a.string("session_id")?,
        issued_at: a.number("issued_at")?,
        expires_at: a.number("expires_at")?,
    })
}

#[async_trait]
impl SessionStore for DynamoDbSessionStore {
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshTokenRecord,
    ) -> Result<(), StoreError> {
        belongs_to(first, &session.session_id)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put_new(session_item(session))?)
            .transact_items(self.put_new(token_item(first))?)
            .send()
            .await;
        match result.map_err(|e| e.into_service_error()) {
            Ok(_) => Ok(()),
            Err(e) if condition_failed_at(&e, 0) || condition_failed_at(&e, 1) => {
                Err(StoreError::AlreadyExists)
            }
            Err(e) => Err(backend(e)),
        }
    }

    /// Two consistent reads: the token, then its session. A token whose session is gone (the
    /// TTL deletes the two independently) is no token.
    async fn find_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Session)>, StoreError> {
        let key = ("pk", s(token_key(token_hash)));
        let Some(record) = get_consistent(&self.client, &self.table, key, token_from_item).await?
        else {
            return Ok(None);
        };
        let key = ("pk", s(session_key(&record.session_id)));
        let session = get_consistent(&self.client, &self.table, key, session_from_item).await?;
        Ok(session.map(|session| (record, session)))
    }

    /// A failed session condition (stale token, revoked or unknown session) is
    /// [`StoreError::Conflict`]. A transaction cancelled for any other reason, such as another
    /// transaction holding the session (`TransactionConflict`), wrote nothing but did not find
    /// the token stale either: it is a backend failure, which the caller may retry with the
    /// same token, and not a Conflict, which would read as reuse.
    async fn rotate(
        &self,
        session_id: &str,
        presented: &SecretHash,
        next: &RefreshTokenRecord,
        next_expires_at: i64,
    ) -> Result<(), StoreError> {
        belongs_to(next, session_id)?;
        let switch = Update::builder()
            .table_name(&self.table)
            .key("pk", s(session_key(session_id)))
            .update_expression(
                "SET current_token = :next, current_token_expires_at = :next_expires_at \
                 ADD generation :one",
            )
            .condition_expression("current_token = :presented AND attribute_not_exists(revoked_at)")
            .expression_attribute_values(":next", s(next.token_hash.to_hex()))
            .expression_attribute_values(":next_expires_at", n(next_expires_at))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":presented", s(presented.to_hex()))
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put_new(token_item(next))?)
            .transact_items(TransactWriteItem::builder().update(switch).build())
            .send()
            .await;
        match result.map_err(|e| e.into_service_error()) {
            Ok(_) => Ok(()),
            // As the in-memory store: a next token already stored is the caller's mistake.
            Err(e) if condition_failed_at(&e, 0) => Err(StoreError::AlreadyExists),
            Err(e) if condition_failed_at(&e, 1) => Err(StoreError::Conflict),
            Err(e) => Err(backend(e)),
        }
    }

    /// `if_not_exists` keeps the first revocation's time; the condition keeps an unknown
    /// session from being created as a bare revoked item.
    async fn revoke_session(&self, session_id: &str, now: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(session_key(session_id)))
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result.map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))
        {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
