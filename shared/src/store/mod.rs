//! Storage ports and their adapters.
//!
//! Ports are sized to their callers: the token function reads clients ([`ClientReader`]) and
//! removes legacy API keys ([`ApiKeyRemover`]); the authorizer looks keys up
//! ([`ApiKeyReader`]); the CLI manages both ([`ClientStore`], [`ApiKeyStore`]). Each backend
//! folder implements every port it serves: [`sqlite`] (the embedded default, one file),
//! [`dynamodb`] (AWS) and [`memory`] (tests of the logic above the ports).

use async_trait::async_trait;

use crate::domain::{Client, LegacyApiKey, SecretHash};

pub mod dynamodb;
pub mod memory;
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with that id already exists")]
    AlreadyExists,
    #[error("no record with that id")]
    NotFound,
    #[error("the record is invalid: {0}")]
    Invalid(String),
    #[error("storage backend failed: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(error: impl std::fmt::Display) -> Self {
        StoreError::Backend(error.to_string())
    }
}

#[async_trait]
pub trait ClientReader: Send + Sync {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
}

#[async_trait]
pub trait ClientStore: ClientReader {
    /// Creates a client; never overwrites an existing client_id ([`StoreError::AlreadyExists`]).
    async fn create(&self, client: &Client) -> Result<(), StoreError>;
    async fn list(&self) -> Result<Vec<Client>, StoreError>;
    /// Replaces an existing client ([`StoreError::NotFound`] if there is none).
    async fn update(&self, client: &Client) -> Result<(), StoreError>;
    async fn disable(&self, client_id: &str) -> Result<(), StoreError>;
}

/// What the authorizer needs of the legacy API keys: one lookup by hash.
#[async_trait]
pub trait ApiKeyReader: Send + Sync {
    async fn find(&self, key_sha256: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError>;
}

/// What the token function needs: removing a client's keys once it uses OAuth.
#[async_trait]
pub trait ApiKeyRemover: Send + Sync {
    /// Deletes every key of a client, then clears the client's `has_legacy_api_keys`; returns how
    /// many keys were deleted. The flag is cleared only once the keys are gone, so a failure
    /// leaves it set and the next call retries.
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError>;
}

/// What the CLI needs: the whole life of the keys.
#[async_trait]
pub trait ApiKeyStore: ApiKeyReader + ApiKeyRemover {
    /// Stores the key and marks its client as holding legacy keys, both or neither.
    /// [`StoreError::NotFound`] when the client does not exist, [`StoreError::AlreadyExists`]
    /// when the same key is already stored (for any client).
    async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError>;

    /// Every key, or the keys of one client, ordered by client then hash.
    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError>;

    /// Deletes one key ([`StoreError::NotFound`] when it is not stored).
    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError>;
}

/// Every adapter checks a client before writing it, so no half-valid record is ever stored.
fn validated(client: &Client) -> Result<(), StoreError> {
    client
        .validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Keys in the order every adapter lists them: by client, then by hash.
fn sort_keys(keys: &mut [LegacyApiKey]) {
    keys.sort_by(|a, b| (&a.client_id, a.key_sha256.0).cmp(&(&b.client_id, b.key_sha256.0)));
}
