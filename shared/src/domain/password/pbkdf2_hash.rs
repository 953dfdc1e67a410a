//! Imported PBKDF2-HMAC-SHA256 hashes, in the three shapes platforms export:
//! - PHC, as the `pbkdf2` crate writes it: `$pbkdf2-sha256$i=600000,l=32$<B64 salt>$<B64 hash>`;
//! - passlib: `$pbkdf2-sha256$29000$<ab64 salt>$<ab64 hash>` (ab64 is base64 with `.` for `+`);
//! - Django: `pbkdf2_sha256$600000$<salt, used as its text>$<padded base64 hash>`.
//!
//! All three are the same computation, so they are decoded into one [`Pbkdf2Sha256`] and
//! verified by one function.

use super::{MAX_PBKDF2_OUTPUT_BYTES, MAX_PBKDF2_ROUNDS, PasswordError, unsupported};
use argon2::password_hash::phc::PasswordHash as PhcString;
use base64::Engine as _;
use base64::alphabet::Alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use pbkdf2::sha2::Sha256;
use subtle::ConstantTimeEq;

/// Below this, a match is too likely by chance; the PHC format's own floor.
const MIN_OUTPUT_BYTES: usize = 10;

const AB64: GeneralPurpose = {
    let alphabet =
        match Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./") {
            Ok(alphabet) => alphabet,
            Err(_) => panic!("passlib's ab64 alphabet is a valid base64 alphabet"),
        };
    GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    )
};

struct Pbkdf2Sha256 {
    rounds: u32,
    salt: Vec<u8>,
    expected: Vec<u8>,
}

fn decode(encoded: &str) -> Result<Pbkdf2Sha256, PasswordError> {
    let decoded = if let Some(rest) = encoded.strip_prefix("$pbkdf2-sha256$") {
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            decode_passlib(rest)?
        } else {
            decode_phc(encoded)?
        }
    } else if let Some(rest) = encoded.strip_prefix("pbkdf2_sha256$") {
        decode_django(rest)?
    } else {
        return Err(unsupported("not a PBKDF2-SHA256 hash"));
    };
    if decoded.rounds == 0 {
        return Err(unsupported("PBKDF2 with 0 rounds"));
    }
    if decoded.rounds > MAX_PBKDF2_ROUNDS {
        return Err(unsupported(format!(
            "PBKDF2 rounds {} are above the limit of {MAX_PBKDF2_ROUNDS}",
            decoded.rounds
        )));
    }
    let output = decoded.expected.len();
    if !(MIN_OUTPUT_BYTES..=MAX_PBKDF2_OUTPUT_BYTES).contains(&output) {
        return Err(unsupported(format!(
            "PBKDF2 output of {output} bytes (expected {MIN_OUTPUT_BYTES} to \
             {MAX_PBKDF2_OUTPUT_BYTES})"
        )));
    }
    Ok(decoded)
}

fn decode_phc(encoded: &str) -> Result<Pbkdf2Sha256, PasswordError> {
    let malformed = |why: &str| unsupported(format!("malformed PBKDF2 PHC hash: {why}"));
    let phc = PhcString::new(encoded).map_err(|e| malformed(&e.to_string()))?;
    if phc.version.is_some() {
        return Err(malformed("PBKDF2 has no versions"));
    }
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return Err(malformed("no salt or output"));
    };
    let mut rounds = None;
    for (name, value) in phc.params.iter() {
        let value = value
            .decimal()
            .map_err(|_| malformed("a parameter is not a number"))?;
        match name.as_str() {
            "i" => rounds = Some(value),
            // The output length; the output itself already says it.
            "l" if usize::try_from(value).ok() == Some(expected.len()) => {}
            "l" => return Err(malformed("l= differs from the output's length")),
            _ => return Err(malformed("unknown parameter")),
        }
    }
    Ok(Pbkdf2Sha256 {
        rounds: rounds.ok_or_else(|| malformed("no i= (rounds)"))?,
        salt: salt.as_ref().to_vec(),
        expected: expected.as_ref().to_vec(),
    })
}

fn decode_passlib(rest: &str) -> Result<Pbkdf2Sha256, PasswordError> {
    let malformed = |why: &str| unsupported(format!("malformed passlib PBKDF2 hash: {why}"));
    let [rounds, salt, hash] = three_fields(rest).ok_or_else(|| malformed("not 3 fields"))?;
    Ok(Pbkdf2Sha256 {
        rounds: decimal(rounds).ok_or_else(|| malformed("rounds are not a number"))?,
        salt: AB64
            .decode(salt)
            .map_err(|_| malformed("the salt is not ab64"))?,
        expected: AB64
            .decode(hash)
            .map_err(|_| malformed("the hash is not ab64"))?,
    })
}

fn decode_django(rest: &str) -> Result<Pbkdf2Sha256, PasswordError> {
    let malformed = |why: &str| unsupported(format!("malformed Django PBKDF2 hash: {why}"));
    let [rounds, salt, hash] = three_fields(rest).ok_or_else(|| malformed("not 3 fields"))?;
    if salt.is_empty() {
        return Err(malformed("empty salt"));
    }
    Ok(Pbkdf2Sha256 {
        rounds: decimal(rounds).ok_or_else(|| malformed("iterations are not a number"))?,
        // Django feeds the salt string itself to PBKDF2, not its decoding.
        salt: salt.as_bytes().to_vec(),
        expected: STANDARD
            .decode(hash)
            .map_err(|_| malformed("the hash is not base64"))?,
    })
}

fn three_fields(s: &str) -> Option<[&str; 3]> {
    let mut fields = s.split('$');
    let three = [fields.next()?, fields.next()?, fields.next()?];
    fields.next().is_none().then_some(three)
}

/// Digits only: `u32::from_str` would also take a leading `+`.
fn decimal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(super) fn check(encoded: &str) -> Result<(), PasswordError> {
    decode(encoded).map(|_| ())
}

pub(super) fn verify(encoded: &str, password: &[u8]) -> bool {
    let Ok(hash) = decode(encoded) else {
        return false;
    };
    let mut buffer = [0u8; MAX_PBKDF2_OUTPUT_BYTES];
    let Some(computed) = buffer.get_mut(..hash.expected.len()) else {
        return false;
    };
    pbkdf2::pbkdf2_hmac::<Sha256>(password, &hash.salt, hash.rounds, computed);
    computed.ct_eq(&hash.expected).into()
}
