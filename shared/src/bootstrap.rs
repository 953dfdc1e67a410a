//! Builds the adapters that the settings select, once per container or CLI run.

use std::sync::Arc;

use crate::config::{KeySourceConfig, Settings, StoreConfig};
use crate::keys::file::FileKeySource;
use crate::keys::secrets_manager::SecretsManagerKeySource;
use crate::keys::{KeyCache, KeySetStore};
use crate::store::ClientStore;
use crate::store::dynamodb::DynamoDbStore;
use crate::store::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("opening the SQLite store failed: {0}")]
    Sqlite(String),
}

/// The adapters behind the ports, as the settings chose them.
pub struct Adapters {
    pub clients: Arc<dyn ClientStore>,
    pub keys: Arc<dyn KeySetStore>,
}

impl Adapters {
    /// AWS configuration (region, credentials, `AWS_ENDPOINT_URL`) is loaded only when an AWS
    /// adapter is selected, so local runs start without touching AWS.
    pub async fn from_settings(settings: &Settings) -> Result<Self, BootstrapError> {
        let aws = tokio::sync::OnceCell::new();
        let clients: Arc<dyn ClientStore> = match &settings.store {
            StoreConfig::DynamoDb { clients_table, .. } => {
                let aws = aws.get_or_init(load_aws_config).await;
                Arc::new(DynamoDbStore::new(
                    aws_sdk_dynamodb::Client::new(aws),
                    clients_table.clone(),
                ))
            }
            StoreConfig::Sqlite { path } => Arc::new(
                SqliteStore::open(path).map_err(|e| BootstrapError::Sqlite(e.to_string()))?,
            ),
        };
        let keys: Arc<dyn KeySetStore> = match &settings.key_source {
            KeySourceConfig::SecretsManager { secret_id } => {
                let aws = aws.get_or_init(load_aws_config).await;
                Arc::new(SecretsManagerKeySource::new(
                    aws_sdk_secretsmanager::Client::new(aws),
                    secret_id.clone(),
                ))
            }
            KeySourceConfig::File { path } => Arc::new(FileKeySource::new(path.clone())),
        };
        Ok(Adapters { clients, keys })
    }

    pub fn key_cache(&self, settings: &Settings) -> Arc<KeyCache> {
        let source: Arc<dyn crate::keys::KeySetSource> = self.keys.clone();
        Arc::new(KeyCache::new(source, settings.key_refresh_interval))
    }
}

async fn load_aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
