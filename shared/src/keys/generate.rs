//! Key generation and rotation of the key set document (used by `authctl keys` and `make run`).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{KeyEntry, KeyError, KeySetDocument, KeyState, SigningAlgorithm};
use crate::domain::secret::random_bytes;

pub fn generate_entry(
    alg: SigningAlgorithm,
    state: KeyState,
    now: i64,
) -> Result<KeyEntry, KeyError> {
    let failed = |_| KeyError::Invalid("key generation failed".into());
    let rng = SystemRandom::new();
    let der: Vec<u8> = match alg {
        SigningAlgorithm::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(failed)?
            .as_der()
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        SigningAlgorithm::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(failed)?
                .as_ref()
                .to_vec()
        }
        SigningAlgorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(failed)?
            .as_ref()
            .to_vec(),
    };
    let kid_bytes = random_bytes::<12>().map_err(|e| KeyError::Invalid(e.to_string()))?;
    Ok(KeyEntry {
        kid: format!("k-{}", URL_SAFE_NO_PAD.encode(kid_bytes)),
        alg,
        state,
        private_key_pem: pem::encode(&pem::Pem::new("PRIVATE KEY", der)),
        created_at: now,
    })
}

/// A fresh key set: a `current` key to sign with and a `next` key published ahead of its use,
/// so that verifiers already hold it when the next rotation makes it current.
pub fn initial_document(alg: SigningAlgorithm, now: i64) -> Result<KeySetDocument, KeyError> {
    Ok(KeySetDocument {
        keys: vec![
            generate_entry(alg, KeyState::Current, now)?,
            generate_entry(alg, KeyState::Next, now)?,
        ],
    })
}

/// One rotation step: `previous` → `retired`, `current` → `previous`, `next` → `current` (or a
/// new key when there is no `next`, or when `alg` asks for another algorithm), and a new `next`.
pub fn rotate(
    document: &KeySetDocument,
    alg: SigningAlgorithm,
    now: i64,
) -> Result<KeySetDocument, KeyError> {
    // Keys retired by an earlier rotation are dropped: tokens they signed expired long ago.
    let mut keys: Vec<KeyEntry> = document
        .keys
        .iter()
        .filter(|k| k.state != KeyState::Retired)
        .cloned()
        .collect();
    let next_is_usable = keys
        .iter()
        .any(|k| k.state == KeyState::Next && k.alg == alg);
    for key in &mut keys {
        key.state = match key.state {
            KeyState::Previous | KeyState::Retired => KeyState::Retired,
            KeyState::Current => KeyState::Previous,
            KeyState::Next if next_is_usable && key.alg == alg => KeyState::Current,
            KeyState::Next => KeyState::Retired,
        };
    }
    if !next_is_usable {
        keys.push(generate_entry(alg, KeyState::Current, now)?);
    }
    keys.push(generate_entry(alg, KeyState::Next, now)?);
    Ok(KeySetDocument { keys })
}
