//! Key generation and rotation of the key set document (used by `authctl keys` and `make run`).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::retirement::{RetirementWindow, retire_expired};
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
        stopped_signing_at: None,
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

/// One rotation step: `current` → `previous` (recording that it stopped signing now), `next` →
/// `current` (or a new key when there is no `next`, or when `alg` asks for another algorithm),
/// and a new `next`. `previous` keys stay published until their retirement window has passed;
/// then they become `retired`, and the rotation after drops them.
pub fn rotate(
    document: &KeySetDocument,
    alg: SigningAlgorithm,
    now: i64,
    window: RetirementWindow,
) -> Result<KeySetDocument, KeyError> {
    let mut keys = without_retired(document);
    retire_expired(&mut keys, now, window);
    let next_is_usable = keys
        .iter()
        .any(|k| k.state == KeyState::Next && k.alg == alg);
    for key in &mut keys {
        match key.state {
            KeyState::Previous | KeyState::Retired => {}
            KeyState::Current => {
                key.state = KeyState::Previous;
                key.stopped_signing_at = Some(now);
            }
            KeyState::Next if next_is_usable && key.alg == alg => key.state = KeyState::Current,
            // It never signed: no token depends on it.
            KeyState::Next => key.state = KeyState::Retired,
        }
    }
    if !next_is_usable {
        keys.push(generate_entry(alg, KeyState::Current, now)?);
    }
    keys.push(generate_entry(alg, KeyState::Next, now)?);
    Ok(KeySetDocument { keys })
}

/// The scheduled rotation (the key-rotation function): like [`rotate`], but the key that
/// starts signing is always the published `next` key, even when `alg` names another algorithm,
/// so no verifier meets a kid it could not have fetched before; the new `next` key has `alg`.
/// A change of `SIGNING_ALG` therefore takes effect at the second rotation, without a moment
/// in which tokens are signed by a key the JWKS did not show yet.
pub fn rotate_to_published_next(
    document: &KeySetDocument,
    alg: SigningAlgorithm,
    now: i64,
    window: RetirementWindow,
) -> Result<KeySetDocument, KeyError> {
    let next_alg = document
        .keys
        .iter()
        .find(|k| k.state == KeyState::Next)
        .map_or(alg, |k| k.alg);
    let mut rotated = rotate(document, next_alg, now, window)?;
    if next_alg != alg {
        for key in rotated
            .keys
            .iter_mut()
            .filter(|k| k.state == KeyState::Next)
        {
            *key = generate_entry(alg, KeyState::Next, now)?;
        }
    }
    Ok(rotated)
}

/// Retirement without a rotation: `previous` keys past their window become `retired`, and keys
/// retired before are dropped. The signing key and the next key are untouched.
pub fn prune(document: &KeySetDocument, now: i64, window: RetirementWindow) -> KeySetDocument {
    let mut keys = without_retired(document);
    retire_expired(&mut keys, now, window);
    KeySetDocument { keys }
}

/// A compromised key leaves the JWKS now, whatever its window: tokens it signed stop verifying
/// as soon as the caches reload (`KEY_REFRESH_SECONDS`). If it is the signing key, a rotation
/// first puts another key in its place. The next step drops it like any retired key.
pub fn retire_compromised(
    document: &KeySetDocument,
    kid: &str,
    alg: SigningAlgorithm,
    now: i64,
    window: RetirementWindow,
) -> Result<KeySetDocument, KeyError> {
    let state = document
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .map(|k| k.state)
        .ok_or_else(|| KeyError::Invalid(format!("no key {kid:?} in the key set")))?;
    let mut document = match state {
        KeyState::Current => rotate(document, alg, now, window)?,
        _ => document.clone(),
    };
    for key in document.keys.iter_mut().filter(|k| k.kid == kid) {
        key.state = KeyState::Retired;
        key.stopped_signing_at.get_or_insert(now);
    }
    Ok(document)
}

/// Keys retired by an earlier step are dropped: unpublished since, and past their window then.
fn without_retired(document: &KeySetDocument) -> Vec<KeyEntry> {
    document
        .keys
        .iter()
        .filter(|k| k.state != KeyState::Retired)
        .cloned()
        .collect()
}
