//! Clients in memory.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::lock;
use crate::domain::Client;
use crate::store::{ClientReader, ClientStore, StoreError, validated};

#[derive(Default)]
pub struct MemoryClientStore {
    clients: Mutex<BTreeMap<String, Client>>,
}

impl MemoryClientStore {
    fn clients(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Client>> {
        lock(&self.clients)
    }
}

#[async_trait]
impl ClientReader for MemoryClientStore {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self.clients().get(client_id).cloned())
    }
}

#[async_trait]
impl ClientStore for MemoryClientStore {
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
