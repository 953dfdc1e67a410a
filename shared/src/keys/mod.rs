//! The signing key set: its stored document, parsed keys, the source port and its adapters, and
//! the per-container cache.
//!
//! Stored format (one JSON document, in a Secrets Manager secret or a local file):
//! ```json
//! {"keys": [{"kid": "k-…", "alg": "RS256", "state": "current",
//!            "private_key_pem": "-----BEGIN PRIVATE KEY-----…", "created_at": 1763900000}]}
//! ```
//! `state` is `current` (signs), `next` (published ahead of use), `previous` (stopped signing at
//! `stopped_signing_at`; still verifies the tokens it signed until its retirement window has
//! passed) or `retired` (kept for the record, not published).

mod algorithm;
pub mod cache;
mod document;
mod generate;
mod keyset;
pub mod retirement;
pub mod rotation;
mod signing_key;
pub mod source;

pub use algorithm::SigningAlgorithm;
pub use cache::KeyCache;
pub use document::{KeyEntry, KeySetDocument, KeyState};
pub use generate::{
    generate_entry, initial_document, prune, retire_compromised, rotate, rotate_to_published_next,
};
pub use keyset::{KeySet, VerificationKey, valid_kid};
pub use retirement::RetirementWindow;
pub use signing_key::SigningKey;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key set is invalid: {0}")]
    Invalid(String),
    #[error("the key source failed: {0}")]
    Source(String),
    #[error("the key set does not exist yet")]
    Missing,
    #[error("the key set could not be loaded; retrying after a back-off")]
    Unavailable,
    #[error("signing failed")]
    Signing,
}

/// Where the key set document is read from.
#[async_trait]
pub trait KeySetSource: Send + Sync {
    async fn load(&self) -> Result<KeySetDocument, KeyError>;
}

/// Where the CLI writes the key set document.
#[async_trait]
pub trait KeySetStore: KeySetSource {
    async fn save(&self, document: &KeySetDocument) -> Result<(), KeyError>;
}
