//! "The current API keys for Customers who start utilizing the new authentication method will be
//! removed" (am-api-token-transition): the token endpoint's [`AfterIssue`] hook deletes a
//! client's legacy API keys once it has been issued an OAuth token.
//!
//! Clients without legacy keys (`has_legacy_api_keys` false, read with the client during
//! authentication) cost no store call at all. A failure is logged and leaves the flag set, so a
//! later token issue tries again; the token request itself always succeeds. Retries back off per
//! client within a container (1 s, doubling up to an hour), so a removal that keeps failing does
//! not add its store calls to every token request of that client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::endpoint::AfterIssue;
use crate::domain::Client;
use crate::domain::time::now_unix;
use crate::store::{ApiKeyRemover, StoreError};

const FIRST_RETRY_SECONDS: i64 = 1;
const MAX_RETRY_SECONDS: i64 = 3600;
/// Clients whose removal is failing, remembered per container; beyond this the memory is
/// forgotten (retrying early is safe, only more costly).
const MAX_REMEMBERED_FAILURES: usize = 1024;

/// When a client's removal may next be tried, after `failures` consecutive failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backoff {
    failures: u32,
    next_attempt: i64,
}

pub struct RemoveLegacyKeysOnIssue {
    keys: Arc<dyn ApiKeyRemover>,
    backoff: Mutex<HashMap<String, Backoff>>,
}

impl RemoveLegacyKeysOnIssue {
    pub fn new(keys: Arc<dyn ApiKeyRemover>) -> Self {
        RemoveLegacyKeysOnIssue {
            keys,
            backoff: Mutex::new(HashMap::new()),
        }
    }

    fn backoff(&self) -> std::sync::MutexGuard<'_, HashMap<String, Backoff>> {
        self.backoff.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hook at time `now` (Unix seconds).
    pub async fn after_issue_at(&self, client: &Client, now: i64) {
        if !client.has_legacy_api_keys {
            return;
        }
        if let Some(wait) = self.backoff().get(&client.client_id)
            && now < wait.next_attempt
        {
            return;
        }
        match self.keys.remove_for_client(&client.client_id).await {
            Ok(removed) => {
                self.backoff().remove(&client.client_id);
                tracing::info!(
                    client_id = %client.client_id,
                    removed,
                    "legacy API keys removed: the client now uses OAuth"
                );
            }
            // Keys imported meanwhile, or not yet visible to the removal: expected now and
            // then, not a failure of the store.
            Err(StoreError::Conflict) => {
                let next = self.record_failure(&client.client_id, now);
                tracing::warn!(
                    client_id = %client.client_id,
                    retry_after = next.next_attempt - now,
                    "legacy API keys are still counted for the client; a later token issue retries"
                );
            }
            Err(error) => {
                let next = self.record_failure(&client.client_id, now);
                tracing::error!(
                    client_id = %client.client_id,
                    %error,
                    retry_after = next.next_attempt - now,
                    "removing legacy API keys failed; a later token issue retries"
                );
            }
        }
    }

    fn record_failure(&self, client_id: &str, now: i64) -> Backoff {
        let mut backoff = self.backoff();
        if backoff.len() >= MAX_REMEMBERED_FAILURES && !backoff.contains_key(client_id) {
            backoff.clear();
        }
        let failures = backoff.get(client_id).map_or(0, |b| b.failures) + 1;
        let delay = FIRST_RETRY_SECONDS
            .saturating_mul(1_i64 << (failures - 1).min(20))
            .min(MAX_RETRY_SECONDS);
        let next = Backoff {
            failures,
            next_attempt: now.saturating_add(delay),
        };
        backoff.insert(client_id.to_string(), next);
        next
    }
}

#[async_trait::async_trait]
impl AfterIssue for RemoveLegacyKeysOnIssue {
    async fn after_issue(&self, client: &Client) {
        self.after_issue_at(client, now_unix()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LegacyApiKey;
    use crate::store::memory::{MemoryApiKeyStore, MemoryClientStore};
    use crate::store::{ApiKeyStore, ClientReader, ClientStore};
    use crate::testing::client;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts calls, and fails the first `failures` removals with `error`.
    struct Flaky {
        inner: MemoryApiKeyStore,
        calls: AtomicUsize,
        failures: usize,
        error: fn() -> StoreError,
    }

    #[async_trait]
    impl ApiKeyRemover for Flaky {
        async fn remove_for_client(&self, id: &str) -> Result<usize, StoreError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                return Err((self.error)());
            }
            self.inner.remove_for_client(id).await
        }
    }

    /// Two admin clients, `legacy` with two keys and `modern` with none, behind the hook;
    /// the key store fails its first `failures` removals.
    struct Fixture {
        clients: Arc<MemoryClientStore>,
        keys: Arc<Flaky>,
        hook: RemoveLegacyKeysOnIssue,
    }

    impl Fixture {
        async fn new(failures: usize) -> Self {
            Self::failing_with(failures, || StoreError::Backend("throttled".into())).await
        }

        async fn failing_with(failures: usize, error: fn() -> StoreError) -> Self {
            let clients = Arc::new(MemoryClientStore::default());
            clients
                .create(&client("legacy").admin().build())
                .await
                .unwrap();
            clients
                .create(&client("modern").admin().build())
                .await
                .unwrap();
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
                error,
            });
            let hook = RemoveLegacyKeysOnIssue::new(keys.clone());
            Fixture {
                clients,
                keys,
                hook,
            }
        }

        async fn client(&self, id: &str) -> Client {
            self.clients.get(id).await.unwrap().unwrap()
        }

        async fn keys_of_legacy(&self) -> usize {
            self.keys
                .inner
                .list_keys(Some("legacy"))
                .await
                .unwrap()
                .len()
        }

        fn calls(&self) -> usize {
            self.keys.calls.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn a_client_without_legacy_keys_costs_no_store_call() {
        let f = Fixture::new(0).await;
        f.hook.after_issue(&f.client("modern").await).await;
        assert_eq!(f.calls(), 0);
    }

    #[tokio::test]
    async fn the_first_token_removes_the_clients_keys_and_clears_the_flag() {
        let f = Fixture::new(0).await;
        let legacy = f.client("legacy").await;
        assert!(legacy.has_legacy_api_keys);
        f.hook.after_issue(&legacy).await;
        assert_eq!(f.keys_of_legacy().await, 0);
        let after = f.client("legacy").await;
        assert!(!after.has_legacy_api_keys);
        // The next issue reads the cleared flag and makes no call.
        f.hook.after_issue(&after).await;
        assert_eq!(f.calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_removal_keeps_the_flag_and_a_later_issue_retries() {
        let f = Fixture::new(1).await;
        f.hook.after_issue_at(&f.client("legacy").await, 100).await;
        let still = f.client("legacy").await;
        assert!(still.has_legacy_api_keys);
        assert_eq!(f.keys_of_legacy().await, 2);
        f.hook.after_issue_at(&still, 101).await;
        assert_eq!(f.keys_of_legacy().await, 0);
        assert!(!f.client("legacy").await.has_legacy_api_keys);
        assert_eq!(f.calls(), 2);
    }

    #[tokio::test]
    async fn keys_still_counted_keep_the_flag_and_the_next_attempt_waits_for_the_backoff() {
        let f = Fixture::failing_with(1, || StoreError::Conflict).await;
        let legacy = f.client("legacy").await;
        f.hook.after_issue_at(&legacy, 100).await;
        assert!(f.client("legacy").await.has_legacy_api_keys);
        // Within the first second of back-off no removal is tried, however many tokens.
        f.hook.after_issue_at(&legacy, 100).await;
        assert_eq!(f.calls(), 1);
        f.hook.after_issue_at(&legacy, 101).await;
        assert_eq!(f.calls(), 2);
        assert!(!f.client("legacy").await.has_legacy_api_keys);
    }

    #[tokio::test]
    async fn a_removal_that_keeps_failing_is_retried_with_a_doubling_backoff_not_on_every_issue() {
        let f = Fixture::new(usize::MAX).await;
        let legacy = f.client("legacy").await;
        let mut attempts_at = Vec::new();
        for now in 0..200 {
            let before = f.calls();
            f.hook.after_issue_at(&legacy, now).await;
            if f.calls() > before {
                attempts_at.push(now);
            }
        }
        assert_eq!(attempts_at, [0, 1, 3, 7, 15, 31, 63, 127]);
        assert!(legacy.has_legacy_api_keys && f.client("legacy").await.has_legacy_api_keys);
    }

    #[tokio::test]
    async fn the_backoff_is_per_client_and_ends_with_a_success() {
        let f = Fixture::new(1).await;
        let legacy = f.client("legacy").await;
        f.hook.after_issue_at(&legacy, 0).await;
        f.hook.after_issue_at(&legacy, 0).await;
        assert_eq!(f.calls(), 1, "backing off");
        f.hook.after_issue_at(&legacy, 1).await;
        assert_eq!(f.calls(), 2);
        assert!(
            f.hook.backoff().is_empty(),
            "a success forgets the failures"
        );
    }
}
