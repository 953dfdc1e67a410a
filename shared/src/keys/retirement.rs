//! When a key that signed tokens may leave the JWKS.
//!
//! A key stops signing when a rotation moves it from `current` to `previous`; the rotation
//! records that moment (`stopped_signing_at`). It stays published for the retirement window
//! after it, so every token it signed has expired before any verifier can lose it:
//! - containers may go on signing with it until their next reload (`KEY_REFRESH_SECONDS`), and
//!   while reloads fail for up to `KEY_MAX_STALE_SECONDS` more;
//! - the last of those tokens lives at most [`LONGEST_TOKEN_LIFETIME_SECONDS`], and verifiers
//!   accept it [`MAX_LEEWAY_SECONDS`] longer;
//! - the JWKS `max-age` is added as a margin for the caches between us and the verifiers.
//!
//! A document written before the time was recorded has `previous` keys without it; the first
//! rotation or prune that sees one stamps it with its own time, the latest it could have been.

use std::time::Duration;

use super::cache::{DEFAULT_MAX_STALE, DEFAULT_REFRESH_INTERVAL};
use super::{KeyEntry, KeyState};
use crate::tokens::verify::MAX_LEEWAY_SECONDS;

/// The longest life of a token we sign: access tokens and id_tokens live their client's
/// `access_token_ttl`, which registration bounds to one day.
pub const LONGEST_TOKEN_LIFETIME_SECONDS: i64 = 86_400;
const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// How long after it stopped signing a key stays published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetirementWindow {
    seconds: i64,
}

impl RetirementWindow {
    pub fn new(key_refresh: Duration, key_max_stale: Duration, jwks_max_age: Duration) -> Self {
        let horizon = key_refresh
            .saturating_add(key_max_stale)
            .saturating_add(jwks_max_age)
            .as_secs();
        let seconds = i64::try_from(horizon)
            .unwrap_or(i64::MAX)
            .saturating_add(LONGEST_TOKEN_LIFETIME_SECONDS)
            .saturating_add(MAX_LEEWAY_SECONDS as i64);
        RetirementWindow { seconds }
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// The first moment a key that stopped signing at `stopped_signing_at` may be dropped.
    pub fn published_until(self, stopped_signing_at: i64) -> i64 {
        stopped_signing_at.saturating_add(self.seconds)
    }
}

/// The window of the default settings: 86 400 + 60 + 300 + 3 600 + 300 s, about 25 hours.
impl Default for RetirementWindow {
    fn default() -> Self {
        RetirementWindow::new(
            DEFAULT_REFRESH_INTERVAL,
            DEFAULT_MAX_STALE,
            DEFAULT_JWKS_MAX_AGE,
        )
    }
}

/// Moves the `previous` keys whose window has passed at `now` to `retired`; a `previous` key
/// with no recorded stop time is stamped with `now` and kept.
pub(super) fn retire_expired(keys: &mut [KeyEntry], now: i64, window: RetirementWindow) {
    for key in keys.iter_mut().filter(|k| k.state == KeyState::Previous) {
        let stopped = *key.stopped_signing_at.get_or_insert(now);
        if now >= window.published_until(stopped) {
            key.state = KeyState::Retired;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{
        KeySet, KeySetDocument, SigningAlgorithm, initial_document, prune, retire_compromised,
        rotate,
    };
    use crate::testing::sole_key;

    const T: i64 = 1_800_000_000;
    const ALG: SigningAlgorithm = SigningAlgorithm::EdDSA;

    fn published(document: &KeySetDocument, kid: &str) -> bool {
        KeySet::from_document(document)
            .unwrap()
            .verification_key(kid)
            .is_some()
    }

    #[test]
    fn the_default_window_covers_a_day_long_token_and_every_cache() {
        assert_eq!(
            RetirementWindow::default().seconds(),
            86_400 + 60 + 300 + 3_600 + 300
        );
    }

    #[test]
    fn a_second_rotation_ten_minutes_later_keeps_the_first_key_published() {
        let window = RetirementWindow::default();
        let initial = initial_document(ALG, T).unwrap();
        let first_kid = sole_key(&initial, KeyState::Current).kid.clone();
        let once = rotate(&initial, ALG, T, window).unwrap();
        let second_kid = sole_key(&once, KeyState::Current).kid.clone();
        let twice = rotate(&once, ALG, T + 600, window).unwrap();
        assert!(published(&twice, &first_kid), "its tokens live up to a day");
        assert!(published(&twice, &second_kid));

        let later = rotate(&twice, ALG, window.published_until(T) + 1, window).unwrap();
        assert!(!published(&later, &first_kid), "past its window it may go");
        assert!(
            published(&later, &second_kid),
            "it stopped signing ten minutes later"
        );
    }

    #[test]
    fn a_compromised_key_leaves_at_once_and_a_compromised_signer_is_replaced_first() {
        let window = RetirementWindow::default();
        let once = rotate(&initial_document(ALG, T).unwrap(), ALG, T, window).unwrap();
        let previous = sole_key(&once, KeyState::Previous).kid.clone();
        let signer = sole_key(&once, KeyState::Current).kid.clone();

        let without_previous = retire_compromised(&once, &previous, ALG, T + 60, window).unwrap();
        assert!(
            !published(&without_previous, &previous),
            "inside its window, but compromised"
        );
        assert!(published(&without_previous, &signer));

        let without_signer = retire_compromised(&once, &signer, ALG, T + 60, window).unwrap();
        assert!(!published(&without_signer, &signer));
        let new_signer = sole_key(&without_signer, KeyState::Current);
        assert_ne!(new_signer.kid, signer, "another key signs now");
        assert!(
            published(&without_signer, &previous),
            "an uncompromised key keeps its window"
        );

        assert!(retire_compromised(&once, "no-such-kid", ALG, T, window).is_err());
    }

    #[test]
    fn the_stop_time_is_recorded_when_a_key_leaves_current() {
        let initial = initial_document(ALG, T).unwrap();
        let once = rotate(&initial, ALG, T + 5, RetirementWindow::default()).unwrap();
        let previous = sole_key(&once, KeyState::Previous);
        assert_eq!(previous.stopped_signing_at, Some(T + 5));
        assert_eq!(sole_key(&once, KeyState::Current).stopped_signing_at, None);
    }

    #[test]
    fn prune_retires_a_key_only_once_its_window_has_passed() {
        let window = RetirementWindow::default();
        let initial = initial_document(ALG, T).unwrap();
        let old_kid = sole_key(&initial, KeyState::Current).kid.clone();
        let once = rotate(&initial, ALG, T, window).unwrap();
        let kept = prune(&once, window.published_until(T) - 1, window);
        assert!(published(&kept, &old_kid));
        let pruned = prune(&kept, window.published_until(T), window);
        assert!(!published(&pruned, &old_kid));
        let dropped = prune(&pruned, window.published_until(T) + 1, window);
        assert!(dropped.keys.iter().all(|k| k.kid != old_kid));
    }

    #[test]
    fn a_document_without_stop_times_loads_and_keeps_its_previous_key_a_full_window() {
        let window = RetirementWindow::default();
        let mut legacy = rotate(&initial_document(ALG, T).unwrap(), ALG, T, window).unwrap();
        let mut json: serde_json::Value = serde_json::to_value(&legacy).unwrap();
        for key in json["keys"].as_array_mut().unwrap() {
            key.as_object_mut().unwrap().remove("stopped_signing_at");
        }
        legacy = serde_json::from_value(json).unwrap();
        let old_kid = sole_key(&legacy, KeyState::Previous).kid.clone();

        let now = T + 10 * window.seconds();
        let rotated = rotate(&legacy, ALG, now, window).unwrap();
        assert!(published(&rotated, &old_kid), "its stop time is unknown");
        assert_eq!(
            sole_key_by_kid(&rotated, &old_kid).stopped_signing_at,
            Some(now)
        );
        let pruned = prune(&rotated, window.published_until(now), window);
        assert!(!published(&pruned, &old_kid));
    }

    fn sole_key_by_kid<'a>(document: &'a KeySetDocument, kid: &str) -> &'a KeyEntry {
        document.keys.iter().find(|k| k.kid == kid).unwrap()
    }

    #[test]
    fn the_longest_token_lifetime_is_the_longest_a_client_may_have() {
        use crate::testing::client;
        let day = u32::try_from(LONGEST_TOKEN_LIFETIME_SECONDS).unwrap();
        assert!(
            client("day-long-client")
                .ttl(day)
                .build()
                .validate()
                .is_ok()
        );
        assert!(
            client("day-long-client")
                .ttl(day + 1)
                .build()
                .validate()
                .is_err()
        );
    }
}
