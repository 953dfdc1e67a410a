//! "The current API keys for Customers who start utilizing the new authentication method will be
//! removed" (am-api-token-transition): the token endpoint's [`AfterIssue`] hook deletes a
//! client's legacy API keys once it has been issued an OAuth token.
//!
//! Clients without legacy keys (`has_legacy_api_keys` false, read with the client during
//! authentication) cost no store call at all. A failure is logged and leaves the flag set, so the
//! next token issue tries again; the token request itself always succeeds.

use std::sync::Arc;

use crate::clients::Client;
use crate::oauth::endpoint::AfterIssue;
use crate::store::api_keys::ApiKeyStore;

pub struct RemoveLegacyKeysOnIssue {
    keys: Arc<dyn ApiKeyStore>,
}

impl RemoveLegacyKeysOnIssue {
    pub fn new(keys: Arc<dyn ApiKeyStore>) -> Self {
        RemoveLegacyKeysOnIssue { keys }
    }
}

#[async_trait::async_trait]
impl AfterIssue for RemoveLegacyKeysOnIssue {
    async fn after_issue(&self, client: &Client) {
        if !client.has_legacy_api_keys {
            return;
        }
        match self.keys.remove_for_client(&client.client_id).await {
            Ok(removed) => tracing::info!(
                client_id = %client.client_id,
                removed,
                "legacy API keys removed: the client now uses OAuth"
            ),
            Err(error) => tracing::error!(
                client_id = %client.client_id,
                %error,
                "removing legacy API keys failed; the next token issue retries"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{AccessLevel, GrantType, StoredSecret};
    use crate::credentials::{SecretHash, hash_secret};
    use crate::store::api_keys::{ApiKeyReader, LegacyApiKey};
    use crate::store::memory::MemoryStore;
    use crate::store::memory_api_keys::MemoryApiKeyStore;
    use crate::store::{ClientReader, ClientStore, StoreError};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn client(id: &str) -> Client {
        Client {
            client_id: id.into(),
            secrets: vec![StoredSecret {
                hash: hash_secret("s"),
                expires_at: None,
            }],
            access_level: AccessLevel::Admin,
            labelpartner: None,
            allowed_grant_types: vec![GrantType::ClientCredentials],
            allowed_scopes: vec![],
            access_token_ttl: 3600,
            enabled: true,
            created_at: 0,
            has_legacy_api_keys: false,
        }
    }

    /// Counts calls, and fails the first `failures` removals.
    struct Flaky {
        inner: MemoryApiKeyStore,
        calls: AtomicUsize,
        failures: usize,
    }

    #[async_trait]
    impl ApiKeyReader for Flaky {
        async fn find(&self, h: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError> {
            self.inner.find(h).await
        }
    }

    #[async_trait]
    impl ApiKeyStore for Flaky {
        async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError> {
            self.inner.import_key(key).await
        }
        async fn list_keys(&self, id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
            self.inner.list_keys(id).await
        }
        async fn revoke_key(&self, h: &SecretHash) -> Result<(), StoreError> {
            self.inner.revoke_key(h).await
        }
        async fn remove_for_client(&self, id: &str) -> Result<usize, StoreError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                return Err(StoreError::Backend("throttled".into()));
            }
            self.inner.remove_for_client(id).await
        }
    }

    async fn setup(failures: usize) -> (Arc<MemoryStore>, Arc<Flaky>) {
        let clients = Arc::new(MemoryStore::default());
        clients.create(&client("legacy")).await.unwrap();
        clients.create(&client("modern")).await.unwrap();
        let keys = Arc::new(Flaky {
            inner: MemoryApiKeyStore::new(Arc::clone(&clients)),
            calls: AtomicUsize::new(0),
            failures,
        });
        keys.import_key(&LegacyApiKey::from_key("legacy-key-1111111111", "legacy", 0).unwrap())
            .await
            .unwrap();
        keys.import_key(&LegacyApiKey::from_key("legacy-key-2222222222", "legacy", 0).unwrap())
            .await
            .unwrap();
        (clients, keys)
    }

    #[tokio::test]
    async fn a_client_without_legacy_keys_costs_no_store_call() {
        let (clients, keys) = setup(0).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        let modern = clients.get("modern").await.unwrap().unwrap();
        hook.after_issue(&modern).await;
        assert_eq!(keys.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_first_token_removes_the_clients_keys_and_clears_the_flag() {
        let (clients, keys) = setup(0).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        let legacy = clients.get("legacy").await.unwrap().unwrap();
        assert!(legacy.has_legacy_api_keys);
        hook.after_issue(&legacy).await;
        assert!(keys.list_keys(Some("legacy")).await.unwrap().is_empty());
        let after = clients.get("legacy").await.unwrap().unwrap();
        assert!(!after.has_legacy_api_keys);
        // The next issue reads the cleared flag and makes no call.
        hook.after_issue(&after).await;
        assert_eq!(keys.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_removal_keeps_the_flag_and_the_next_issue_retries() {
        let (clients, keys) = setup(1).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        hook.after_issue(&clients.get("legacy").await.unwrap().unwrap())
            .await;
        let still = clients.get("legacy").await.unwrap().unwrap();
        assert!(still.has_legacy_api_keys);
        assert_eq!(keys.list_keys(Some("legacy")).await.unwrap().len(), 2);
        hook.after_issue(&still).await;
        assert!(keys.list_keys(Some("legacy")).await.unwrap().is_empty());
        assert!(
            !clients
                .get("legacy")
                .await
                .unwrap()
                .unwrap()
                .has_legacy_api_keys
        );
        assert_eq!(keys.calls.load(Ordering::SeqCst), 2);
    }
}
