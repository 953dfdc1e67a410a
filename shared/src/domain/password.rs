//! End-user passwords: hashed with argon2id (OWASP parameters), verified whatever scheme they
//! were imported with, and re-hashed when their scheme or parameters are no longer current.
//!
//! Unlike client secrets (see [`crate::domain::secret`]), passwords are chosen by people and
//! have little entropy, so a deliberately slow, memory-hard hash is the defence against an
//! offline search of a leaked table.

use argon2::password_hash::phc::PasswordHash as PhcString;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use std::fmt;
use std::sync::OnceLock;

/// NIST SP 800-63B §3.1.1.2: at least 8 characters; longer limits are the user's choice.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the hashing work one request can ask for; far beyond any pass phrase.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// argon2id cost parameters. The defaults are OWASP's first recommendation
/// (m=19456 KiB, t=2, p=1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Params {
    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| PasswordError::InvalidParameters(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password may be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("unsupported or malformed password hash: {0}")]
    UnsupportedHash(String),
    #[error("invalid argon2 parameters: {0}")]
    InvalidParameters(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The hash schemes a stored password can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashScheme {
    Argon2id,
    Argon2i,
    Argon2d,
    Bcrypt,
    Pbkdf2Sha256,
}

/// A stored password hash: an argon2 or PBKDF2 PHC string, or a bcrypt modular-crypt string.
/// `Debug` shows only the scheme: a hash is not a secret, but it is what an offline attack needs.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    encoded: String,
    scheme: HashScheme,
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash({:?})", self.scheme)
    }
}

impl PasswordHash {
    /// Accepts a stored or imported hash, refusing what we could not verify.
    pub fn parse(encoded: &str) -> Result<Self, PasswordError> {
        let phc =
            PhcString::new(encoded).map_err(|e| PasswordError::UnsupportedHash(e.to_string()))?;
        let scheme = match phc.algorithm.as_str() {
            "argon2id" => HashScheme::Argon2id,
            "argon2i" => HashScheme::Argon2i,
            "argon2d" => HashScheme::Argon2d,
            other => {
                return Err(PasswordError::UnsupportedHash(format!(
                    "unknown scheme {other:?}"
                )));
            }
        };
        Ok(PasswordHash {
            encoded: encoded.to_string(),
            scheme,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    pub fn scheme(&self) -> HashScheme {
        self.scheme
    }

    /// Whether `password` is the one this hash was made from. Never panics on a malformed hash;
    /// it just does not verify.
    pub fn verify(&self, password: &str) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let Ok(phc) = PhcString::new(&self.encoded) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &phc)
            .is_ok()
    }

    /// Whether the next successful login should replace this hash: another scheme, or argon2id
    /// with other parameters than the current ones.
    pub fn needs_rehash(&self, current: &Argon2Params) -> bool {
        if self.scheme != HashScheme::Argon2id {
            return true;
        }
        let Ok(phc) = PhcString::new(&self.encoded) else {
            return true;
        };
        let Ok(params) = Params::try_from(&phc) else {
            return true;
        };
        params.m_cost() != current.memory_kib
            || params.t_cost() != current.iterations
            || params.p_cost() != current.parallelism
    }
}

/// Hashes new passwords with the configured argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Argon2Params,
    dummy: std::sync::Arc<OnceLock<PasswordHash>>,
}

impl PasswordHasher {
    pub fn new(params: Argon2Params) -> Result<Self, PasswordError> {
        params.argon2()?;
        Ok(PasswordHasher {
            params,
            dummy: Default::default(),
        })
    }

    pub fn params(&self) -> &Argon2Params {
        &self.params
    }

    pub fn hash(&self, password: &str) -> Result<PasswordHash, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        let phc = self
            .params
            .argon2()?
            .hash_password(password.as_bytes())
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        PasswordHash::parse(&phc.to_string())
    }

    /// A hash of a random password with the current parameters, made once: verifying against
    /// it costs what verifying a real user's password costs, so an unknown e-mail takes as long
    /// as a wrong password.
    pub fn dummy_hash(&self) -> &PasswordHash {
        self.dummy.get_or_init(|| {
            let random = crate::domain::secret::random_bytes::<32>()
                .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                .unwrap_or_else(|_| "dummy-password-of-no-user".into());
            self.hash(&random).unwrap_or_else(|_| PasswordHash {
                encoded: String::new(),
                scheme: HashScheme::Argon2id,
            })
        })
    }
}

/// The rule for a password an operator or user sets: long enough, not absurdly long.
pub fn validate_new_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: these tests are about the rules, not the cost.
    fn cheap() -> Argon2Params {
        Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(cheap()).unwrap();
        let hash = hasher.hash("correct horse").unwrap();
        assert_eq!(hash.scheme(), HashScheme::Argon2id);
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hash.verify("correct horse"));
        assert!(!hash.verify("correct horsE"));
    }

    #[test]
    fn other_parameters_need_a_rehash() {
        let hash = PasswordHasher::new(cheap())
            .unwrap()
            .hash("correct horse")
            .unwrap();
        assert!(!hash.needs_rehash(&cheap()));
        assert!(hash.needs_rehash(&Argon2Params::default()));
    }
}
