//! argon2 PHC strings: the argon2id hashes we write, and imported argon2id, argon2i and argon2d
//! ones (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).

use super::{
    Argon2Params, MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM,
    PasswordError, unsupported,
};
use argon2::password_hash::phc::PasswordHash as PhcString;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// The reference implementation reads a PHC string without `v=` as version 0x10: argon2 before
/// 1.3 (2016) wrote none.
const VERSION_WHEN_ABSENT: u32 = 0x10;
const SALT_BYTES: usize = 16;

/// A PHC string taken apart, with the version made explicit and the costs within limits.
struct Decoded {
    phc: PhcString,
    params: Params,
}

fn decode(encoded: &str) -> Result<Decoded, PasswordError> {
    let mut phc =
        PhcString::new(encoded).map_err(|e| unsupported(format!("malformed argon2 hash: {e}")))?;
    Algorithm::new(phc.algorithm.as_str()).map_err(|_| unsupported("unknown argon2 variant"))?;
    let version = *phc.version.get_or_insert(VERSION_WHEN_ABSENT);
    Version::try_from(version)
        .map_err(|_| unsupported(format!("argon2 version {version} (expected 16 or 19)")))?;
    if phc.salt.is_none() || phc.hash.is_none() {
        return Err(unsupported("argon2 hash without its salt or output"));
    }
    let params = Params::try_from(&phc)
        .map_err(|e| unsupported(format!("invalid argon2 parameters: {e}")))?;
    if !params.keyid().is_empty() {
        return Err(unsupported(
            "argon2 hash made with a secret key (keyid), which we do not have",
        ));
    }
    within_limits(params.m_cost(), params.t_cost(), params.p_cost()).map_err(unsupported)?;
    Ok(Decoded { phc, params })
}

fn within_limits(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<(), String> {
    let over = |what: &str, value: u32, max: u32| {
        format!("argon2 {what} {value} is above the limit of {max}")
    };
    if memory_kib > MAX_ARGON2_MEMORY_KIB {
        return Err(over("memory (KiB)", memory_kib, MAX_ARGON2_MEMORY_KIB));
    }
    if iterations > MAX_ARGON2_ITERATIONS {
        return Err(over("iterations", iterations, MAX_ARGON2_ITERATIONS));
    }
    if parallelism > MAX_ARGON2_PARALLELISM {
        return Err(over("parallelism", parallelism, MAX_ARGON2_PARALLELISM));
    }
    Ok(())
}

pub(super) fn check(encoded: &str) -> Result<(), PasswordError> {
    decode(encoded).map(|_| ())
}

/// The output comparison is `phc::Output`'s `PartialEq`, which is constant-time (`ct_eq`).
pub(super) fn verify(encoded: &str, password: &[u8]) -> bool {
    let Ok(decoded) = decode(encoded) else {
        return false;
    };
    Argon2::default()
        .verify_password(password, &decoded.phc)
        .is_ok()
}

/// Whether an argon2id hash is exactly what [`hash`] would write with `current`.
pub(super) fn is_current(encoded: &str, current: &Argon2Params) -> bool {
    let Ok(Decoded { phc, params }) = decode(encoded) else {
        return false;
    };
    phc.version == Some(Version::V0x13.into())
        && params.m_cost() == current.memory_kib
        && params.t_cost() == current.iterations
        && params.p_cost() == current.parallelism
        && params.output_len() == Some(Params::DEFAULT_OUTPUT_LEN)
        && params.data().is_empty()
}

fn argon2id(params: &Argon2Params) -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| PasswordError::InvalidParameters(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub(super) fn check_params(params: &Argon2Params) -> Result<(), PasswordError> {
    argon2id(params)?;
    within_limits(params.memory_kib, params.iterations, params.parallelism)
        .map_err(PasswordError::InvalidParameters)
}

pub(super) fn hash(params: &Argon2Params, password: &[u8]) -> Result<String, PasswordError> {
    let salt = crate::domain::secret::random_bytes::<SALT_BYTES>()
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let phc = argon2id(params)?
        .hash_password_with_salt(password, &salt)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(phc.to_string())
}

/// An argon2id PHC string with `params` whose output no password is known to produce: checking
/// a password against it does a full argon2id computation and fails. Should the OS refuse
/// randomness, fixed bytes do as well: the output still matches no known password.
pub(super) fn unverifiable(params: &Argon2Params) -> String {
    let bytes = crate::domain::secret::random_bytes::<{ SALT_BYTES + 32 }>()
        .unwrap_or([0x5a; SALT_BYTES + 32]);
    let (salt, output) = bytes.split_at(SALT_BYTES);
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output),
    )
}
