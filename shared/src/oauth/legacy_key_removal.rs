//! "The current API keys for Customers who start utilizing the new authentication method will be
//! removed" (am-api-token-transition): the token endpoint's [`AfterIssue`] hook deletes a
//! client's legacy API keys once it has been issued an OAuth token.
//!
//! Clients without legacy keys (`has_legacy_api_keys` false, read with the client during
//! authentication) cost no store call at all. A failure is logged and leaves the flag set, so the
//! next token issue tries again; the token request itself always succeeds.

use std::sync::Arc;

use super::endpoint::AfterIssue;
use crate::domain::Client;
use crate::store::ApiKeyRemover;

pub struct RemoveLegacyKeysOnIssue {
    keys: Arc<dyn ApiKeyRemover>,
}

impl RemoveLegacyKeysOnIssue {
    pub fn new(keys: Arc<dyn ApiKeyRemover>) -> Self {
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
    use crate::domain::LegacyApiKey;
    use crate::store::memory::{MemoryApiKeyStore, MemoryClientStore};
    use crate::store::{ApiKeyStore, ClientReader, ClientStore, StoreError};
    use crate::testing::client;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts calls, and fails the first `failures` removals.
    struct Flaky {
        inner: MemoryApiKeyStore,
        calls: AtomicUsize,
        failures: usize,
    }

    #[async_trait]
    impl ApiKeyRemover for Flaky {
        async fn remove_for_client(&self, id: &str) -> Result<usize, StoreError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                return Err(StoreError::Backend("throttled".into()));
            }
            self.inner.remove_for_client(id).await
        }
    }

    impl Flaky {
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }

        /// How many legacy keys the client `legacy` still has.
        async fn keys_left(&self) -> usize {
            self.inner.list_keys(Some("legacy")).await.unwrap().len()
        }
    }

    async fn setup(failures: usize) -> (Arc<MemoryClientStore>, Arc<Flaky>) {
        let clients = Arc::new(MemoryClientStore::default());
        for id in ["legacy", "modern"] {
            clients.create(&client(id).admin().build()).await.unwrap();
        }
        let inner = MemoryApiKeyStore::new(Arc::clone(&clients));
        for key in ["legacy-key-1111111111", "legacy-key-2222222222"] {
            inner
                .import_key(&LegacyApiKey::from_key(key, "legacy", 0).unwrap())
                .await
                .unwrap();
        }
        let keys = Arc::new(Flaky {
            inner,
            calls: AtomicUsize::new(0),
            failures,
        });
        (clients, keys)
    }

    #[tokio::test]
    async fn a_client_without_legacy_keys_costs_no_store_call() {
        let (clients, keys) = setup(0).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        let modern = clients.get("modern").await.unwrap().unwrap();
        hook.after_issue(&modern).await;
        assert_eq!(keys.calls(), 0);
    }

    #[tokio::test]
    async fn the_first_token_removes_the_clients_keys_and_clears_the_flag() {
        let (clients, keys) = setup(0).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        let legacy = clients.get("legacy").await.unwrap().unwrap();
        assert!(legacy.has_legacy_api_keys);
        hook.after_issue(&legacy).await;
        assert_eq!(keys.keys_left().await, 0);
        let after = clients.get("legacy").await.unwrap().unwrap();
        assert!(!after.has_legacy_api_keys);
        // The next issue reads the cleared flag and makes no call.
        hook.after_issue(&after).await;
        assert_eq!(keys.calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_removal_keeps_the_flag_and_the_next_issue_retries() {
        let (clients, keys) = setup(1).await;
        let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
        hook.after_issue(&clients.get("legacy").await.unwrap().unwrap())
            .await;
        let still = clients.get("legacy").await.unwrap().unwrap();
        assert!(still.has_legacy_api_keys);
        assert_eq!(keys.keys_left().await, 2);
        hook.after_issue(&still).await;
        assert_eq!(keys.keys_left().await, 0);
        assert!(
            !clients
                .get("legacy")
                .await
                .unwrap()
                .unwrap()
                .has_legacy_api_keys
        );
        assert_eq!(keys.calls(), 2);
    }
}
