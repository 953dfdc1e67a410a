//! The versioned secret a rotation works on: what Secrets Manager offers, cut to the calls the
//! four steps make. Every read names a stage or a version: Secrets Manager answers a read
//! without one with AWSCURRENT, moto with whatever version was current before the last stage
//! move, and a rotation must never act on either by accident.

use async_trait::async_trait;
use std::collections::BTreeMap;

use super::RotationError;

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// What `DescribeSecret` says about a secret's rotation and versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretMetadata {
    pub rotation_enabled: bool,
    /// Version id → its staging labels.
    pub versions: BTreeMap<String, Vec<String>>,
}

impl SecretMetadata {
    /// The version that holds `stage`, if any.
    pub fn version_with(&self, stage: &str) -> Option<&str> {
        self.versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(id, _)| id.as_str())
    }

    pub fn has_stage(&self, version_id: &str, stage: &str) -> bool {
        self.versions
            .get(version_id)
            .is_some_and(|stages| stages.iter().any(|s| s == stage))
    }
}

/// One version's value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretVersion {
    pub version_id: String,
    pub secret_string: String,
}

/// Never the value: it holds private keys.
impl std::fmt::Debug for SecretVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVersion")
            .field("version_id", &self.version_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait VersionedSecret: Send + Sync {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, RotationError>;

    /// The version holding `stage`; `None` when no version holds it or it has no value yet.
    async fn get_by_stage(
        &self,
        secret_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError>;

    /// Version `version_id` if it holds `stage` and has a value; `None` otherwise (Secrets
    /// Manager creates the AWSPENDING version of a rotation without a value).
    async fn get_version(
        &self,
        secret_id: &str,
        version_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError>;

    /// Gives version `version_id` the value `secret_string` and the label `stage` (taken from
    /// whichever version held it).
    async fn put_version(
        &self,
        secret_id: &str,
        version_id: &str,
        secret_string: &str,
        stage: &str,
    ) -> Result<(), RotationError>;

    /// Moves `stage` to `to` (from `from`, which must hold it when given), or only removes it
    /// from `from` when `to` is `None`. Moving AWSCURRENT labels its old version AWSPREVIOUS.
    async fn move_stage(
        &self,
        secret_id: &str,
        stage: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), RotationError>;
}
