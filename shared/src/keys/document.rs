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
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeySetDocument {
    pub keys: Vec<KeyEntry>,
}
