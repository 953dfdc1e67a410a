//! Legacy API keys in memory, beside a [`MemoryStore`] of clients: for tests of the logic above
//! the ports.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::api_keys::{ApiKeyReader, ApiKeyStore, LegacyApiKey};
use super::memory::MemoryStore;
use super::{ClientReader, ClientStore, StoreError};
use crate::credentials::SecretHash;

pub struct MemoryApiKeyStore {
    clients: Arc<MemoryStore>,
    /// By hex hash, so that listing is ordered.
    keys: Mutex<BTreeMap<String, LegacyApiKey>>,
}

impl MemoryApiKeyStore {
    pub fn new(clients: Arc<MemoryStore>) -> Self {
        MemoryApiKeyStore {
            clients,
            keys: Mutex::new(BTreeMap::new()),
        }
    }

    fn keys(&self) -> MutexGuard<'_, BTreeMap<String, LegacyApiKey>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn set_flag(&self, client_id: &str, value: bool) -> Result<(), StoreError> {
        let mut client = self
            .clients
            .get(client_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        client.has_legacy_api_keys = value;
        self.clients.update(&client).await
    }
}

#[async_trait]
impl ApiKeyReader for MemoryApiKeyStore {
    async fn find(&self, key_sha256: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError> {
        Ok(self.keys().get(&key_sha256.to_hex()).cloned())
    }
}

#[async_trait]
impl ApiKeyStore for MemoryApiKeyStore {
    async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError> {
        if self.keys().contains_key(&key.key_sha256.to_hex()) {
            return Err(StoreError::AlreadyExists);
        }
        self.set_flag(&key.client_id, true).await?;
        self.keys().insert(key.key_sha256.to_hex(), key.clone());
        Ok(())
    }

    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
        let mut keys: Vec<LegacyApiKey> = self
            .keys()
            .values()
            .filter(|k| client_id.is_none_or(|id| k.client_id == id))
            .cloned()
            .collect();
        keys.sort_by(|a, b| {
            (&a.client_id, a.key_sha256.to_hex()).cmp(&(&b.client_id, b.key_sha256.to_hex()))
        });
        Ok(keys)
    }

    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError> {
        match self.keys().remove(&key_sha256.to_hex()) {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound),
        }
    }

    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError> {
        let removed = {
            let mut keys = self.keys();
            let before = keys.len();
            keys.retain(|_, k| k.client_id != client_id);
            before - keys.len()
        };
        match self.set_flag(client_id, false).await {
            Ok(()) | Err(StoreError::NotFound) => Ok(removed),
            Err(error) => Err(error),
        }
    }
}
