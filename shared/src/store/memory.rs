//! An in-memory store: the fastest adapter for tests of the logic above the ports.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{ClientReader, ClientStore, StoreError, validated};
use crate::clients::Client;

#[derive(Default)]
pub struct MemoryStore {
    clients: Mutex<BTreeMap<String, Client>>,
}

impl MemoryStore {
    fn clients(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Client>> {
        // A poisoned lock only means another test thread panicked; the map is still whole.
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl ClientReader for MemoryStore {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self.clients().get(client_id).cloned())
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn create(&self, client: &Client) -> Result<(), StoreError> {
        validated(client)?;
        let mut clients = self.clients();
        if clients.contains_key(&client.client_id) {
            return Err(StoreError::AlreadyExists);
        }
        clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        Ok(self.clients().values().cloned().collect())
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        validated(client)?;
        match self.clients().get_mut(&client.client_id) {
            Some(existing) => {
                *existing = client.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }

    async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
        match self.clients().get_mut(client_id) {
            Some(existing) => {
                existing.enabled = false;
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
}
