//! DynamoDB: the store in AWS. One table per port (clients, legacy API keys, users, sessions);
//! every write that must not clobber is a conditional write, every read that decides access is
//! strongly consistent. The plumbing every table shares lives here: attribute helpers, the
//! mapping of a failed condition to a domain outcome, AWS error text, and scan and query
//! pagination.

mod api_keys;
mod clients;
mod sessions;
mod users;

pub use api_keys::{API_KEYS_BY_CLIENT_INDEX, DynamoDbApiKeyStore};
pub use clients::DynamoDbClientStore;
pub use sessions::DynamoDbSessionStore;
pub use users::{DynamoDbUserStore, USERS_BY_LABELPARTNER_INDEX};

use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use crate::domain::SecretHash;
use crate::store::StoreError;

type Item = HashMap<String, AttributeValue>;

/// An AWS error as a backend failure: its code and message, never the request's items.
fn backend(e: impl ProvideErrorMetadata) -> StoreError {
    StoreError::Backend(format!(
        "{}: {}",
        e.code().unwrap_or("unknown"),
        e.message().unwrap_or("no message")
    ))
}

/// A conditional write's failed condition means `outcome` (the record exists, or does not);
/// any other error is a backend failure.
fn on_condition_failed(e: impl ProvideErrorMetadata, outcome: StoreError) -> StoreError {
    if e.code() == Some("ConditionalCheckFailedException") {
        outcome
    } else {
        backend(e)
    }
}

/// Whether a cancelled transaction was cancelled because its action at `index` failed its
/// condition (and not, say, because another transaction held the item).
fn condition_failed_at(e: &TransactWriteItemsError, index: usize) -> bool {
    match e {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            cancelled
                .cancellation_reasons()
                .get(index)
                .and_then(|reason| reason.code())
                == Some("ConditionalCheckFailed")
        }
        _ => false,
    }
}

fn build_failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("building a DynamoDB request failed: {e}"))
}

/// Reads the attributes of one kind of item: a missing or mistyped one is a backend error that
/// names the kind and the attribute (never its value), not a panic.
struct Attributes<'a> {
    item: &'a Item,
    kind: &'static str,
}

impl<'a> Attributes<'a> {
    fn of(kind: &'static str, item: &'a Item) -> Self {
        Attributes { item, kind }
    }

    fn corrupt(&self, name: &str) -> StoreError {
        StoreError::Backend(format!("{} item: missing or corrupt {name}", self.kind))
    }

    fn string(&self, name: &str) -> Result<String, StoreError> {
        self.item
            .get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| self.corrupt(name))
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError> {
        self.item
            .get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| self.corrupt(name))
    }

    /// Absent is `None`; present but not a number is corrupt.
    fn optional_number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, StoreError> {
        match self.item.get(name) {
            None => Ok(None),
            Some(_) => self.number(name).map(Some),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, StoreError> {
        self.item
            .get(name)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .ok_or_else(|| self.corrupt(name))
    }

    fn hash(&self, name: &str) -> Result<SecretHash, StoreError> {
        SecretHash::from_hex(&self.string(name)?).ok_or_else(|| self.corrupt(name))
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.item
            .get(name)
            .and_then(|v| v.as_l().ok())
            .ok_or_else(|| self.corrupt(name))?
            .iter()
            .map(|v| v.as_s().cloned().map_err(|_| self.corrupt(name)))
            .collect()
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// One item by its key, read strongly consistent: a decision about access never sees a write
/// that has already been acknowledged as undone (a revoked key, a disabled client).
async fn get_consistent<T>(
    client: &DynamoClient,
    table: &str,
    key: (&str, AttributeValue),
    from_item: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let output = client
        .get_item()
        .table_name(table)
        .key(key.0, key.1)
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| backend(e.into_service_error()))?;
    output.item().map(from_item).transpose()
}

/// Every item of a (consistent) scan, page after page, each converted by `from_item`.
async fn scan_all<T>(
    scan: ScanFluentBuilder,
    from_item: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = scan
            .clone()
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        for item in page.items() {
            out.push(from_item(item)?);
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(out),
        }
    }
}

/// Every item a query matches, page after page, each converted by `from_item`. Not consistent:
/// an index cannot be read consistently, so only listings query.
async fn query_all<T>(
    query: QueryFluentBuilder,
    from_item: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        for item in page.items() {
            out.push(from_item(item)?);
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(out),
        }
    }
}
