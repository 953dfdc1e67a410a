//! Imported bcrypt hashes: `$2a$`, `$2b$` and `$2y$` modular-crypt strings
//! (`$2b$12$<22 chars of salt><31 chars of hash>`).
//!
//! `$2y$` is PHP's name for the corrected algorithm that OpenBSD calls `$2b$`; `$2a$` differs
//! from them only for passwords of 255 bytes or more hashed by OpenBSD before 2014 (those will
//! not verify), so all three are verified alike. bcrypt uses only the
//! first 72 bytes of a password: a longer one verifies if its first 72 bytes do. That is what
//! the importing platform did too, and the first sign-in replaces the hash with argon2id, which
//! uses every byte.

use super::{MAX_BCRYPT_COST, PasswordError, unsupported};
use std::str::FromStr;

/// bcrypt's own floor: below 4 the format is invalid, not just weak.
const MIN_BCRYPT_COST: u32 = 4;

pub(super) fn check(encoded: &str) -> Result<(), PasswordError> {
    // The crate reads the cost with `u32::from_str`, which would take "+5"; the format is two
    // digits.
    let cost_is_two_digits = encoded
        .as_bytes()
        .get(4..6)
        .is_some_and(|cost| cost.iter().all(u8::is_ascii_digit));
    if !cost_is_two_digits {
        return Err(unsupported(
            "malformed bcrypt hash: the cost is not two digits",
        ));
    }
    let parts = bcrypt::HashParts::from_str(encoded)
        .map_err(|e| unsupported(format!("malformed bcrypt hash: {e}")))?;
    let cost = parts.get_cost();
    if cost < MIN_BCRYPT_COST {
        return Err(unsupported(format!(
            "bcrypt cost {cost} is below bcrypt's minimum of {MIN_BCRYPT_COST}"
        )));
    }
    if cost > MAX_BCRYPT_COST {
        return Err(unsupported(format!(
            "bcrypt cost {cost} is above the limit of {MAX_BCRYPT_COST}"
        )));
    }
    Ok(())
}

/// `bcrypt::verify` compares the outputs with `subtle::ConstantTimeEq`.
pub(super) fn verify(encoded: &str, password: &[u8]) -> bool {
    check(encoded).is_ok() && bcrypt::verify(password, encoded).unwrap_or(false)
}
