//! Whether the caller a valid token names may still call: its client exists, is enabled and has
//! not revoked tokens issued before this one (`authctl client revoke-tokens`), and, for an end
//! user's token, so has the user (`authctl user revoke-tokens`). A token outlives a `disable`; this check does not.
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

/// Whether a token may stand for its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The caller exists, is enabled, and the token is not older than its cut-off.
    Active,
    /// The caller is gone or disabled, or the token was issued before its cut-off.
    Refused,
}

/// What the store said of a client or user when last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerState {
    /// It exists and is enabled.
    pub active: bool,
    /// Tokens issued (`iat`) before this are refused.
    pub tokens_not_before: Option<i64>,
}

impl CallerState {
    /// No such caller (deleted, or never stored).
    pub const GONE: CallerState = CallerState {
        active: false,
        tokens_not_before: None,
    };

    pub fn admits(&self, issued_at: i64) -> bool {
        self.active
            && self
                .tokens_not_before
                .is_none_or(|cut_off| issued_at >= cut_off)
    }
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

    /// The standing at `now` of a token issued at `issued_at` for `principal`:
    /// [`Standing::Active`] only when its client and, for an end user, the user both admit it.
    pub async fn standing(
        &self,
        principal: &Principal,
        issued_at: i64,
        now: i64,
    ) -> Result<Standing, StoreError> {
        let client_id = principal.client_id.as_str();
        let client = self
            .cache
            .get_or_read(CallerKey::Client(client_id.into()), now, || async {
                Ok(self
                    .clients
                    .get(client_id)
                    .await?
                    .map_or(CallerState::GONE, |c| CallerState {
                        active: c.enabled,
                        tokens_not_before: c.tokens_not_before,
                    }))
            })
            .await?;
        if !client.admits(issued_at) {
            return Ok(Standing::Refused);
        }
        let Some(user_id) = principal.user_id() else {
            return Ok(Standing::Active);
        };
        let user = self
            .cache
            .get_or_read(CallerKey::User(user_id.into()), now, || async {
                Ok(self
                    .users
                    .get_user(user_id)
                    .await?
                    .map_or(CallerState::GONE, |u| CallerState {
                        active: u.enabled,
                        tokens_not_before: u.tokens_not_before,
                    }))
            })
            .await?;
        Ok(if user.admits(issued_at) {
            Standing::Active
        } else {
            Standing::Refused
        })
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
    state: CallerState,
    read_at: i64,
}

/// Above this many entries the cache starts over: ids come only from verified tokens, so this is
/// a guard against unbounded growth in a long-lived container, not a hot path.
const MAX_ENTRIES: usize = 10_000;

/// Callers' states, with the time each was read. Time is a parameter, so tests need no
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

    /// The state of `key` at `now`: the cached one while fresh, otherwise `read`'s. When `read`
    /// fails, the cached one if it is at most `max_stale_seconds` old, else the error.
    pub async fn get_or_read<F, Fut>(
        &self,
        key: CallerKey,
        now: i64,
        read: F,
    ) -> Result<CallerState, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CallerState, StoreError>>,
    {
        let cached = self.entries().get(&key).copied();
        let age = |entry: &Entry| now.saturating_sub(entry.read_at);
        if let Some(entry) = cached.filter(|e| age(e) < self.freshness.fresh_seconds) {
            return Ok(entry.state);
        }
        match read().await {
            Ok(state) => {
                let mut entries = self.entries();
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    key,
                    Entry {
                        state,
                        read_at: now,
                    },
                );
                Ok(state)
            }
            Err(error) => match cached.filter(|e| age(e) <= self.freshness.max_stale_seconds) {
                Some(entry) => {
                    tracing::warn!(%error, age_seconds = age(&entry), "caller status store failed; serving the status read earlier");
                    Ok(entry.state)
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

    const ACTIVE: CallerState = CallerState {
        active: true,
        tokens_not_before: None,
    };

    fn key() -> CallerKey {
        CallerKey::Client("lp-client".into())
    }

    /// A cache holding `standing` for [`key`], read at 0.
    async fn cache_with(standing: CallerState) -> StatusCache {
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
        result: Result<CallerState, StoreError>,
        reads: &AtomicUsize,
    ) -> Result<CallerState, StoreError> {
        cache
            .get_or_read(key(), now, || async {
                reads.fetch_add(1, Ordering::SeqCst);
                result
            })
            .await
    }

    fn down() -> Result<CallerState, StoreError> {
        Err(StoreError::Backend("down".into()))
    }

    #[tokio::test]
    async fn a_fresh_entry_is_served_without_reading() {
        let cache = cache_with(ACTIVE).await;
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 59, Ok(CallerState::GONE), &reads).await;
        assert_eq!(got.unwrap(), ACTIVE);
        assert_eq!(reads.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_expired_entry_is_read_again_and_a_disable_takes_effect() {
        let cache = cache_with(ACTIVE).await;
        let reads = AtomicUsize::new(0);
        let got = read_at(&cache, 60, Ok(CallerState::GONE), &reads).await;
        assert_eq!(got.unwrap(), CallerState::GONE);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn zero_freshness_reads_every_time() {
        let cache = StatusCache::new(StatusFreshness {
            fresh_seconds: 0,
            ..FRESHNESS
        });
        let reads = AtomicUsize::new(0);
        read_at(&cache, 0, Ok(ACTIVE), &reads).await.unwrap();
        let got = read_at(&cache, 0, Ok(CallerState::GONE), &reads).await;
        assert_eq!(got.unwrap(), CallerState::GONE);
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_store_failure_serves_the_entry_within_the_stale_bound() {
        for standing in [ACTIVE, CallerState::GONE] {
            let cache = cache_with(standing).await;
            let reads = AtomicUsize::new(0);
            let got = read_at(&cache, 300, down(), &reads).await;
            assert_eq!(got.unwrap(), standing);
        }
    }

    #[tokio::test]
    async fn a_store_failure_beyond_the_stale_bound_is_an_error() {
        let cache = cache_with(ACTIVE).await;
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

    #[test]
    fn a_state_admits_tokens_issued_at_or_after_its_cut_off_only_while_active() {
        let cut = CallerState {
            active: true,
            tokens_not_before: Some(100),
        };
        assert!(ACTIVE.admits(0));
        assert!(!cut.admits(99));
        assert!(cut.admits(100));
        assert!(
            !CallerState {
                active: false,
                ..cut
            }
            .admits(200)
        );
        assert!(!CallerState::GONE.admits(0));
    }

    #[tokio::test]
    async fn clients_and_users_with_the_same_id_are_cached_apart() {
        let cache = cache_with(ACTIVE).await;
        let got = cache
            .get_or_read(CallerKey::User("lp-client".into()), 1, || async {
                Ok(CallerState::GONE)
            })
            .await;
        assert_eq!(got.unwrap(), CallerState::GONE);
    }
}
