//! Users in one DynamoDB table keyed by `pk` (S), holding two kinds of item:
//!
//! - `user#<user_id>`: the user, with `labelpartner` and `email_normalized` feeding the
//!   `by-labelpartner` index that lists a labelpartner's users in e-mail order;
//! - `email#<labelpartner>#<normalized e-mail>`: the e-mail's claim, holding the `user_id`.
//!
//! DynamoDB enforces uniqueness only on a key, so the claim item is what makes an e-mail unique
//! within its labelpartner: a user and its claim are written in one transaction, each only if
//! its key is new. Sign-in looks the e-mail up through the claim with consistent reads (an index
//! is only eventually consistent, and a sign-in must see a password change that has returned).
//! A labelpartner never contains `#`, so a claim key names one labelpartner unambiguously.
//!
//! Every change to a user is one conditional `UpdateItem` (`attribute_exists(pk)`, so an
//! unknown user is [`StoreError::NotFound`] and nothing is created); counters and the session
//! epoch use `ADD`, which DynamoDB applies atomically, so no change is a read-modify-write.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use std::collections::HashMap;

use super::{
    Attributes, Item, backend, build_failed, condition_failed_at, get_consistent, n,
    on_condition_failed, query_all, s,
};
use crate::domain::{LoginFailures, PasswordHash, User};
use crate::store::{StoreError, UserAccounts, UserStore, validated_user};

/// The index listing a labelpartner's users (hash `labelpartner`, range `email_normalized`).
/// Only user items carry both attributes, so claims never appear in it.
pub const USERS_BY_LABELPARTNER_INDEX: &str = "by-labelpartner";

/// The sets that clear a lockout; used with `:zero`.
const CLEAR_FAILURES: &str = "failed_logins = :zero, last_failed_at = :zero";

pub struct DynamoDbUserStore {
    client: DynamoClient,
    table: String,
}

impl DynamoDbUserStore {
    pub fn new(client: DynamoClient, users_table: impl Into<String>) -> Self {
        DynamoDbUserStore {
            client,
            table: users_table.into(),
        }
    }

    /// An `UpdateItem` of an existing user: the caller adds the expression and its values.
    fn update_user(&self, user_id: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_key(user_id)))
            .condition_expression("attribute_exists(pk)")
    }

    /// Sends an update built by [`Self::update_user`]; a failed condition means no such user.
    async fn change(&self, update: UpdateItemFluentBuilder) -> Result<(), StoreError> {
        update
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))?;
        Ok(())
    }

    /// Clears the consecutive failures: after a sign-in, and as the operator's unlock.
    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.change(
            self.update_user(user_id)
                .update_expression(format!("SET {CLEAR_FAILURES}"))
                .expression_attribute_values(":zero", n(0)),
        )
        .await
    }
}

fn user_key(user_id: &str) -> String {
    format!("user#{user_id}")
}

fn email_claim_key(labelpartner: &str, normalized_email: &str) -> String {
    format!("email#{labelpartner}#{normalized_email}")
}

fn to_item(user: &User) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(user_key(&user.user_id))),
        ("user_id".into(), s(&user.user_id)),
        ("labelpartner".into(), s(&user.labelpartner)),
        ("email".into(), s(&user.email)),
        ("email_normalized".into(), s(user.normalized_email())),
        ("password_hash".into(), s(user.password_hash.as_str())),
        ("enabled".into(), AttributeValue::Bool(user.enabled)),
        ("created_at".into(), n(user.created_at)),
        ("password_changed_at".into(), n(user.password_changed_at)),
        ("session_epoch".into(), n(user.session_epoch)),
        ("failed_logins".into(), n(user.login_failures.count)),
        (
            "last_failed_at".into(),
            n(user.login_failures.last_failed_at),
        ),
    ]);
    if let Some(cut_off) = user.tokens_not_before {
        item.insert("tokens_not_before".into(), n(cut_off));
    }
    item
}

fn claim_item(user: &User) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            s(email_claim_key(
                &user.labelpartner,
                &user.normalized_email(),
            )),
        ),
        ("user_id".into(), s(&user.user_id)),
    ])
}

/// The failure counter as DynamoDB holds it (a number `ADD` could take past `u32::MAX` only in
/// theory), saturated rather than refused: a locked account must stay locked.
fn login_failures(a: &Attributes) -> Result<LoginFailures, StoreError> {
    let count: u64 = a.number("failed_logins")?;
    Ok(LoginFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last_failed_at: a.number("last_failed_at")?,
    })
}

fn from_item(item: &Item) -> Result<User, StoreError> {
    let a = Attributes::of("user", item);
    Ok(User {
        user_id: a.string("user_id")?,
        labelpartner: a.string("labelpartner")?,
        email: a.string("email")?,
        password_hash: PasswordHash::parse(&a.string("password_hash")?)
            .map_err(|_| a.corrupt("password_hash"))?,
        enabled: a.boolean("enabled")?,
        created_at: a.number("created_at")?,
        password_changed_at: a.number("password_changed_at")?,
        session_epoch: a.number("session_epoch")?,
        login_failures: login_failures(&a)?,
        // Absent: no cut-off (and on items from before cut-offs existed).
        tokens_not_before: a.optional_number("tokens_not_before")?,
    })
}

fn claimed_user_id(item: &Item) -> Result<String, StoreError> {
    Attributes::of("e-mail claim", item).string("user_id")
}

#[async_trait]
impl UserAccounts for DynamoDbUserStore {
    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        let key = ("pk", s(user_key(user_id)));
        get_consistent(&self.client, &self.table, key, from_item).await
    }

    /// The claim, then the user it names. The user must still carry this labelpartner and
    /// e-mail; anything else (which no write of ours leaves behind) reads as no user.
    async fn find_by_email(
        &self,
        labelpartner: &str,
        normalized_email: &str,
    ) -> Result<Option<User>, StoreError> {
        let claim_key = ("pk", s(email_claim_key(labelpartner, normalized_email)));
        let Some(user_id) =
            get_consistent(&self.client, &self.table, claim_key, claimed_user_id).await?
        else {
            return Ok(None);
        };
        let user = self.get_user(&user_id).await?;
        Ok(user
            .filter(|u| u.labelpartner == labelpartner && u.normalized_email() == normalized_email))
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<LoginFailures, StoreError> {
        let output = self
            .update_user(user_id)
            .update_expression("ADD failed_logins :one SET last_failed_at = :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| on_condition_failed(e.into_service_error(), StoreError::NotFound))?;
        let empty = Item::new();
        login_failures(&Attributes::of(
            "updated user",
            output.attributes().unwrap_or(&empty),
        ))
    }

    async fn reset_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.clear_failures(user_id).await
    }

    /// Conditioned on the stored hash: a password set meanwhile is never overwritten. The
    /// failed condition returns the item when there is one, which tells "replaced meanwhile"
    /// (`false`) from "no such user" without a second read.
    async fn upgrade_password_hash(
        &self,
        user_id: &str,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_key(user_id)))
            .condition_expression("attribute_exists(pk) AND password_hash = :current")
            .update_expression("SET password_hash = :upgraded")
            .expression_attribute_values(":current", s(current.as_str()))
            .expression_attribute_values(":upgraded", s(upgraded.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result.map_err(|e| e.into_service_error()) {
            Ok(_) => Ok(true),
            Err(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                if failed.item().is_some() {
                    Ok(false)
                } else {
                    Err(StoreError::NotFound)
                }
            }
            Err(e) => Err(backend(e)),
        }
    }
}

#[async_trait]
impl UserStore for DynamoDbUserStore {
    /// The user and its e-mail claim in one transaction, each only if its key is new: a taken
    /// e-mail or user_id writes neither, so no claim is ever left without its user.
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        validated_user(user)?;
        let put_new = |item: Item| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
                .map_err(build_failed)
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put_new(to_item(user))?)
            .transact_items(put_new(claim_item(user))?)
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

    /// A query of the index, so eventually consistent: a user created a moment ago may be
    /// missing from the list (the CLI's concern only; sign-in never lists).
    async fn list_users(&self, labelpartner: &str) -> Result<Vec<User>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(USERS_BY_LABELPARTNER_INDEX)
            .key_condition_expression("labelpartner = :labelpartner")
            .expression_attribute_values(":labelpartner", s(labelpartner));
        query_all(query, from_item).await
    }

    async fn set_password(
        &self,
        user_id: &str,
        hash: &PasswordHash,
        now: i64,
    ) -> Result<(), StoreError> {
        self.change(
            self.update_user(user_id)
                .update_expression(format!(
                    "SET password_hash = :hash, password_changed_at = :now, {CLEAR_FAILURES} \
                     ADD session_epoch :one"
                ))
                .expression_attribute_values(":hash", s(hash.as_str()))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":one", n(1)),
        )
        .await
    }

    async fn set_enabled(&self, user_id: &str, enabled: bool) -> Result<(), StoreError> {
        let update = self
            .update_user(user_id)
            .expression_attribute_values(":enabled", AttributeValue::Bool(enabled));
        let update = if enabled {
            update.update_expression("SET enabled = :enabled")
        } else {
            update
                .update_expression("SET enabled = :enabled ADD session_epoch :one")
                .expression_attribute_values(":one", n(1))
        };
        self.change(update).await
    }

    async fn revoke_sessions(&self, user_id: &str) -> Result<(), StoreError> {
        self.change(
            self.update_user(user_id)
                .update_expression(format!("SET {CLEAR_FAILURES} ADD session_epoch :one"))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":one", n(1)),
        )
        .await
    }

    async fn unlock(&self, user_id: &str) -> Result<(), StoreError> {
        self.clear_failures(user_id).await
    }

    async fn revoke_tokens(&self, user_id: &str, now: i64) -> Result<i64, StoreError> {
        // Conditional rather than read-then-write: the cut-off only ever moves forward.
        let updated = self
            .update_user(user_id)
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(tokens_not_before) \
                 OR tokens_not_before < :now)",
            )
            .update_expression("SET tokens_not_before = :now")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(now),
            Err(e) => {
                let error = on_condition_failed(e.into_service_error(), StoreError::Conflict);
                if !matches!(error, StoreError::Conflict) {
                    return Err(error);
                }
                // Either no such user, or a cut-off at or after `now` is already stored.
                match self.get_user(user_id).await? {
                    Some(user) => user.tokens_not_before.ok_or(StoreError::Conflict),
                    None => Err(StoreError::NotFound),
                }
            }
        }
    }
}
