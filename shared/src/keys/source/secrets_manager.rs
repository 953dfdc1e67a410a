//! The key set in one AWS Secrets Manager secret (a JSON `SecretString`).

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;

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
        if json.trim().is_empty() || json.trim() == "{}" {
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
