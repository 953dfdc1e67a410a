//! A versioned secret in memory, with Secrets Manager's rules for labels: for the unit tests of
//! every rotation step (microseconds, no server).

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::port::{AWSCURRENT, AWSPENDING, AWSPREVIOUS, SecretMetadata, SecretVersion};
use super::{RotationError, VersionedSecret};

#[derive(Debug, Default)]
struct Version {
    value: Option<String>,
    stages: Vec<String>,
}

#[derive(Debug, Default)]
struct Secret {
    rotation_enabled: bool,
    versions: BTreeMap<String, Version>,
}

/// One secret, named by any `secret_id` (the rotation passes the event's through).
#[derive(Debug, Default)]
pub struct InMemorySecret {
    secret: Mutex<Secret>,
}

impl InMemorySecret {
    /// A secret as the template creates it: one AWSCURRENT version holding `value`.
    pub fn new(version_id: &str, value: &str) -> Self {
        let secret = InMemorySecret::default();
        secret.with(|s| {
            s.versions.insert(
                version_id.into(),
                Version {
                    value: Some(value.into()),
                    stages: vec![AWSCURRENT.into()],
                },
            );
        });
        secret
    }

    pub fn enable_rotation(&self) {
        self.with(|s| s.rotation_enabled = true);
    }

    /// What `RotateSecret` does before it calls the function: a version `token` without a
    /// value, labelled AWSPENDING.
    pub fn start_rotation(&self, token: &str) {
        self.with(|s| {
            remove_stage(s, AWSPENDING);
            s.versions.insert(
                token.into(),
                Version {
                    value: None,
                    stages: vec![AWSPENDING.into()],
                },
            );
        });
    }

    /// `PutSecretValue` without labels, as `authctl keys` writes: a new AWSCURRENT version.
    pub fn put_current(&self, version_id: &str, value: &str) {
        self.with(|s| {
            let old = current_of(s);
            remove_stage(s, AWSCURRENT);
            if let Some(old) = old {
                remove_stage(s, AWSPREVIOUS);
                add_stage(s, &old, AWSPREVIOUS);
            }
            s.versions.insert(
                version_id.into(),
                Version {
                    value: Some(value.into()),
                    stages: vec![AWSCURRENT.into()],
                },
            );
        });
    }

    fn with<T>(&self, f: impl FnOnce(&mut Secret) -> T) -> T {
        let mut guard = match self.secret.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

fn current_of(s: &Secret) -> Option<String> {
    s.versions
        .iter()
        .find(|(_, v)| v.stages.iter().any(|st| st == AWSCURRENT))
        .map(|(id, _)| id.clone())
}

fn remove_stage(s: &mut Secret, stage: &str) {
    for version in s.versions.values_mut() {
        version.stages.retain(|st| st != stage);
    }
}

fn add_stage(s: &mut Secret, version_id: &str, stage: &str) {
    if let Some(version) = s.versions.get_mut(version_id)
        && !version.stages.iter().any(|st| st == stage)
    {
        version.stages.push(stage.into());
    }
}

fn value_of(version_id: &str, version: &Version) -> Option<SecretVersion> {
    version.value.as_ref().map(|value| SecretVersion {
        version_id: version_id.into(),
        secret_string: value.clone(),
    })
}

#[async_trait]
impl VersionedSecret for InMemorySecret {
    async fn describe(&self, _secret_id: &str) -> Result<SecretMetadata, RotationError> {
        Ok(self.with(|s| SecretMetadata {
            rotation_enabled: s.rotation_enabled,
            versions: s
                .versions
                .iter()
                .map(|(id, v)| (id.clone(), v.stages.clone()))
                .collect(),
        }))
    }

    async fn get_by_stage(
        &self,
        _secret_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError> {
        Ok(self.with(|s| {
            s.versions
                .iter()
                .find(|(_, v)| v.stages.iter().any(|st| st == stage))
                .and_then(|(id, v)| value_of(id, v))
        }))
    }

    async fn get_version(
        &self,
        _secret_id: &str,
        version_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError> {
        Ok(self.with(|s| {
            s.versions
                .get(version_id)
                .filter(|v| v.stages.iter().any(|st| st == stage))
                .and_then(|v| value_of(version_id, v))
        }))
    }

    /// Secrets Manager refuses to change a version's value once it has one.
    async fn put_version(
        &self,
        _secret_id: &str,
        version_id: &str,
        secret_string: &str,
        stage: &str,
    ) -> Result<(), RotationError> {
        self.with(|s| {
            if let Some(existing) = s.versions.get(version_id).and_then(|v| v.value.as_ref())
                && existing != secret_string
            {
                return Err(RotationError::Secret(format!(
                    "version {version_id} already has another value"
                )));
            }
            remove_stage(s, stage);
            let version = s.versions.entry(version_id.into()).or_default();
            version.value = Some(secret_string.into());
            version.stages.push(stage.into());
            Ok(())
        })
    }

    async fn move_stage(
        &self,
        _secret_id: &str,
        stage: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), RotationError> {
        self.with(|s| {
            let holder = s
                .versions
                .iter()
                .find(|(_, v)| v.stages.iter().any(|st| st == stage))
                .map(|(id, _)| id.clone());
            if holder.as_deref() != from {
                return Err(RotationError::Secret(format!(
                    "{stage} is on another version than the one given"
                )));
            }
            if let Some(to) = to
                && !s.versions.contains_key(to)
            {
                return Err(RotationError::Secret(format!("no version {to}")));
            }
            remove_stage(s, stage);
            if let Some(to) = to {
                add_stage(s, to, stage);
            }
            if stage == AWSCURRENT
                && let Some(from) = from
            {
                remove_stage(s, AWSPREVIOUS);
                add_stage(s, from, AWSPREVIOUS);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::conformance::SecretUnderTest;
    use std::sync::Arc;

    async fn as_a_rotation_finds_it() -> SecretUnderTest {
        let secret = InMemorySecret::new("v-current", "{}");
        secret.enable_rotation();
        secret.start_rotation("v-token");
        SecretUnderTest::new(Arc::new(secret), "keys", "v-current", "v-token")
    }

    crate::versioned_secret_conformance!(as_a_rotation_finds_it());
}
