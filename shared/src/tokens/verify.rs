//! Access-token verification per RFC 8725 and RFC 9068: the key and its algorithm come from our
//! key set by `kid`, never from the token; `typ` must be `at+jwt`; `iss`, `aud`, `exp` and `nbf`
//! are checked with a bounded leeway, and so is `iat` (a token issued in the future was not
//! issued by us, whose clock it would contradict); oversized tokens are refused before any
//! parsing.

use jsonwebtoken::{Validation, decode, decode_header};

use super::AccessTokenClaims;
use crate::domain::time::now_unix;
use crate::keys::{KeyCache, KeyError, KeySet, VerificationKey};

/// Our tokens are well under 2 KiB; 8 KiB leaves room and still bounds the work.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp`, `nbf` and `iat` (RFC 8725 asks for a small one).
pub const MAX_LEEWAY_SECONDS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is too large")]
    TooLarge,
    #[error("the token is not a well-formed JWS")]
    Malformed,
    #[error("the token is not an access token (typ must be at+jwt)")]
    WrongType,
    #[error("the token names no key we know")]
    UnknownKey,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token lacks a required claim or has an invalid one")]
    InvalidClaims,
    #[error("the signing keys could not be loaded")]
    KeysUnavailable,
}

#[derive(Debug, Clone)]
pub struct AccessTokenVerifier {
    validation_template: Validation,
}

impl AccessTokenVerifier {
    pub fn new(issuer: &str, audience: &str, leeway_seconds: u64) -> Self {
        let mut v = Validation::default();
        v.set_issuer(&[issuer]);
        v.set_audience(&[audience]);
        v.leeway = leeway_seconds.min(MAX_LEEWAY_SECONDS);
        v.validate_exp = true;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        AccessTokenVerifier {
            validation_template: v,
        }
    }

    /// Verifies against the cached key set, reloading it (rate-limited) when the token names a
    /// kid the cache does not hold yet, as happens right after a key rotation.
    pub async fn verify_cached(
        &self,
        cache: &KeyCache,
        token: &str,
    ) -> Result<AccessTokenClaims, VerifyError> {
        let kid = precheck(token)?;
        let keys = cache.current().await.map_err(keys_unavailable)?;
        if let Some(key) = keys.verification_key(&kid) {
            return self.verify_with_key(token, key);
        }
        let keys = cache
            .refresh_for_unknown_kid()
            .await
            .map_err(keys_unavailable)?;
        let key = keys.verification_key(&kid).ok_or(VerifyError::UnknownKey)?;
        self.verify_with_key(token, key)
    }

    /// Verifies against a key set already in hand (no I/O).
    pub fn verify(&self, keys: &KeySet, token: &str) -> Result<AccessTokenClaims, VerifyError> {
        let kid = precheck(token)?;
        let key = keys.verification_key(&kid).ok_or(VerifyError::UnknownKey)?;
        self.verify_with_key(token, key)
    }

    fn verify_with_key(
        &self,
        token: &str,
        key: &VerificationKey,
    ) -> Result<AccessTokenClaims, VerifyError> {
        let header = decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != key.alg.jsonwebtoken() {
            return Err(VerifyError::AlgorithmMismatch);
        }
        let mut validation = self.validation_template.clone();
        validation.algorithms = vec![key.alg.jsonwebtoken()];
        let claims = decode::<AccessTokenClaims>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(classify)?;
        // jsonwebtoken checks `exp` and `nbf` only.
        let leeway = i64::try_from(validation.leeway).unwrap_or(0);
        if claims.iat > now_unix().saturating_add(leeway) {
            return Err(VerifyError::IssuedInFuture);
        }
        Ok(claims)
    }
}

fn keys_unavailable(error: KeyError) -> VerifyError {
    tracing::error!(%error, "signing keys unavailable for verification");
    VerifyError::KeysUnavailable
}

/// Size, shape, `typ` and `kid`, before any key is looked up.
fn precheck(token: &str) -> Result<String, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::TooLarge);
    }
    if token.split('.').count() != 3 {
        return Err(VerifyError::Malformed);
    }
    let header = decode_header(token).map_err(|_| VerifyError::Malformed)?;
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(VerifyError::WrongType);
    }
    // A kid we could never have issued (path characters, oversized) is unknown without a
    // key-set refresh: only plausible kids may spend the rate-limited refresh.
    header
        .kid
        .filter(|kid| crate::keys::valid_kid(kid))
        .ok_or(VerifyError::UnknownKey)
}

fn classify(error: jsonwebtoken::errors::Error) -> VerifyError {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => VerifyError::BadSignature,
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
        ErrorKind::InvalidAudience => VerifyError::WrongAudience,
        ErrorKind::InvalidAlgorithm => VerifyError::AlgorithmMismatch,
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => VerifyError::InvalidClaims,
        _ => VerifyError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlgorithm;
    use crate::testing::authorizer::token_settings;
    use crate::testing::{client, key_document};
    use crate::tokens::{mint_access_token, sign_jwt};

    const LEEWAY: u64 = 30;

    fn keys() -> KeySet {
        KeySet::from_document(&key_document(SigningAlgorithm::ES256)).unwrap()
    }

    fn verifier() -> AccessTokenVerifier {
        let settings = token_settings();
        AccessTokenVerifier::new(&settings.issuer, &settings.audience, LEEWAY)
    }

    /// A token minted now, valid in every other respect, whose `iat` is `seconds` from now.
    fn issued_in(keys: &KeySet, seconds: i64) -> String {
        let now = now_unix();
        let mut claims =
            mint_access_token(&token_settings(), keys, &client("c1").build(), &[], now)
                .unwrap()
                .claims;
        claims.iat = now + seconds;
        sign_jwt(keys.access_token_header(), keys.signer(), &claims).unwrap()
    }

    #[test]
    fn a_token_issued_beyond_the_leeway_in_the_future_is_refused() {
        let keys = keys();
        for seconds in [LEEWAY as i64 + 5, 3600, 365 * 24 * 3600] {
            assert_eq!(
                verifier().verify(&keys, &issued_in(&keys, seconds)),
                Err(VerifyError::IssuedInFuture),
                "{seconds}"
            );
        }
    }

    #[test]
    fn a_token_issued_within_the_leeway_or_in_the_past_verifies() {
        let keys = keys();
        for seconds in [-600, 0, LEEWAY as i64 - 5] {
            assert!(
                verifier().verify(&keys, &issued_in(&keys, seconds)).is_ok(),
                "{seconds}"
            );
        }
    }
}
