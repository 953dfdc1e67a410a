//! End-user passwords: hashed with argon2id (OWASP parameters), verified whatever scheme they
//! were imported with, and re-hashed when their scheme or parameters are no longer current.
//!
//! Unlike client secrets (see [`crate::domain::secret`]), passwords are chosen by people and
//! have little entropy, so a deliberately slow, memory-hard hash is the defence against an
//! offline search of a leaked table.
//!
//! Imported users (`authctl user import`) keep the hash their old platform stored: argon2 (PHC),
//! bcrypt (`$2a$`, `$2b$`, `$2y$`) or PBKDF2-SHA256 (the PHC form the `pbkdf2` crate writes,
//! passlib's `$pbkdf2-sha256$` and Django's `pbkdf2_sha256$`). It is verified as it is and
//! replaced by argon2id on the first successful sign-in.
//!
//! A stored hash decides how much work checking a password against it costs, so one imported
//! hash could make every sign-in attempt for its e-mail cost seconds or gigabytes.
//! [`PasswordHash::parse`] therefore refuses costs above the `MAX_*` limits below, at import
//! time rather than at the first login. Weak hashes (PBKDF2 with few rounds, bcrypt cost 4) are
//! imported as they are: refusing them would lock those users out, and their first sign-in
//! replaces them anyway; `authctl user set-password` is the remedy for users who never return.
//!
//! Until that first sign-in, a user with an imported hash costs what the old scheme costs, so
//! only for them can the response time differ from an unknown e-mail's (checked against
//! [`PasswordHasher::dummy_hash`], which costs what a current argon2id hash costs).

mod argon2_hash;
mod bcrypt_hash;
mod pbkdf2_hash;

use std::fmt;
use std::sync::{Arc, OnceLock};

/// NIST SP 800-63B §3.1.1.2: at least 8 characters; longer limits are the user's choice.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the hashing work one request can ask for; far beyond any pass phrase.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Longest stored hash accepted: the longest legitimate one (argon2 with `keyid` and `data`, or
/// passlib PBKDF2 with a long salt) is well below it.
pub const MAX_HASH_CHARS: usize = 256;
/// bcrypt doubles its work per cost step: cost 10 measured 50 ms a check (`cargo bench -p
/// token-service --bench password`), so 12 is 0.2 s and 15 about 1.6 s.
pub const MAX_BCRYPT_COST: u32 = 15;
/// Three and a third times the 600 000 rounds OWASP recommends for PBKDF2-HMAC-SHA256, which
/// measured 58 ms a check: about 0.2 s.
pub const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
/// More output than SHA-256's 32 bytes doubles the work per extra block and adds no security.
pub const MAX_PBKDF2_OUTPUT_BYTES: usize = 64;
/// 256 MiB: what one check may allocate, well inside a Lambda's memory. With the iteration limit,
/// about 70 times the work of the OWASP defaults (13 ms a check), so under a second.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 262_144;
pub const MAX_ARGON2_ITERATIONS: u32 = 10;
pub const MAX_ARGON2_PARALLELISM: u32 = 8;

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

/// Messages name what was recognised, never the input: it may be a plain-text password.
fn unsupported(reason: impl Into<String>) -> PasswordError {
    PasswordError::UnsupportedHash(reason.into())
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

impl HashScheme {
    /// Tells the scheme from the prefix alone; the scheme's module checks the rest.
    fn recognise(encoded: &str) -> Result<Self, PasswordError> {
        const SUPPORTED: [(&str, HashScheme); 8] = [
            ("$argon2id$", HashScheme::Argon2id),
            ("$argon2i$", HashScheme::Argon2i),
            ("$argon2d$", HashScheme::Argon2d),
            ("$2a$", HashScheme::Bcrypt),
            ("$2b$", HashScheme::Bcrypt),
            ("$2y$", HashScheme::Bcrypt),
            ("$pbkdf2-sha256$", HashScheme::Pbkdf2Sha256),
            ("pbkdf2_sha256$", HashScheme::Pbkdf2Sha256),
        ];
        // What platforms commonly export that we cannot verify, named so an operator knows
        // which users need a password reset instead of an import.
        const REFUSED: [(&str, &str); 15] = [
            (
                "$2x$",
                "bcrypt $2x$ (crypt_blowfish's sign-extension bug) is not supported",
            ),
            (
                "$2$",
                "bcrypt $2$ (the original, pre-1999 variant) is not supported",
            ),
            ("$1$", "MD5-crypt ($1$) is not supported"),
            ("$apr1$", "Apache MD5 ($apr1$) is not supported"),
            ("$5$", "SHA-256-crypt ($5$) is not supported"),
            ("$6$", "SHA-512-crypt ($6$) is not supported"),
            (
                "$pbkdf2$",
                "PBKDF2-SHA1 (passlib $pbkdf2$) is not supported",
            ),
            ("$pbkdf2-sha512$", "PBKDF2-SHA512 is not supported"),
            (
                "pbkdf2_sha1$",
                "PBKDF2-SHA1 (Django pbkdf2_sha1$) is not supported",
            ),
            ("$scrypt$", "scrypt is not supported"),
            ("scrypt$", "scrypt (Django scrypt$) is not supported"),
            ("bcrypt$", "Django's bcrypt$ wrapper is not supported"),
            ("bcrypt_sha256$", "Django's bcrypt_sha256$ is not supported"),
            ("sha1$", "salted SHA-1 (Django sha1$) is not supported"),
            ("md5$", "salted MD5 (Django md5$) is not supported"),
        ];
        if let Some((_, scheme)) = SUPPORTED.iter().find(|(p, _)| encoded.starts_with(p)) {
            return Ok(*scheme);
        }
        if let Some((_, reason)) = REFUSED.iter().find(|(p, _)| encoded.starts_with(p)) {
            return Err(unsupported(*reason));
        }
        if encoded.starts_with('{') {
            return Err(unsupported("LDAP-style {SCHEME} hashes are not supported"));
        }
        Err(unsupported(
            "not a recognised hash; expected argon2 (PHC), bcrypt ($2a$, $2b$, $2y$) \
             or PBKDF2-SHA256 (PHC, passlib or Django)",
        ))
    }
}

/// A stored password hash: an argon2 or PBKDF2 PHC string, a passlib or Django PBKDF2 string, or
/// a bcrypt modular-crypt string. `Debug` shows only the scheme: a hash is not a secret, but it
/// is what an offline attack needs.
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
    /// Accepts a stored or imported hash, refusing what we could not verify and what would cost
    /// more than the `MAX_*` limits to check.
    pub fn parse(encoded: &str) -> Result<Self, PasswordError> {
        if encoded.len() > MAX_HASH_CHARS {
            return Err(unsupported(format!(
                "longer than {MAX_HASH_CHARS} characters"
            )));
        }
        let scheme = HashScheme::recognise(encoded)?;
        match scheme {
            HashScheme::Argon2id | HashScheme::Argon2i | HashScheme::Argon2d => {
                argon2_hash::check(encoded)?
            }
            HashScheme::Bcrypt => bcrypt_hash::check(encoded)?,
            HashScheme::Pbkdf2Sha256 => pbkdf2_hash::check(encoded)?,
        }
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

    /// Whether `password` is the one this hash was made from. The comparison of the computed
    /// and stored outputs is constant-time in every scheme. Never panics on a malformed hash;
    /// it just does not verify.
    pub fn verify(&self, password: &str) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let password = password.as_bytes();
        match self.scheme {
            HashScheme::Argon2id | HashScheme::Argon2i | HashScheme::Argon2d => {
                argon2_hash::verify(&self.encoded, password)
            }
            HashScheme::Bcrypt => bcrypt_hash::verify(&self.encoded, password),
            HashScheme::Pbkdf2Sha256 => pbkdf2_hash::verify(&self.encoded, password),
        }
    }

    /// Whether the next successful login should replace this hash: another scheme, or argon2id
    /// with other parameters (version, costs, output length) than the current ones.
    pub fn needs_rehash(&self, current: &Argon2Params) -> bool {
        self.scheme != HashScheme::Argon2id || !argon2_hash::is_current(&self.encoded, current)
    }
}

/// Hashes new passwords with the configured argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Argon2Params,
    dummy: Arc<OnceLock<PasswordHash>>,
}

impl PasswordHasher {
    /// Refuses parameters argon2 rejects and those above the `MAX_ARGON2_*` limits: a hash we
    /// write must pass [`PasswordHash::parse`] when it is read back.
    pub fn new(params: Argon2Params) -> Result<Self, PasswordError> {
        argon2_hash::check_params(&params)?;
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
        Ok(PasswordHash {
            encoded: argon2_hash::hash(&self.params, password.as_bytes())?,
            scheme: HashScheme::Argon2id,
        })
    }

    /// An argon2id hash with the current parameters that no password verifies: checking an
    /// unknown e-mail's password against it costs what checking a real user's costs, so an
    /// unknown e-mail takes as long as a wrong password. Built once per hasher without hashing
    /// anything, so the first unknown e-mail is not slower than the next.
    pub fn dummy_hash(&self) -> &PasswordHash {
        self.dummy.get_or_init(|| PasswordHash {
            encoded: argon2_hash::unverifiable(&self.params),
            scheme: HashScheme::Argon2id,
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
mod tests;
