//! The key set in one AWS Secrets Manager secret (a JSON `SecretString`): the functions' and
//! `authctl`'s source, and the versioned secret the key-rotation function works on. Every read
//! names its stage or version (see `keys::rotation::port`).

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;

use crate::keys::rotation::RotationError;
use crate::keys::rotation::port::{AWSCURRENT, SecretMetadata, SecretVersion, VersionedSecret};
use crate::keys::{KeyError, KeySetDocument, KeySetSource, KeySetStore};

pub struct SecretsManagerKeySource {
    client: Client,
    secret_id: String,
}

impl SecretsManagerKeySource {
    pub fn new(client: Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerKeySource {
            client,
            secret_id: secret_id.into(),
        }
    }
}

fn source_error(e: impl ProvideErrorMetadata + std::fmt::Display) -> KeyError {
    KeyError::Source(format!(
        "{}: {}",
        e.code().unwrap_or("unknown"),
        e.message().unwrap_or("no message")
    ))
}

#[async_trait]
impl KeySetSource for SecretsManagerKeySource {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(AWSCURRENT)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_resource_not_found_exception() {
                    KeyError::Missing
                } else {
                    source_error(e)
                }
            })?;
        let json = output
            .secret_string()
            .ok_or_else(|| KeyError::Invalid("the secret has no SecretString".into()))?;
        if KeySetDocument::is_placeholder(json) {
            return Err(KeyError::Missing);
        }
        KeySetDocument::from_json(json.as_bytes(), "secret")
    }
}

#[async_trait]
impl KeySetStore for SecretsManagerKeySource {
    /// Puts a new version of the secret, creating the secret when it does not exist yet.
    async fn save(&self, document: &KeySetDocument) -> Result<(), KeyError> {
        let json = serde_json::to_string(document).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let put = self
            .client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(&json)
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if !e.is_resource_not_found_exception() {
                    return Err(source_error(e));
                }
                self.client
                    .create_secret()
                    .name(&self.secret_id)
                    .secret_string(&json)
                    .send()
                    .await
                    .map_err(|e| source_error(e.into_service_error()))?;
                Ok(())
            }
        }
    }
}

/// The secret's versions and labels, for the key-rotation function (which names the secret in
/// each event).
pub struct SecretsManagerVersions {
    client: Client,
}

impl SecretsManagerVersions {
    pub fn new(client: Client) -> Self {
        SecretsManagerVersions { client }
    }

    async fn get(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .set_version_id(version_id.map(str::to_string))
            .version_stage(stage)
            .send()
            .await;
        let output = match output {
            Ok(output) => output,
            // Also the answer for a version Secrets Manager created without a value.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(rotation_error(e.into_service_error())),
        };
        let (Some(version_id), Some(value)) = (output.version_id(), output.secret_string()) else {
            return Ok(None);
        };
        Ok(Some(SecretVersion {
            version_id: version_id.to_string(),
            secret_string: value.to_string(),
        }))
    }
}

fn rotation_error(e: impl ProvideErrorMetadata + std::fmt::Display) -> RotationError {
    RotationError::Secret(format!(
        "{}: {}",
        e.code().unwrap_or("unknown"),
        e.message().unwrap_or("no message")
    ))
}

#[async_trait]
impl VersionedSecret for SecretsManagerVersions {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, RotationError> {
        let output = self
            .client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| rotation_error(e.into_service_error()))?;
        Ok(SecretMetadata {
            rotation_enabled: output.rotation_enabled().unwrap_or(false),
            versions: output
                .version_ids_to_stages()
                .map(|versions| {
                    versions
                        .iter()
                        .map(|(id, stages)| (id.clone(), stages.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    async fn get_by_stage(
        &self,
        secret_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError> {
        self.get(secret_id, None, stage).await
    }

    async fn get_version(
        &self,
        secret_id: &str,
        version_id: &str,
        stage: &str,
    ) -> Result<Option<SecretVersion>, RotationError> {
        self.get(secret_id, Some(version_id), stage).await
    }

    async fn put_version(
        &self,
        secret_id: &str,
        version_id: &str,
        secret_string: &str,
        stage: &str,
    ) -> Result<(), RotationError> {
        self.client
            .put_secret_value()
            .secret_id(secret_id)
            .client_request_token(version_id)
            .secret_string(secret_string)
            .version_stages(stage)
            .send()
            .await
            .map_err(|e| rotation_error(e.into_service_error()))?;
        Ok(())
    }

    async fn move_stage(
        &self,
        secret_id: &str,
        stage: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), RotationError> {
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(stage)
            .set_remove_from_version_id(from.map(str::to_string))
            .set_move_to_version_id(to.map(str::to_string))
            .send()
            .await
            .map_err(|e| rotation_error(e.into_service_error()))?;
        Ok(())
    }
}
