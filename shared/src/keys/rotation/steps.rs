//! The four steps, with the checks AWS's rotation function templates make before each: rotation
//! enabled, the token a version of the secret, and that version AWSPENDING (or already
//! AWSCURRENT: a retry after the rotation finished, nothing left to do).

use std::str::FromStr;
use std::sync::Arc;

use super::port::{AWSCURRENT, AWSPENDING, SecretMetadata};
use super::successor::check_successor;
use super::{RotationError, VersionedSecret, pending};
use crate::keys::{
    KeySet, KeySetDocument, KeyState, RetirementWindow, SigningAlgorithm, initial_document,
    rotate_to_published_next,
};
use crate::log_safe::untrusted;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    Create,
    Set,
    Test,
    Finish,
}

impl FromStr for RotationStep {
    type Err = RotationError;

    fn from_str(step: &str) -> Result<Self, Self::Err> {
        match step {
            "createSecret" => Ok(RotationStep::Create),
            "setSecret" => Ok(RotationStep::Set),
            "testSecret" => Ok(RotationStep::Test),
            "finishSecret" => Ok(RotationStep::Finish),
            other => Err(RotationError::UnknownStep(untrusted(other).to_string())),
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// createSecret stored the rotated key set as AWSPENDING.
    Created,
    /// createSecret found this token's AWSPENDING value already stored (a retry).
    AlreadyCreated,
    /// setSecret: the key set lives only in this secret, so there is no other system to update.
    NothingToSet,
    Tested,
    /// finishSecret moved AWSCURRENT to the token's version.
    Promoted,
    /// The token's version is AWSCURRENT already: the rotation finished before.
    AlreadyCurrent,
}

pub struct KeyRotation {
    secret: Arc<dyn VersionedSecret>,
    alg: SigningAlgorithm,
    window: RetirementWindow,
}

impl KeyRotation {
    /// New keys get `alg` (`SIGNING_ALG`); `previous` keys retire after `window`, the rule
    /// `authctl keys` applies too.
    pub fn new(
        secret: Arc<dyn VersionedSecret>,
        alg: SigningAlgorithm,
        window: RetirementWindow,
    ) -> Self {
        KeyRotation {
            secret,
            alg,
            window,
        }
    }

    /// Runs `step` (as Secrets Manager names it) for version `token` of `secret_id` at `now`.
    pub async fn run(
        &self,
        secret_id: &str,
        token: &str,
        step: &str,
        now: i64,
    ) -> Result<StepOutcome, RotationError> {
        let step: RotationStep = step.parse()?;
        let metadata = self.secret.describe(secret_id).await?;
        if !metadata.rotation_enabled {
            return Err(RotationError::RotationNotEnabled);
        }
        if !metadata.versions.contains_key(token) {
            return Err(RotationError::UnknownVersion(untrusted(token).to_string()));
        }
        if metadata.has_stage(token, AWSCURRENT) {
            return Ok(StepOutcome::AlreadyCurrent);
        }
        if !metadata.has_stage(token, AWSPENDING) {
            return Err(RotationError::NotPending(token.into()));
        }
        match step {
            RotationStep::Create => self.create(secret_id, token, now).await,
            RotationStep::Set => Ok(StepOutcome::NothingToSet),
            RotationStep::Test => self.test(secret_id, token, now).await,
            RotationStep::Finish => self.finish(secret_id, token, &metadata).await,
        }
    }

    async fn create(
        &self,
        secret_id: &str,
        token: &str,
        now: i64,
    ) -> Result<StepOutcome, RotationError> {
        if self
            .secret
            .get_version(secret_id, token, AWSPENDING)
            .await?
            .is_some()
        {
            return Ok(StepOutcome::AlreadyCreated);
        }
        let current = self
            .secret
            .get_by_stage(secret_id, AWSCURRENT)
            .await?
            .ok_or(RotationError::NoCurrentVersion)?;
        let document = match stored_key_set(&current.secret_string)? {
            None => initial_document(self.alg, now)?,
            Some(document) => rotate_to_published_next(&document, self.alg, now, self.window)?,
        };
        // Never stage a key set the functions could not load.
        KeySet::from_document(&document)?;
        let value = pending::to_json(&document, &current.version_id)?;
        self.secret
            .put_version(secret_id, token, &value, AWSPENDING)
            .await?;
        log_key_states("created the pending key set", token, &document);
        Ok(StepOutcome::Created)
    }

    async fn test(
        &self,
        secret_id: &str,
        token: &str,
        now: i64,
    ) -> Result<StepOutcome, RotationError> {
        let (pending, rotated_from) = self.pending(secret_id, token).await?;
        let current = self
            .secret
            .get_by_stage(secret_id, AWSCURRENT)
            .await?
            .ok_or(RotationError::NoCurrentVersion)?;
        self.still_rotating_from(secret_id, token, rotated_from, &current.version_id)
            .await?;
        let current = stored_key_set(&current.secret_string)?;
        check_successor(current.as_ref(), &pending, now, self.window)?;
        Ok(StepOutcome::Tested)
    }

    async fn finish(
        &self,
        secret_id: &str,
        token: &str,
        metadata: &SecretMetadata,
    ) -> Result<StepOutcome, RotationError> {
        let current = metadata
            .version_with(AWSCURRENT)
            .ok_or(RotationError::NoCurrentVersion)?;
        let (pending, rotated_from) = self.pending(secret_id, token).await?;
        self.still_rotating_from(secret_id, token, rotated_from, current)
            .await?;
        // Secrets Manager refuses the move if AWSCURRENT left `current` since the describe: a
        // write racing this step fails it rather than being overwritten.
        self.secret
            .move_stage(secret_id, AWSCURRENT, Some(current), Some(token))
            .await?;
        // The rotation is over: AWSPENDING on no version, one of the two end states Secrets
        // Manager accepts (the other, AWSPENDING left with AWSCURRENT, is what a retry after a
        // failure right here leaves, and is accepted as well).
        self.secret
            .move_stage(secret_id, AWSPENDING, Some(token), None)
            .await?;
        log_key_states(
            "promoted the pending key set to AWSCURRENT",
            token,
            &pending,
        );
        Ok(StepOutcome::Promoted)
    }

    async fn pending(
        &self,
        secret_id: &str,
        token: &str,
    ) -> Result<(KeySetDocument, Option<String>), RotationError> {
        let version = self
            .secret
            .get_version(secret_id, token, AWSPENDING)
            .await?
            .ok_or_else(|| RotationError::NoPendingValue(token.into()))?;
        pending::parse(&version.secret_string)
    }

    /// A pending key set computed from an older AWSCURRENT would undo whatever was written
    /// since. Retrying cannot help (a version's value never changes), so the step fails and
    /// the version loses AWSPENDING: Secrets Manager starts no new rotation while AWSPENDING
    /// sits on a version other than AWSCURRENT's, and the next one starts from the new key set.
    async fn still_rotating_from(
        &self,
        secret_id: &str,
        token: &str,
        rotated_from: Option<String>,
        current: &str,
    ) -> Result<(), RotationError> {
        if rotated_from.as_deref() == Some(current) {
            return Ok(());
        }
        self.secret
            .move_stage(secret_id, AWSPENDING, Some(token), None)
            .await?;
        Err(RotationError::CurrentChanged {
            pending: token.into(),
            rotated_from: rotated_from.unwrap_or_else(|| "(none recorded)".into()),
            current: current.into(),
        })
    }
}

/// The key set a stored value holds; `None` for the template's empty placeholder.
fn stored_key_set(value: &str) -> Result<Option<KeySetDocument>, RotationError> {
    if KeySetDocument::is_placeholder(value) {
        return Ok(None);
    }
    Ok(Some(KeySetDocument::from_json(
        value.as_bytes(),
        "AWSCURRENT",
    )?))
}

/// kids and states only: the document also holds the private keys.
fn log_key_states(message: &str, version: &str, document: &KeySetDocument) {
    let kid_of = |state: KeyState| -> Vec<&str> {
        document
            .keys
            .iter()
            .filter(|k| k.state == state)
            .map(|k| k.kid.as_str())
            .collect()
    };
    tracing::info!(
        version,
        current = ?kid_of(KeyState::Current),
        next = ?kid_of(KeyState::Next),
        previous = ?kid_of(KeyState::Previous),
        retired = ?kid_of(KeyState::Retired),
        "{message}"
    );
}
