//! Client credentials: generation, validation, hashing and constant-time verification.
//!
//! Why SHA-256 and not argon2/bcrypt for client secrets: a generated secret is 50 characters
//! drawn uniformly from 62 symbols, about 297 bits of entropy. Slow password hashes exist to make
//! guessing *low-entropy* human passwords expensive; against 2^297 candidates a fast hash already
//! makes an offline search hopeless, while a slow hash would cost tens of milliseconds of CPU on
//! every token request (the bottleneck Ory Hydra's client_credentials grant is known for).
//! Operator-chosen secrets are not accepted: every secret comes from [`generate_client_secret`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

const CLIENT_ID_LEN: usize = 24;
const CLIENT_SECRET_LEN: usize = 50;
const MIN_CHOSEN_CLIENT_ID_LEN: usize = 3;
const MAX_CHOSEN_CLIENT_ID_LEN: usize = 128;

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// SHA-256 of a client secret (or of any other high-entropy credential such as an API key).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    /// Whether `presented` hashes to this hash, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        self.ct_eq(&hash_secret(presented))
    }

    /// Compares in constant time, so response timing says nothing about how much of a guess
    /// matched.
    pub fn ct_eq(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(SecretHash(out))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", &self.to_hex()[..8])
    }
}

impl Serialize for SecretHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(d)?;
        SecretHash::from_hex(&hex).ok_or_else(|| serde::de::Error::custom("invalid secret hash"))
    }
}

pub fn hash_secret(secret: &str) -> SecretHash {
    SecretHash(Sha256::digest(secret.as_bytes()).into())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "client_id must be {MIN_CHOSEN_CLIENT_ID_LEN}-{MAX_CHOSEN_CLIENT_ID_LEN} characters of A-Z a-z 0-9 - . _ ~ @"
    )]
    InvalidClientId,
    #[error("the operating system's random number generator failed")]
    Rng,
}

/// An operator-chosen client_id must survive HTTP Basic (no `:`), form encoding (no `+ & = %`)
/// and logs (printable, no spaces), and stay a sane length.
pub fn validate_client_id(id: &str) -> Result<(), CredentialError> {
    let ok = (MIN_CHOSEN_CLIENT_ID_LEN..=MAX_CHOSEN_CLIENT_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(CredentialError::InvalidClientId)
    }
}

/// A 24-character client_id as the reference documents specify it.
pub fn generate_client_id() -> Result<String, CredentialError> {
    generate_mixed_alphanumeric(CLIENT_ID_LEN)
}

/// A 50-character client secret as the reference documents specify it.
pub fn generate_client_secret() -> Result<String, CredentialError> {
    generate_mixed_alphanumeric(CLIENT_SECRET_LEN)
}

/// Uniform `[A-Za-z0-9]` strings with at least one upper-case letter, one lower-case letter and
/// one digit. Characters come from the OS CSPRNG by rejection sampling (6-bit draws, values 62 and
/// 63 thrown away), so no symbol is favoured; a string that misses a class is drawn again whole,
/// which keeps the result uniform over the strings that qualify.
fn generate_mixed_alphanumeric(len: usize) -> Result<String, CredentialError> {
    loop {
        let candidate = random_alphanumeric(len)?;
        let has = |pred: fn(&u8) -> bool| candidate.bytes().any(|b| pred(&b));
        if has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit) {
            return Ok(candidate);
        }
    }
}

fn random_alphanumeric(len: usize) -> Result<String, CredentialError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|_| CredentialError::Rng)?;
        for b in buf {
            let v = (b & 0x3f) as usize;
            if v < ALPHANUMERIC.len() && out.len() < len {
                out.push(ALPHANUMERIC[v] as char);
            }
        }
    }
    Ok(out)
}

/// Random bytes from the OS CSPRNG, for token ids and keys ids.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CredentialError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| CredentialError::Rng)?;
    Ok(buf)
}

/// Lowercase hex, two characters a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes as lowercase hex: safe in a path, a shell line, a CLI argument and a key.
pub fn random_hex<const N: usize>() -> Result<String, CredentialError> {
    random_bytes::<N>().map(|bytes| to_hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_reference_format(s: &str, len: usize) {
        assert_eq!(s.len(), len);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(s.bytes().any(|b| b.is_ascii_uppercase()));
        assert!(s.bytes().any(|b| b.is_ascii_lowercase()));
        assert!(s.bytes().any(|b| b.is_ascii_digit()));
    }

    #[test]
    fn generated_client_ids_follow_the_reference_format() {
        for _ in 0..200 {
            assert_reference_format(&generate_client_id().unwrap(), 24);
        }
    }

    #[test]
    fn generated_secrets_follow_the_reference_format() {
        for _ in 0..200 {
            assert_reference_format(&generate_client_secret().unwrap(), 50);
        }
    }

    #[test]
    fn generated_characters_are_roughly_uniform() {
        // 62 symbols, 620k draws: each should appear ~10k times; bias toward the first symbols
        // (a modulo mistake) would show up as ~+25% on 'A'..'B'.
        let mut counts = [0u32; 128];
        for _ in 0..12_400 {
            for b in random_alphanumeric(50).unwrap().bytes() {
                counts[b as usize] += 1;
            }
        }
        for &c in ALPHANUMERIC {
            let n = counts[c as usize];
            assert!(
                (9_000..11_000).contains(&n),
                "{} appeared {n} times",
                c as char
            );
        }
    }

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let h = hash_secret("correct horse");
        assert!(h.matches("correct horse"));
        assert!(!h.matches("correct hors"));
        assert!(!h.matches(""));
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let h = hash_secret("x");
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(SecretHash::from_hex("zz"), None);
    }

    #[test]
    fn chosen_client_ids_are_validated() {
        assert!(validate_client_id("partner.example@acme").is_ok());
        assert!(validate_client_id("ab").is_err());
        assert!(validate_client_id("has:colon").is_err());
        assert!(validate_client_id("has space").is_err());
        assert!(validate_client_id("plus+sign").is_err());
        assert!(validate_client_id(&"a".repeat(129)).is_err());
        assert!(validate_client_id("naïve").is_err());
    }
}
