//! A key set parsed and checked once per load: the signer, the published JWKS, and the
//! verification keys by kid.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::{KeyError, KeySetDocument, KeyState, SigningAlgorithm, SigningKey};

/// A public key that verifies tokens, with the algorithm it is bound to. The algorithm comes
/// from our key set, never from a token header (RFC 8725 §3.1).
#[derive(Clone)]
pub struct VerificationKey {
    pub alg: SigningAlgorithm,
    pub key: DecodingKey,
}

pub struct KeySet {
    signer: Arc<SigningKey>,
    /// `base64url({"alg":…,"typ":"at+jwt","kid":…})`, computed once per load.
    access_token_header: String,
    /// The same with `"typ":"JWT"` (OpenID Connect Core §2), so an id_token can never pass as
    /// an access token.
    id_token_header: String,
    jwks_json: String,
    verification: HashMap<String, VerificationKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("signer", &self.signer)
            .field("kids", &self.verification.keys().collect::<Vec<_>>())
            .finish()
    }
}

const MAX_KID_LEN: usize = 64;

/// The kids we generate and accept: short, and no character a path or a query could use.
pub fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl KeySet {
    pub fn from_document(document: &KeySetDocument) -> Result<Self, KeyError> {
        let mut signer = None;
        let mut jwks = Vec::new();
        let mut verification = HashMap::new();
        for (position, entry) in document.keys.iter().enumerate() {
            if !valid_kid(&entry.kid) {
                // Not quoted: a kid that fails the check may be a private key in the wrong field.
                return Err(KeyError::Invalid(format!(
                    "key {}: invalid kid (1 to {MAX_KID_LEN} letters, digits, '-', '_', '.')",
                    position + 1
                )));
            }
            if !entry.state.is_published() {
                continue;
            }
            let key = SigningKey::from_entry(entry)?;
            let jwk = key.public_jwk();
            let decoding = decoding_key(&jwk, entry.alg)?;
            if verification
                .insert(
                    entry.kid.clone(),
                    VerificationKey {
                        alg: entry.alg,
                        key: decoding,
                    },
                )
                .is_some()
            {
                return Err(KeyError::Invalid(format!("duplicate kid {:?}", entry.kid)));
            }
            jwks.push(jwk);
            if entry.state == KeyState::Current {
                if signer.is_some() {
                    return Err(KeyError::Invalid("more than one current key".into()));
                }
                signer = Some(Arc::new(key));
            }
        }
        let signer = signer.ok_or_else(|| KeyError::Invalid("no current key".into()))?;
        let header =
            |typ: &str| json!({"alg": signer.alg().as_str(), "typ": typ, "kid": signer.kid()});
        Ok(KeySet {
            access_token_header: URL_SAFE_NO_PAD.encode(header("at+jwt").to_string()),
            id_token_header: URL_SAFE_NO_PAD.encode(header("JWT").to_string()),
            jwks_json: json!({ "keys": jwks }).to_string(),
            signer,
            verification,
        })
    }

    pub fn signer(&self) -> &SigningKey {
        &self.signer
    }

    pub fn access_token_header(&self) -> &str {
        &self.access_token_header
    }

    pub fn id_token_header(&self) -> &str {
        &self.id_token_header
    }

    /// `{"keys": [...]}` with every published key.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    pub fn verification_key(&self, kid: &str) -> Option<&VerificationKey> {
        self.verification.get(kid)
    }
}

fn decoding_key(jwk: &Value, alg: SigningAlgorithm) -> Result<DecodingKey, KeyError> {
    let field = |name: &str| jwk[name].as_str().unwrap_or_default().to_string();
    let invalid = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
    match alg {
        SigningAlgorithm::RS256 => {
            DecodingKey::from_rsa_components(&field("n"), &field("e")).map_err(invalid)
        }
        SigningAlgorithm::ES256 => {
            DecodingKey::from_ec_components(&field("x"), &field("y")).map_err(invalid)
        }
        SigningAlgorithm::EdDSA => DecodingKey::from_ed_components(&field("x")).map_err(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{RetirementWindow, generate_entry, initial_document, rotate};
    use crate::testing::sole_key;

    #[test]
    fn a_fresh_key_set_signs_with_current_and_publishes_current_and_next() {
        let doc = initial_document(SigningAlgorithm::ES256, 0).unwrap();
        let set = KeySet::from_document(&doc).unwrap();
        assert_eq!(set.signer().kid(), sole_key(&doc, KeyState::Current).kid);
        let jwks: Value = serde_json::from_str(set.jwks_json()).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn rotation_promotes_next_and_keeps_previous_published() {
        let doc = initial_document(SigningAlgorithm::EdDSA, 0).unwrap();
        let next_kid = &sole_key(&doc, KeyState::Next).kid;
        let old_kid = &sole_key(&doc, KeyState::Current).kid;
        let rotated = rotate(
            &doc,
            SigningAlgorithm::EdDSA,
            1,
            RetirementWindow::default(),
        )
        .unwrap();
        let set = KeySet::from_document(&rotated).unwrap();
        assert_eq!(set.signer().kid(), next_kid);
        assert!(set.verification_key(old_kid).is_some());
    }

    #[test]
    fn a_key_set_without_exactly_one_current_key_is_invalid() {
        let next = generate_entry(SigningAlgorithm::ES256, KeyState::Next, 0).unwrap();
        assert!(KeySet::from_document(&KeySetDocument { keys: vec![next] }).is_err());
        let a = generate_entry(SigningAlgorithm::ES256, KeyState::Current, 0).unwrap();
        let b = generate_entry(SigningAlgorithm::ES256, KeyState::Current, 0).unwrap();
        assert!(KeySet::from_document(&KeySetDocument { keys: vec![a, b] }).is_err());
    }

    #[test]
    fn kids_with_path_characters_are_refused() {
        let mut k = generate_entry(SigningAlgorithm::ES256, KeyState::Current, 0).unwrap();
        k.kid = "../../etc/passwd".into();
        assert!(KeySet::from_document(&KeySetDocument { keys: vec![k] }).is_err());
    }

    #[test]
    fn an_invalid_kid_is_not_quoted_in_the_error() {
        let mut k = generate_entry(SigningAlgorithm::ES256, KeyState::Current, 0).unwrap();
        k.kid = k.private_key_pem.clone();
        let Err(error) = KeySet::from_document(&KeySetDocument { keys: vec![k] }) else {
            panic!("a key set with an invalid kid is refused");
        };
        let error = error.to_string();
        assert!(!error.contains("PRIVATE KEY"), "{error}");
        assert!(error.contains("key 1: invalid kid"), "{error}");
    }

    #[test]
    fn a_key_whose_pem_does_not_match_its_alg_is_refused() {
        let mut k = generate_entry(SigningAlgorithm::ES256, KeyState::Current, 0).unwrap();
        k.alg = SigningAlgorithm::RS256;
        assert!(KeySet::from_document(&KeySetDocument { keys: vec![k] }).is_err());
    }
}
