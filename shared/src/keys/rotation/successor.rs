//! What `testSecret` checks of a pending key set before it may become AWSCURRENT: it loads as
//! the functions load it, its signer signs a token its own JWKS verifies, and it keeps
//! publishing every key AWSCURRENT publishes until the retirement rule lets that key go.

use super::RotationError;
use crate::domain::client::AccessLevel;
use crate::domain::time::now_unix;
use crate::keys::{KeySet, KeySetDocument, KeyState, RetirementWindow};
use crate::tokens::{AccessTokenClaims, AccessTokenVerifier, sign_jwt};

const TEST_PARTY: &str = "urn:token-service:key-rotation-test";

/// `current` is the AWSCURRENT key set, `None` while the secret is the template's empty
/// placeholder.
pub fn check_successor(
    current: Option<&KeySetDocument>,
    pending: &KeySetDocument,
    now: i64,
    window: RetirementWindow,
) -> Result<(), RotationError> {
    let keys = KeySet::from_document(pending)?;
    signs_and_verifies(&keys)?;
    let Some(current) = current else {
        return Ok(());
    };
    signer_was_published(current, &keys)?;
    keeps_published_keys(current, pending, now, window)
}

/// A token of the real shape, so the check covers the header, the signature and the JWKS entry
/// the verifiers will use. Its times are the clock's, not the rotation's `now`: the verifier
/// checks them against the clock.
fn signs_and_verifies(keys: &KeySet) -> Result<(), RotationError> {
    let now = now_unix();
    let claims = AccessTokenClaims {
        iss: TEST_PARTY.into(),
        sub: TEST_PARTY.into(),
        aud: TEST_PARTY.into(),
        iat: now,
        nbf: now,
        exp: now + 60,
        jti: "key-rotation-test".into(),
        client_id: TEST_PARTY.into(),
        access_level: AccessLevel::Admin,
        labelpartner: None,
        scope: None,
    };
    let token = sign_jwt(keys.access_token_header(), keys.signer(), &claims)?;
    AccessTokenVerifier::new(TEST_PARTY, TEST_PARTY, 0)
        .verify(keys, &token)
        .map(|_| ())
        .map_err(|e| {
            RotationError::Test(format!(
                "a token signed by {} does not verify: {e}",
                keys.signer().kid()
            ))
        })
}

/// When AWSCURRENT publishes a `next` key, that key must be the one that signs: verifiers have
/// held it since the last rotation. (Without one, after `authctl keys retire --compromised` of
/// the next key, a new key has to sign at once, as `authctl keys rotate` would do.)
fn signer_was_published(current: &KeySetDocument, keys: &KeySet) -> Result<(), RotationError> {
    let published_next: Vec<&str> = current
        .keys
        .iter()
        .filter(|k| k.state == KeyState::Next)
        .map(|k| k.kid.as_str())
        .collect();
    let signer = keys.signer().kid();
    if published_next.is_empty() || published_next.contains(&signer) {
        Ok(())
    } else {
        Err(RotationError::Test(format!(
            "the pending signing key {signer} is not AWSCURRENT's next key"
        )))
    }
}

/// A key may leave the JWKS only as a `previous` key whose retirement window has passed: any
/// other key dropping out would make valid tokens fail.
fn keeps_published_keys(
    current: &KeySetDocument,
    pending: &KeySetDocument,
    now: i64,
    window: RetirementWindow,
) -> Result<(), RotationError> {
    let still_published = |kid: &str| {
        pending
            .keys
            .iter()
            .any(|k| k.kid == kid && k.state.is_published())
    };
    for key in current.keys.iter().filter(|k| k.state.is_published()) {
        let may_go = key.state == KeyState::Previous
            && key
                .stopped_signing_at
                .is_some_and(|stopped| now >= window.published_until(stopped));
        if !may_go && !still_published(&key.kid) {
            return Err(RotationError::Test(format!(
                "key {} ({:?} in AWSCURRENT) would leave the JWKS before its retirement window \
                 has passed",
                key.kid, key.state
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, initial_document, rotate, rotate_to_published_next};
    use crate::testing::sole_key;

    const ALG: SigningAlgorithm = SigningAlgorithm::EdDSA;

    fn window() -> RetirementWindow {
        RetirementWindow::default()
    }

    #[test]
    fn a_scheduled_rotation_passes() {
        let now = now_unix();
        let current = initial_document(ALG, now).unwrap();
        let pending = rotate_to_published_next(&current, ALG, now, window()).unwrap();
        check_successor(Some(&current), &pending, now, window()).unwrap();
        check_successor(None, &current, now, window()).unwrap();
    }

    #[test]
    fn a_signer_that_was_not_the_published_next_key_fails() {
        let now = now_unix();
        let current = initial_document(ALG, now).unwrap();
        // Another algorithm: `rotate` puts a fresh key in place of the published one.
        let pending = rotate(&current, SigningAlgorithm::ES256, now, window()).unwrap();
        let error = check_successor(Some(&current), &pending, now, window()).unwrap_err();
        assert!(
            error.to_string().contains("not AWSCURRENT's next key"),
            "{error}"
        );
    }

    #[test]
    fn a_previous_key_inside_its_window_must_stay_published() {
        let now = now_unix();
        let once = rotate(&initial_document(ALG, now).unwrap(), ALG, now, window()).unwrap();
        let previous = sole_key(&once, KeyState::Previous).kid.clone();
        let mut pending = rotate_to_published_next(&once, ALG, now + 60, window()).unwrap();
        pending.keys.retain(|k| k.kid != previous);
        let error = check_successor(Some(&once), &pending, now + 60, window()).unwrap_err();
        assert!(error.to_string().contains(&previous), "{error}");

        let later = window().published_until(now);
        let pending = rotate_to_published_next(&once, ALG, later, window()).unwrap();
        check_successor(Some(&once), &pending, later, window()).unwrap();
    }

    #[test]
    fn a_key_set_without_a_signer_fails() {
        let now = now_unix();
        let mut pending = initial_document(ALG, now).unwrap();
        pending.keys.retain(|k| k.state != KeyState::Current);
        assert!(check_successor(None, &pending, now, window()).is_err());
    }
}
