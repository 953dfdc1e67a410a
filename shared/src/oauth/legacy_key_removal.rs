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

    /// Two admin clients, `legacy` with two legacy keys and `modern` with none, and the hook
    /// over a key store that fails its first `failures` removals.
    struct Fixture {
        clients: Arc<MemoryClientStore>,
        keys: Arc<Flaky>,
        hook: RemoveLegacyKeysOnIssue,
    }

    impl Fixture {
        async fn new(failures: usize) -> Self {
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
            let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
            Fixture {
                clients,
                keys,
                hook,
            }
        }

        /// The client as the store holds it now, as a token request would read it.
        async fn stored(&self, client_id: &str) -> Client {
            self.clients.get(client_id).await.unwrap().unwrap()
        }
    }

    #[tokio::test]
    async fn a_client_without_legacy_keys_costs_no_store_call() {
        let f = Fixture::new(0).await;
        f.hook.after_issue(&f.stored("modern").await).await;
        assert_eq!(f.keys.calls(), 0);
    }

    #[tokio::test]
    async fn the_first_token_removes_the_clients_keys_and_clears_the_flag() {
        let f = Fixture::new(0).await;
        let legacy = f.stored("legacy").await;
        assert!(legacy.has_legacy_api_keys);
        f.hook.after_issue(&legacy).await;
        assert_eq!(f.keys.keys_left().await, 0);
        let after = f.stored("legacy").await;
        assert!(!after.has_legacy_api_keys);
        // The next issue reads the cleared flag and makes no call.
        f.hook.after_issue(&after).await;
        assert_eq!(f.keys.calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_removal_keeps_the_flag_and_the_next_issue_retries() {
        let f = Fixture::new(1).await;
        f.hook.after_issue(&f.stored("legacy").await).await;
        let still = f.stored("legacy").await;
        assert!(still.has_legacy_api_keys);
        assert_eq!(f.keys.keys_left().await, 2);
        f.hook.after_issue(&still).await;
        assert_eq!(f.keys.keys_left().await, 0);
        assert!(!f.stored("legacy").await.has_legacy_api_keys);
        assert_eq!(f.keys.calls(), 2);
    }
}
