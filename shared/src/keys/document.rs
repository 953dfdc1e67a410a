use serde::{Deserialize, Serialize};

use super::{KeyError, SigningAlgorithm};

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

impl KeySetDocument {
    /// Parses a stored key set read from `origin` (a path, "secret"). The error names where the
    /// document is wrong, never what it says there: serde's messages quote the offending value,
    /// which here can be a private key.
    pub fn from_json(json: &[u8], origin: &str) -> Result<Self, KeyError> {
        serde_json::from_slice(json)
            .map_err(|e| KeyError::Invalid(format!("{origin}: {}", unquoted(&e))))
    }

    /// The value a key-set secret holds before it has keys: the template creates it as `{}`.
    pub fn is_placeholder(json: &str) -> bool {
        let json = json.trim();
        json.is_empty() || json == "{}"
    }
}

fn unquoted(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Syntax => "not valid JSON",
        Category::Eof => "JSON that ends early",
        Category::Data => "a missing field or a value of the wrong type or variant",
        Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIHlogged";

    #[test]
    fn a_document_error_says_where_and_never_quotes_the_document() {
        let wrong = [
            // A private key where the algorithm, the state or the time should be.
            format!(
                r#"{{"keys":[{{"kid":"k1","alg":"{PEM}","state":"current","private_key_pem":"x"}}]}}"#
            ),
            format!(
                r#"{{"keys":[{{"kid":"k1","alg":"EdDSA","state":"{PEM}","private_key_pem":"x"}}]}}"#
            ),
            format!(
                r#"{{"keys":[{{"kid":"k1","alg":"EdDSA","state":"current","private_key_pem":"x","created_at":"{PEM}"}}]}}"#
            ),
            format!(
                r#"{{"keys":[{{"kid":"k1","alg":"EdDSA","state":"current","private_key_pem":{PEM}}}]}}"#
            ),
            format!(r#"{{"keys":"{PEM}"}}"#),
            format!(r#"{{"keys":[{{"kid":"k1","private_key_pem":"{PEM}""#),
        ];
        for json in wrong {
            let error = KeySetDocument::from_json(json.as_bytes(), "test")
                .expect_err("an invalid document")
                .to_string();
            assert!(!error.contains("PRIVATE KEY"), "{error}");
            assert!(!error.contains("MC4C"), "{error}");
            assert!(error.contains("test: "), "{error}");
            assert!(error.contains(" at line 1 column "), "{error}");
        }
    }

    #[test]
    fn a_valid_document_parses() {
        let json =
            r#"{"keys":[{"kid":"k1","alg":"EdDSA","state":"current","private_key_pem":"x"}]}"#;
        let document = KeySetDocument::from_json(json.as_bytes(), "test").unwrap();
        assert_eq!(document.keys[0].kid, "k1");
        assert_eq!(document.keys[0].state, KeyState::Current);
    }
}
