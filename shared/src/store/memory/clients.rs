//! Clients in memory.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::lock;
use crate::domain::Client;
use crate::store::{ClientReader, ClientStore, StoreError, checked_on_read, validated};

#[derive(Default)]
pub struct MemoryClientStore {
    clients: Mutex<BTreeMap<String, Client>>,
}

impl MemoryClientStore {
    fn clients(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Client>> {
        lock(&self.clients)
    }

    /// Applies `change` to the stored client and, if it wrote anything (returned true),
    /// increments its version, in one step under the lock. [`StoreError::NotFound`] when there
    /// is no such client.
    pub(super) fn change(
        &self,
        client_id: &str,
        change: impl FnOnce(&mut Client) -> bool,
    ) -> Result<(), StoreError> {
        let mut clients = self.clients();
        let existing = clients.get_mut(client_id).ok_or(StoreError::NotFound)?;
        if change(existing) {
            existing.version += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl ClientReader for MemoryClientStore {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let found = self.clients().get(client_id).cloned();
        found.map(checked_on_read).transpose()
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
        let all: Vec<Client> = self.clients().values().cloned().collect();
        all.into_iter().map(checked_on_read).collect()
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        validated(client)?;
        let mut clients = self.clients();
        let existing = clients
            .get_mut(&client.client_id)
            .ok_or(StoreError::NotFound)?;
        if existing.version != client.version {
            return Err(StoreError::Conflict);
        }
        *existing = Client {
            version: client.version + 1,
            ..client.clone()
        };
        Ok(())
    }

    async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
        self.change(client_id, |client| {
            client.enabled = false;
            true
        })
    }
}
