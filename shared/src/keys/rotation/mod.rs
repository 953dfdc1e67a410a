//! Secrets Manager rotation of the key set: the four steps of a rotation function
//! (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) as plain logic over a
//! [`VersionedSecret`], so every step and its retries run in unit tests without a server.
//!
//! A rotation is [`rotate_to_published_next`](super::rotate_to_published_next) of the AWSCURRENT
//! key set: the `next` key, published in the JWKS since the previous rotation, starts signing;
//! the signing key becomes `previous`; a new `next` key is published; `previous` keys past their
//! retirement window retire. An empty secret (`{}`, as the template creates it) gets its first
//! key set instead, so a new stack signs from its first request.
//!
//! Secrets Manager retries a failed step with the same token, so each step is idempotent: a
//! version already created is kept, a version already promoted is left alone.

mod memory;
mod pending;
pub mod port;
mod steps;
mod successor;
#[cfg(test)]
mod tests;

pub use memory::InMemorySecret;
pub use port::{SecretMetadata, SecretVersion, VersionedSecret};
pub use steps::{KeyRotation, RotationStep, StepOutcome};

use super::KeyError;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("unknown rotation step {0}")]
    UnknownStep(String),
    #[error("rotation is not enabled for the secret")]
    RotationNotEnabled,
    #[error("the token {0} is not a version of the secret")]
    UnknownVersion(String),
    #[error("version {0} is not AWSPENDING: it is not the version this rotation works on")]
    NotPending(String),
    #[error("the secret has no AWSCURRENT version with a value")]
    NoCurrentVersion,
    #[error("version {0} has no value yet: createSecret has not run for it")]
    NoPendingValue(String),
    #[error(
        "AWSCURRENT is version {current}, not version {rotated_from} that pending version \
         {pending} was rotated from: the key set was written meanwhile (authctl keys?), and \
         promoting the pending version would undo that write. AWSPENDING is withdrawn from it; \
         the next rotation starts from the new AWSCURRENT"
    )]
    CurrentChanged {
        pending: String,
        rotated_from: String,
        current: String,
    },
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("the pending key set fails its test: {0}")]
    Test(String),
    #[error("the secret store failed: {0}")]
    Secret(String),
}
