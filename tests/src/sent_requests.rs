//! What a DynamoDB SDK client sent, recorded by an interceptor: the operations by name, and
//! every item update (`UpdateItem`, and each `Update` inside `TransactWriteItems`) with the
//! attributes it names. The tests compare them with what they promise: a removal that never
//! scans, and updates that stay inside the template's `dynamodb:Attributes` limits (which moto
//! does not enforce, and AWS would answer with AccessDenied).

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::moto_sdk_config;
use crate::template::Grant;

/// One item update as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentUpdate {
    pub table: String,
    /// The item's key values (strings only: every key here is a string).
    pub key: Vec<String>,
    /// Every top-level attribute the update names: its key, and those in its update and
    /// condition expressions (placeholders resolved).
    pub attributes: BTreeSet<String>,
    pub return_values: Option<String>,
}

impl SentUpdate {
    /// Panics unless the grant's conditions allow this update: every attribute it names in
    /// `dynamodb:Attributes`, its key matching `dynamodb:LeadingKeys`, its return values in
    /// `dynamodb:ReturnValues`. A grant without an attribute limit fails too: the updates these
    /// tests check are the ones the template must limit.
    pub fn assert_allowed_by(&self, grant: &Grant) {
        let allowed = grant
            .condition_values("ForAllValues:StringEquals", "dynamodb:Attributes")
            .unwrap_or_else(|| panic!("{grant:?} limits no attributes"));
        let outside: Vec<_> = self
            .attributes
            .iter()
            .filter(|a| !allowed.contains(a))
            .collect();
        assert!(
            outside.is_empty(),
            "{self:?} names {outside:?}, outside the attributes {} may update: {allowed:?}",
            grant.function
        );
        if let Some(patterns) =
            grant.condition_values("ForAllValues:StringLike", "dynamodb:LeadingKeys")
        {
            for key in &self.key {
                assert!(
                    patterns.iter().any(|p| string_like(p, key)),
                    "{self:?}: key {key:?} outside {patterns:?}"
                );
            }
        }
        if let (Some(allowed), Some(asked)) = (
            grant.condition_values("StringEqualsIfExists", "dynamodb:ReturnValues"),
            &self.return_values,
        ) {
            assert!(
                allowed.contains(asked),
                "{self:?}: ReturnValues outside {allowed:?}"
            );
        }
    }
}

/// IAM's `StringLike` for the patterns the template uses: a literal, or a prefix and `*`.
fn string_like(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            assert!(
                !prefix.contains(['*', '?']),
                "pattern {pattern:?} not supported"
            );
            value.starts_with(prefix)
        }
        None => pattern == value,
    }
}

#[derive(Debug, Default)]
struct Sent {
    operations: Vec<String>,
    updates: Vec<SentUpdate>,
}

/// The interceptor, and what it recorded.
#[derive(Debug, Clone, Default)]
pub struct SentRequests(Arc<Mutex<Sent>>);

impl SentRequests {
    /// A DynamoDB client for moto that records what it sends here.
    pub async fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&moto_sdk_config().await)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    pub fn operations(&self) -> Vec<String> {
        self.sent().operations.clone()
    }

    pub fn updates(&self) -> Vec<SentUpdate> {
        self.sent().updates.clone()
    }

    fn sent(&self) -> std::sync::MutexGuard<'_, Sent> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Intercept for SentRequests {
    fn name(&self) -> &'static str {
        "SentRequests"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut sent = self.sent();
        if let Some(operation) = cfg.load::<Metadata>() {
            sent.operations.push(operation.name().to_string());
        }
        let input = context.input();
        if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            sent.updates.push(sent_update(
                update.table_name().unwrap_or_default(),
                update.key(),
                [update.update_expression(), update.condition_expression()],
                update.expression_attribute_names(),
                update.return_values().map(|r| r.as_str().to_string()),
            ));
        }
        if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            for update in transaction
                .transact_items()
                .iter()
                .filter_map(|i| i.update())
            {
                sent.updates.push(sent_update(
                    update.table_name(),
                    Some(update.key()),
                    [
                        Some(update.update_expression()),
                        update.condition_expression(),
                    ],
                    update.expression_attribute_names(),
                    None,
                ));
            }
        }
        Ok(())
    }
}

fn sent_update(
    table: &str,
    key: Option<&HashMap<String, AttributeValue>>,
    expressions: [Option<&str>; 2],
    names: Option<&HashMap<String, String>>,
    return_values: Option<String>,
) -> SentUpdate {
    let key = key.cloned().unwrap_or_default();
    let mut attributes: BTreeSet<String> = key.keys().cloned().collect();
    for expression in expressions.into_iter().flatten() {
        attributes.extend(attribute_names(expression, names));
    }
    SentUpdate {
        table: table.to_string(),
        key: key
            .values()
            .filter_map(|v| v.as_s().ok().cloned())
            .collect(),
        attributes,
        return_values,
    }
}

/// The words of an update or condition expression's grammar, which are not attribute names.
const EXPRESSION_WORDS: &[&str] = &[
    "SET",
    "REMOVE",
    "ADD",
    "DELETE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "BETWEEN",
    "if_not_exists",
    "list_append",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];

/// The top-level attribute names in `expression`: its identifiers, less grammar words and
/// `:value` placeholders, with `#name` placeholders resolved through `names`.
pub fn attribute_names(expression: &str, names: Option<&HashMap<String, String>>) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = expression;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric() || "_:#".contains(c)) {
        let word_len = rest[start + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(rest.len() - start, |n| n + 1);
        let word = &rest[start..start + word_len];
        rest = &rest[start + word_len..];
        if word.starts_with(':') || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Some(placeholder) = word.strip_prefix('#') {
            let resolved = names.and_then(|n| n.get(word)).cloned();
            found.push(resolved.unwrap_or_else(|| format!("#{placeholder}")));
        } else if !EXPRESSION_WORDS.contains(&word) {
            found.push(word.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_identifiers_less_grammar_and_values() {
        let names = HashMap::from([("#v".to_string(), "version".to_string())]);
        assert_eq!(
            attribute_names(
                "SET has_legacy_api_keys = :no, #v = if_not_exists(#v, :zero) + :one",
                Some(&names)
            ),
            ["has_legacy_api_keys", "version", "version"]
        );
        assert_eq!(
            attribute_names(
                "attribute_not_exists(key_count) OR key_count <= :zero",
                None
            ),
            ["key_count", "key_count"]
        );
        assert_eq!(
            attribute_names("ADD failed_logins :one SET last_failed_at = :now", None),
            ["failed_logins", "last_failed_at"]
        );
    }
}
