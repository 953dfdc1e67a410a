//! Legacy API keys in memory, beside a [`MemoryClientStore`] of clients. Importing a key and
//! removing a client's keys each hold the keys' lock while they set or clear the client's flag,
//! so the two never interleave.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{MemoryClientStore, lock};
use crate::domain::{LegacyApiKey, SecretHash};
use crate::store::{ApiKeyReader, ApiKeyRemover, ApiKeyStore, StoreError, sort_keys};

pub struct MemoryApiKeyStore {
    clients: Arc<MemoryClientStore>,
    /// By hex hash, so that listing is ordered.
    keys: Mutex<BTreeMap<String, LegacyApiKey>>,
}

impl MemoryApiKeyStore {
    pub fn new(clients: Arc<MemoryClientStore>) -> Self {
        MemoryApiKeyStore {
            clients,
            keys: Mutex::new(BTreeMap::new()),
        }
    }

    fn keys(&self) -> MutexGuard<'_, BTreeMap<String, LegacyApiKey>> {
        lock(&self.keys)
    }

    /// Setting the flag is always a write (as an import is); clearing one only if it is set.
    fn set_flag(&self, client_id: &str, value: bool) -> Result<(), StoreError> {
        self.clients.change(client_id, |client| {
            let writes = value || client.has_legacy_api_keys;
            client.has_legacy_api_keys = value;
            writes
        })
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
        let mut keys = self.keys();
        if keys.contains_key(&key.key_sha256.to_hex()) {
            return Err(StoreError::AlreadyExists);
        }
        self.set_flag(&key.client_id, true)?;
        keys.insert(key.key_sha256.to_hex(), key.clone());
        Ok(())
    }

    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
        let mut keys: Vec<LegacyApiKey> = self
            .keys()
            .values()
            .filter(|k| client_id.is_none_or(|id| k.client_id == id))
            .cloned()
            .collect();
        sort_keys(&mut keys);
        Ok(keys)
    }

    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError> {
        match self.keys().remove(&key_sha256.to_hex()) {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl ApiKeyRemover for MemoryApiKeyStore {
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError> {
        let mut keys = self.keys();
        let before = keys.len();
        keys.retain(|_, k| k.client_id != client_id);
        let removed = before - keys.len();
        match self.set_flag(client_id, false) {
            Ok(()) | Err(StoreError::NotFound) => Ok(removed),
            Err(error) => Err(error),
        }
    }
}
