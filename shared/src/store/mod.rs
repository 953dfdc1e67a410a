//! Storage ports and their adapters.
//!
//! Ports are sized to what a caller needs: the token function only reads clients
//! ([`ClientReader`]); the CLI manages them ([`ClientStore`]).

use async_trait::async_trait;

use crate::clients::Client;

pub mod api_keys;
pub mod dynamodb;
pub mod dynamodb_api_keys;
pub mod memory;
pub mod memory_api_keys;
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

fn validated(client: &Client) -> Result<(), StoreError> {
    client
        .validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}
