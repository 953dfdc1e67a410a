//! The key set as a container holds it: loaded on first use, refreshed on an interval, and
//! refreshed early (rate-limited) when a token names a kid we do not know. A refresh that fails
//! keeps serving the keys already loaded.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::{KeyError, KeySet, KeySetSource};

pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(300);
/// A flood of tokens with random kids may trigger at most one extra load per this interval.
const DEFAULT_UNKNOWN_KID_REFRESH_GAP: Duration = Duration::from_secs(30);

struct Loaded {
    keys: Arc<KeySet>,
    loaded_at: Instant,
}

pub struct KeyCache {
    source: Arc<dyn KeySetSource>,
    refresh_interval: Duration,
    loaded: RwLock<Option<Loaded>>,
    last_unknown_kid_refresh: RwLock<Option<Instant>>,
    /// One load at a time: concurrent requests on a stale cache wait for the same load.
    reload: tokio::sync::Mutex<()>,
}

impl KeyCache {
    pub fn new(source: Arc<dyn KeySetSource>, refresh_interval: Duration) -> Self {
        KeyCache {
            source,
            refresh_interval,
            loaded: RwLock::new(None),
            last_unknown_kid_refresh: RwLock::new(None),
            reload: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<Arc<KeySet>> {
        let guard = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|l| l.loaded_at.elapsed() < self.refresh_interval)
            .map(|l| Arc::clone(&l.keys))
    }

    fn any(&self) -> Option<Arc<KeySet>> {
        let guard = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|l| Arc::clone(&l.keys))
    }

    /// The key set, loading or refreshing it when it is missing or older than the interval.
    pub async fn current(&self) -> Result<Arc<KeySet>, KeyError> {
        if let Some(keys) = self.fresh() {
            return Ok(keys);
        }
        let _one_load = self.reload.lock().await;
        if let Some(keys) = self.fresh() {
            return Ok(keys);
        }
        match self.load_now().await {
            Ok(keys) => Ok(keys),
            Err(error) => match self.any() {
                Some(stale) => {
                    tracing::error!(%error, "key set refresh failed; serving the keys already loaded");
                    self.touch();
                    Ok(stale)
                }
                None => Err(error),
            },
        }
    }

    /// Called when a token names a kid that the loaded set lacks: reloads at most once per
    /// 30 seconds, and otherwise returns the keys already held.
    pub async fn refresh_for_unknown_kid(&self) -> Result<Arc<KeySet>, KeyError> {
        if self.recently_forced() {
            return self.current().await;
        }
        let _one_load = self.reload.lock().await;
        if !self.claim_forced_refresh() {
            drop(_one_load);
            return self.current().await;
        }
        match self.load_now().await {
            Ok(keys) => Ok(keys),
            Err(error) => {
                tracing::error!(%error, "key set refresh for an unknown kid failed");
                self.any().ok_or(error)
            }
        }
    }

    fn recently_forced(&self) -> bool {
        let last = self
            .last_unknown_kid_refresh
            .read()
            .unwrap_or_else(|p| p.into_inner());
        last.is_some_and(|t| t.elapsed() < DEFAULT_UNKNOWN_KID_REFRESH_GAP)
    }

    /// Records a forced refresh unless one happened within the gap; true when the caller may go.
    fn claim_forced_refresh(&self) -> bool {
        let mut last = self
            .last_unknown_kid_refresh
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < DEFAULT_UNKNOWN_KID_REFRESH_GAP) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    async fn load_now(&self) -> Result<Arc<KeySet>, KeyError> {
        let document = self.source.load().await?;
        let keys = Arc::new(KeySet::from_document(&document)?);
        let mut guard = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        *guard = Some(Loaded {
            keys: Arc::clone(&keys),
            loaded_at: Instant::now(),
        });
        tracing::info!(current_kid = keys.signer().kid(), "key set loaded");
        Ok(keys)
    }

    /// After a failed refresh, wait a full interval before trying again rather than calling the
    /// failing source on every request.
    fn touch(&self) {
        let mut guard = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        if let Some(loaded) = guard.as_mut() {
            loaded.loaded_at = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlgorithm;
    use crate::testing::{CountingKeySource, key_document};

    /// A source of an EdDSA key set that fails every load from the `fail_after`-th on.
    fn source(fail_after: usize) -> Arc<CountingKeySource> {
        Arc::new(CountingKeySource::failing_after(
            key_document(SigningAlgorithm::EdDSA),
            fail_after,
        ))
    }

    #[tokio::test]
    async fn keys_are_loaded_once_within_the_interval() {
        let src = source(usize::MAX);
        let cache = KeyCache::new(src.clone(), Duration::from_secs(300));
        for _ in 0..100 {
            cache.current().await.unwrap();
        }
        assert_eq!(src.loads(), 1);
    }

    #[tokio::test]
    async fn stale_keys_are_reloaded_after_the_interval() {
        let src = source(usize::MAX);
        let cache = KeyCache::new(src.clone(), Duration::ZERO);
        cache.current().await.unwrap();
        cache.current().await.unwrap();
        assert_eq!(src.loads(), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_serving_loaded_keys() {
        let src = source(1);
        let cache = KeyCache::new(src.clone(), Duration::ZERO);
        let first = cache.current().await.unwrap();
        let second = cache.current().await.unwrap();
        assert_eq!(first.signer().kid(), second.signer().kid());
    }

    #[tokio::test]
    async fn a_failed_first_load_is_an_error() {
        let cache = KeyCache::new(source(0), Duration::from_secs(300));
        assert!(cache.current().await.is_err());
    }

    #[tokio::test]
    async fn unknown_kid_refreshes_are_rate_limited() {
        let src = source(usize::MAX);
        let cache = KeyCache::new(src.clone(), Duration::from_secs(300));
        cache.current().await.unwrap();
        for _ in 0..50 {
            cache.refresh_for_unknown_kid().await.unwrap();
        }
        assert_eq!(src.loads(), 2, "one initial load, one forced");
    }
}
