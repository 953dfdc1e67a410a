//! Whether the caller a valid token names may still call: its client exists and is enabled and,
//! for an end user's token, so is the user. A token outlives a `disable`; this check does not.
//!
//! Reading the stores on every request would put a database read on the authorizer's warm path,
//! so each container keeps what it read for `fresh_seconds` ([`StatusCache`]): a `disable`
//! takes effect within that bound. When a store read fails, an entry read at most
//! `max_stale_seconds` ago is served (the store's outage does not lock everyone out); without
//! one the request fails with a 500, never an allow.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::Principal;
use crate::store::{ClientReader, StoreError, UserAccounts};

/// How long a read status counts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFreshness {
    /// A status read this recently is used without reading again; 0: read on every request.
    pub fresh_seconds: i64,
    /// When the store fails, a status read this recently is still used.
    pub max_stale_seconds: i64,
}

/// What the stores say of a caller when last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It exists and is enabled.
    Active,
    /// It is gone or disabled.
    Refused,
}

/// The client and user stores behind a per-container [`StatusCache`].
pub struct CallerStatus {
    clients: Arc<dyn ClientReader>,
    users: Arc<dyn UserAccounts>,
    cache: StatusCache,
}

impl CallerStatus {
    pub fn new(
        clients: Arc<dyn ClientReader>,
        users: Arc<dyn UserAccounts>,
        freshness: StatusFreshness,
    ) -> Self {
        CallerStatus {
            clients,
            users,
            cache: StatusCache::new(freshness),
        }
    }

    /// The caller's standing at `now`: [`Standing::Active`] only when its client and, for an
    /// end user, the user are both active.
    pub async fn standing(&self, principal: &Principal, now: i64) -> Result<Standing, StoreError> {
        let client_id = principal.client_id.as_str();
        let client = self
            .cache
            .get_or_read(CallerKey::Client(client_id.into()), now, || async {
                let client = self.clients.get(client_id).await?;
                Ok(active_if(client.is_some_and(|c| c.enabled)))
            })
            .await?;
        let Some(user_id) = principal.user_id() else {
            return Ok(client);
        };
        if client == Standing::Refused {
            return Ok(Standing::Refused);
        }
        self.cache
            .get_or_read(CallerKey::User(user_id.into()), now, || async {
                let user = self.users.get_user(user_id).await?;
                Ok(active_if(user.is_some_and(|u| u.enabled)))
            })
            .await
    }
}

fn active_if(active: bool) -> Standing {
    if active {
        Standing::Active
    } else {
        Standing::Refused
    }
}

/// Client ids and user ids are distinct namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallerKey {
    Client(String),
    User(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    standing: Standing,
    read_at: i64,
}

/// Above this many entries the cache starts over: ids come only from verified tokens, so this is
/// a guard against unbounded growth in a long-lived container, not a hot path.
const MAX_ENTRIES: usize = 10_000;

/// Standings by caller, with the time each was read. Time is a parameter, so tests need no
/// clock.
pub struct StatusCache {
    freshness: StatusFreshness,
    entries: Mutex<HashMap<CallerKey, Entry>>,
}

impl StatusCache {
    pub fn new(freshness: StatusFreshness) -> Self {
        StatusCache {
            freshness,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The standing of `key` at `now`: the cached one while fresh, otherwise `read`'s. When
    /// `read` fails, the cached one if it is at most `max_stale_seconds` old, else the error.
    pub async fn get_or_read<F, Fut>(
        &self,
        key: CallerKey,
        now: i64,
        read: F,
    ) -> Result<Standing, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Standing, StoreError>>,
    {
        let cached = self.entries().get(&key).copied();
        let age = |entry: &Entry| now.saturating_sub(entry.read_at);
        if let Some(entry) = cached.filter(|e| age(e) < self.freshness.fresh_seconds) {
            return Ok(entry.standing);
        }
        match read().await {
            Ok(standing) => {
                let mut entries = self.entries();
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    key,
                    Entry {
                        standing,
                        read_at: now,
                    },
                );
                Ok(standing)
            }
            Err(error) => match cached.filter(|e| age(e) <= self.freshness.max_stale_seconds) {
                Some(entry) => {
                    tracing::warn!(%error, age_seconds = age(&entry), "caller status store failed; serving the status read earlier");
                    Ok(entry.standing)
                }
                None => Err(error),
            },
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CallerKey, Entry>> {
        // A panic while holding the lock cannot leave a map half-written: every change is one
        // insert or one clear.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const FRESHNESS: StatusFreshness = StatusFreshness {
        fresh_seconds: 60,
        max_stale_seconds: 300,
    };

    fn key() -> CallerKey {
        CallerKey::Client("lp-client".into())
    }

    /// A cache holding `standing` for [`key`], read at 0.
    async fn cache_with(standing: Standing) -> StatusCache {
        let cache = StatusCache::new(FRESHNESS);
        cache
            .get_or_read(key(), 0, || async move { Ok(standing) })
            .await
            .unwrap();
        cache
    }

    async fn read_at(
        cache: &StatusCache,
        now: i64,
        result: Result<Standing, StoreError>,
        reads: &AtomicUsize,
    ) -> Result<Standing, StoreError> {
        cache
            .get_or_read(key(), now, || async {
                reads.fetch_add(1, Ordering::SeqCst);
                result
            })
            .await
    }

    fn down() -> Result<Standing, StoreError> {
        Err(StoreError::Backend("down".into()))
    }

    #[tokio::test]
    async fn a_fresh_entry_is_served_without_reading() {
        let cache = cache_with(Standing::Active).await;
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 59, Ok(Standing::Refused), &reads).await;
        assert_eq!(got.unwrap(), Standing::Active);
        assert_eq!(reads.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_expired_entry_is_read_again_and_a_disable_takes_effect() {
        let cache = cache_with(Standing::Active).await;
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 60, Ok(Standing::Refused), &reads).await;
        assert_eq!(got.unwrap(), Standing::Refused);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn zero_freshness_reads_every_time() {
        let cache = StatusCache::new(StatusFreshness {
            fresh_seconds: 0,
            ..FRESHNESS
        });
        let reads = AtomicUsize::new(0);
        read_at(&cache, 0, Ok(Standing::Active), &reads)
            .await
            .unwrap();
        let got = read_at(&cache, 0, Ok(Standing::Refused), &reads).await;
        assert_eq!(got.unwrap(), Standing::Refused);
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_store_failure_serves_the_entry_within_the_stale_bound() {
        for standing in [Standing::Active, Standing::Refused] {
            let cache = cache_with(standing).await;
            let reads = AtomicUsize::new(0);
            let got = read_at(&cache, 300, down(), &reads).await;
            assert_eq!(got.unwrap(), standing);
        }
    }

    #[tokio::test]
    async fn a_store_failure_beyond_the_stale_bound_is_an_error() {
        let cache = cache_with(Standing::Active).await;
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 301, down(), &reads).await;
        assert!(matches!(got, Err(StoreError::Backend(_))));
    }

    #[tokio::test]
    async fn a_store_failure_with_nothing_cached_is_an_error() {
        let cache = StatusCache::new(FRESHNESS);
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 0, down(), &reads).await;
        assert!(matches!(got, Err(StoreError::Backend(_))));
    }

    #[tokio::test]
    async fn clients_and_users_with_the_same_id_are_cached_apart() {
        let cache = cache_with(Standing::Active).await;
        let got = cache
            .get_or_read(CallerKey::User("lp-client".into()), 1, || async {
                Ok(Standing::Refused)
            })
            .await;
        assert_eq!(got.unwrap(), Standing::Refused);
    }
}
