//! Legacy API keys (am-api-token-transition): the keys customers used before OAuth, accepted by
//! the authorizer for a deprecation window and removed once their client obtains an OAuth token.
//!
//! A key is stored only as its SHA-256 ([`SecretHash`]): the authorizer hashes what it is
//! presented and looks the hash up, so the store never holds a usable key. Keys are high-entropy
//! random strings issued by the old system, which is why a fast hash suffices (see
//! [`super::secret`]).
//!
//! Every key is linked to a client, and so to the client's access level and labelpartner. The
//! client carries `has_legacy_api_keys`, set when a key is imported, so that the token endpoint
//! costs no extra store call for the (growing) majority of clients without legacy keys.

use serde::{Deserialize, Serialize};

use super::secret::{SecretHash, hash_secret};

/// Keys outside these bounds are refused before they are hashed or looked up.
const MIN_API_KEY_LEN: usize = 16;
const MAX_API_KEY_LEN: usize = 256;

/// One legacy API key, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyApiKey {
    /// SHA-256 of the key; the key itself is never stored.
    pub key_sha256: SecretHash,
    pub client_id: String,
    pub created_at: i64,
}

impl LegacyApiKey {
    /// A record for a key presented in clear (hashed here, then dropped by the caller).
    pub fn from_key(
        key: &str,
        client_id: impl Into<String>,
        now: i64,
    ) -> Result<Self, InvalidApiKey> {
        validate_api_key(key)?;
        Ok(LegacyApiKey {
            key_sha256: hash_secret(key),
            client_id: client_id.into(),
            created_at: now,
        })
    }
}

/// Printable ASCII without spaces, 16 to 256 characters: anything else cannot be a key the old
/// system issued, and is refused before any hashing or lookup.
pub fn validate_api_key(key: &str) -> Result<(), InvalidApiKey> {
    let ok = (MIN_API_KEY_LEN..=MAX_API_KEY_LEN).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok { Ok(()) } else { Err(InvalidApiKey) }
}

/// A value that cannot be a key the old system issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "an API key is {MIN_API_KEY_LEN}-{MAX_API_KEY_LEN} printable ASCII characters without spaces"
)]
pub struct InvalidApiKey;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_kept_only_as_its_hash() {
        let key = LegacyApiKey::from_key("legacy-key-0123456789abcdef", "demo-client", 5).unwrap();
        assert_eq!(key.key_sha256, hash_secret("legacy-key-0123456789abcdef"));
        let json = serde_json::to_string(&key).unwrap();
        assert!(!json.contains("legacy-key-0123456789abcdef"));
        assert!(!format!("{key:?}").contains("legacy-key"));
    }

    #[test]
    fn implausible_keys_are_refused() {
        assert!(validate_api_key("short").is_err());
        assert!(validate_api_key(&"k".repeat(257)).is_err());
        assert!(validate_api_key("has a space in the middle").is_err());
        assert!(validate_api_key("ünïcode-ünïcode-ünïcode").is_err());
        assert!(validate_api_key("0123456789abcdef").is_ok());
    }
}
