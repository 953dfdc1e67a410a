use serde::{Deserialize, Serialize};

use super::SigningAlgorithm;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Next,
    Current,
    Previous,
    Retired,
}

impl KeyState {
    /// Keys whose public half appears in the JWKS and verifies tokens.
    pub fn is_published(self) -> bool {
        !matches!(self, KeyState::Retired)
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyEntry {
    pub kid: String,
    pub alg: SigningAlgorithm,
    pub state: KeyState,
    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key_pem: String,
    #[serde(default)]
    pub created_at: i64,
    /// When a rotation moved the key out of `current` (Unix seconds): its retirement window
    /// counts from here. Absent on keys that never signed and in documents written before it
    /// was recorded (see `retirement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_signing_at: Option<i64>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .field("stopped_signing_at", &self.stopped_signing_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeySetDocument {
    pub keys: Vec<KeyEntry>,
}
