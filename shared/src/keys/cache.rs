//! The key set as a container holds it: loaded on first use, refreshed on an interval, and
//! refreshed early (rate-limited) when a token names a kid we do not know.
//!
//! A load that fails is retried only after a back-off shared by every caller of the container
//! (1 s, doubling to 60 s), so an unreachable Secrets Manager sees at most one call a minute per
//! container, never one per request. Meanwhile the keys already loaded keep being served, but
//! only up to `max_stale` past the refresh interval: after that the cache fails closed, since a
//! container that cannot reload would otherwise keep a retired or compromised key for ever.
//!
//! Time is a parameter of the inner methods (`*_at`), so tests drive the clock.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::{KeyError, KeySet, KeySetSource};

pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(300);
/// How long past the refresh interval loaded keys are served while reloads fail.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(3600);
/// A flood of tokens with random kids may trigger at most one extra load per this interval.
const DEFAULT_UNKNOWN_KID_REFRESH_GAP: Duration = Duration::from_secs(30);
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
const LONGEST_RETRY_DELAY: Duration = Duration::from_secs(60);

struct Loaded {
    keys: Arc<KeySet>,
    loaded_at: Instant,
}

/// Consecutive failed loads and when the next may be tried.
#[derive(Default)]
struct BackOff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl BackOff {
    fn waiting(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|at| now < at)
    }

    fn record_failure(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = retry_delay(self.failures);
        self.retry_at = Some(now + delay);
        delay
    }
}

/// 1 s after the first failure, doubling, at most 60 s.
fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    FIRST_RETRY_DELAY
        .saturating_mul(1 << doublings)
        .min(LONGEST_RETRY_DELAY)
}

pub struct KeyCache {
    source: Arc<dyn KeySetSource>,
    refresh_interval: Duration,
    max_stale: Duration,
    loaded: RwLock<Option<Loaded>>,
    last_unknown_kid_refresh: RwLock<Option<Instant>>,
    /// One load at a time, and the back-off it guards: concurrent requests on a stale cache wait
    /// for the same load, and all of them see its failure.
    reload: tokio::sync::Mutex<BackOff>,
}

impl KeyCache {
    pub fn new(source: Arc<dyn KeySetSource>, refresh_interval: Duration) -> Self {
        KeyCache {
            source,
            refresh_interval,
            max_stale: DEFAULT_MAX_STALE,
            loaded: RwLock::new(None),
            last_unknown_kid_refresh: RwLock::new(None),
            reload: tokio::sync::Mutex::new(BackOff::default()),
        }
    }

    /// Serve loaded keys at most `max_stale` past the refresh interval while reloads fail.
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Keys loaded less than `within` before `now`.
    fn loaded_within(&self, within: Duration, now: Instant) -> Option<Arc<KeySet>> {
        let guard = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|l| now.saturating_duration_since(l.loaded_at) < within)
            .map(|l| Arc::clone(&l.keys))
    }

    fn fresh(&self, now: Instant) -> Option<Arc<KeySet>> {
        self.loaded_within(self.refresh_interval, now)
    }

    /// Fresh keys, or stale ones still inside the bound.
    fn servable(&self, now: Instant) -> Option<Arc<KeySet>> {
        self.loaded_within(self.refresh_interval.saturating_add(self.max_stale), now)
    }

    /// The key set, loading or refreshing it when it is missing or older than the interval.
    pub async fn current(&self) -> Result<Arc<KeySet>, KeyError> {
        self.current_at(Instant::now()).await
    }

    async fn current_at(&self, now: Instant) -> Result<Arc<KeySet>, KeyError> {
        if let Some(keys) = self.fresh(now) {
            return Ok(keys);
        }
        let mut back_off = self.reload.lock().await;
        if let Some(keys) = self.fresh(now) {
            return Ok(keys);
        }
        self.reload_or_serve(&mut back_off, now).await
    }

    /// Called when a token names a kid that the loaded set lacks: reloads at most once per
    /// 30 seconds (and not during a back-off), and otherwise returns the keys already held.
    pub async fn refresh_for_unknown_kid(&self) -> Result<Arc<KeySet>, KeyError> {
        self.refresh_for_unknown_kid_at(Instant::now()).await
    }

    async fn refresh_for_unknown_kid_at(&self, now: Instant) -> Result<Arc<KeySet>, KeyError> {
        if self.recently_forced(now) {
            return self.current_at(now).await;
        }
        let mut back_off = self.reload.lock().await;
        if !self.claim_forced_refresh(now) {
            drop(back_off);
            return self.current_at(now).await;
        }
        self.reload_or_serve(&mut back_off, now).await
    }

    /// Loads unless a back-off is running; on failure, the keys still servable, else an error.
    async fn reload_or_serve(
        &self,
        back_off: &mut BackOff,
        now: Instant,
    ) -> Result<Arc<KeySet>, KeyError> {
        if back_off.waiting(now) {
            return self.servable(now).ok_or(KeyError::Unavailable);
        }
        match self.load_now(now).await {
            Ok(keys) => {
                *back_off = BackOff::default();
                Ok(keys)
            }
            Err(error) => {
                let retry_in = back_off.record_failure(now);
                let retry_in_seconds = retry_in.as_secs();
                match self.servable(now) {
                    Some(stale) => {
                        tracing::error!(%error, retry_in_seconds, "key set refresh failed; serving the keys already loaded");
                        Ok(stale)
                    }
                    None => {
                        tracing::error!(%error, retry_in_seconds, "key set could not be loaded");
                        Err(error)
                    }
                }
            }
        }
    }

    fn recently_forced(&self, now: Instant) -> bool {
        let last = self
            .last_unknown_kid_refresh
            .read()
            .unwrap_or_else(|p| p.into_inner());
        last.is_some_and(|t| now.saturating_duration_since(t) < DEFAULT_UNKNOWN_KID_REFRESH_GAP)
    }

    /// Records a forced refresh unless one happened within the gap; true when the caller may go.
    fn claim_forced_refresh(&self, now: Instant) -> bool {
        let mut last = self
            .last_unknown_kid_refresh
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| now.saturating_duration_since(t) < DEFAULT_UNKNOWN_KID_REFRESH_GAP)
        {
            return false;
        }
        *last = Some(now);
        true
    }

    async fn load_now(&self, now: Instant) -> Result<Arc<KeySet>, KeyError> {
        let document = self.source.load().await?;
        let keys = Arc::new(KeySet::from_document(&document)?);
        let mut guard = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        *guard = Some(Loaded {
            keys: Arc::clone(&keys),
            loaded_at: now,
        });
        tracing::info!(current_kid = keys.signer().kid(), "key set loaded");
        Ok(keys)
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

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[tokio::test]
    async fn failed_loads_back_off_from_one_second_doubling_to_a_minute() {
        let src = source(0);
        let cache = KeyCache::new(src.clone(), Duration::from_secs(300));
        let start = Instant::now();
        let mut load_times = Vec::new();
        for second in 0..400 {
            let before = src.loads();
            assert!(cache.current_at(at(start, second)).await.is_err());
            if src.loads() > before {
                load_times.push(second);
            }
        }
        assert_eq!(
            load_times,
            [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363]
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_failed_load() {
        let src = source(0);
        let cache = Arc::new(KeyCache::new(src.clone(), Duration::from_secs(300)));
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let cache = Arc::clone(&cache);
            callers.spawn(async move { cache.current().await.is_err() });
        }
        while let Some(failed) = callers.join_next().await {
            assert!(failed.unwrap(), "no keys, so every caller fails closed");
        }
        assert_eq!(src.loads(), 1);
    }

    #[tokio::test]
    async fn stale_keys_are_served_only_up_to_the_bound_then_the_cache_fails_closed() {
        let src = source(1);
        let cache = KeyCache::new(src.clone(), Duration::from_secs(300))
            .with_max_stale(Duration::from_secs(3600));
        let start = Instant::now();
        cache.current_at(start).await.unwrap();
        assert!(cache.current_at(at(start, 301)).await.is_ok());
        assert!(cache.current_at(at(start, 300 + 3599)).await.is_ok());
        assert!(cache.current_at(at(start, 300 + 3600)).await.is_err());
        assert!(
            cache
                .refresh_for_unknown_kid_at(at(start, 300 + 3700))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_successful_load_after_failures_makes_the_keys_fresh_again() {
        let src = Arc::new(CountingKeySource::failing_loads(
            key_document(SigningAlgorithm::EdDSA),
            1..4,
        ));
        let cache = KeyCache::new(src.clone(), Duration::from_secs(300));
        let start = Instant::now();
        cache.current_at(start).await.unwrap();
        // Three failed reloads (back-off 1 s, 2 s), then a success.
        for second in [300, 301, 303, 307] {
            cache.current_at(at(start, second)).await.unwrap();
        }
        assert_eq!(src.loads(), 5);
        // Fresh again: served without a load until the next interval, whatever the back-off was.
        cache.current_at(at(start, 308)).await.unwrap();
        cache.current_at(at(start, 606)).await.unwrap();
        assert_eq!(src.loads(), 5);
    }
}
