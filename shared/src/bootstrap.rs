//! Builds the adapters that the settings select, once per container or CLI run. Each function
//! asks only for the ports it uses.

use std::sync::Arc;
use tokio::sync::OnceCell;

use crate::config::{KeySourceConfig, Settings, StoreConfig};
use crate::keys::file::FileKeySource;
use crate::keys::secrets_manager::SecretsManagerKeySource;
use crate::keys::{KeyCache, KeySetSource, KeySetStore};
use crate::store::ClientStore;
use crate::store::api_keys::ApiKeyStore;
use crate::store::dynamodb::DynamoDbStore;
use crate::store::dynamodb_api_keys::DynamoDbApiKeyStore;
use crate::store::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("opening the SQLite store failed: {0}")]
    Sqlite(String),
}

pub struct Bootstrap {
    settings: Settings,
    aws: OnceCell<aws_config::SdkConfig>,
    sqlite: OnceCell<Arc<SqliteStore>>,
}

impl Bootstrap {
    pub fn new(settings: Settings) -> Self {
        Bootstrap {
            settings,
            aws: OnceCell::new(),
            sqlite: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// AWS configuration (region, credentials, `AWS_ENDPOINT_URL`), loaded only when an AWS
    /// adapter is asked for, so local runs start without touching AWS.
    pub async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws
            .get_or_init(|| aws_config::load_defaults(aws_config::BehaviorVersion::latest()))
            .await
    }

    /// One SQLite connection per process, shared by every port it serves.
    pub async fn sqlite(&self, path: &std::path::Path) -> Result<Arc<SqliteStore>, BootstrapError> {
        self.sqlite
            .get_or_try_init(|| async {
                SqliteStore::open(path)
                    .map(Arc::new)
                    .map_err(|e| BootstrapError::Sqlite(e.to_string()))
            })
            .await
            .cloned()
    }

    pub async fn client_store(&self) -> Result<Arc<dyn ClientStore>, BootstrapError> {
        Ok(match &self.settings.store {
            StoreConfig::DynamoDb { clients_table, .. } => Arc::new(DynamoDbStore::new(
                aws_sdk_dynamodb::Client::new(self.aws().await),
                clients_table.clone(),
            )),
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    /// Legacy API keys, in the same backend as the clients (their flag lives on the client).
    pub async fn api_key_store(&self) -> Result<Arc<dyn ApiKeyStore>, BootstrapError> {
        Ok(match &self.settings.store {
            StoreConfig::DynamoDb {
                clients_table,
                api_keys_table,
            } => Arc::new(DynamoDbApiKeyStore::new(
                aws_sdk_dynamodb::Client::new(self.aws().await),
                api_keys_table.clone(),
                clients_table.clone(),
            )),
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    pub async fn key_store(&self) -> Arc<dyn KeySetStore> {
        match &self.settings.key_source {
            KeySourceConfig::SecretsManager { secret_id } => {
                Arc::new(SecretsManagerKeySource::new(
                    aws_sdk_secretsmanager::Client::new(self.aws().await),
                    secret_id.clone(),
                ))
            }
            KeySourceConfig::File { path } => Arc::new(FileKeySource::new(path.clone())),
        }
    }

    /// The key cache, with a first load attempted now: during Lambda init the CPU is boosted and
    /// the time is not request latency. A failure is logged and retried on first use.
    pub async fn key_cache(&self) -> Arc<KeyCache> {
        let source: Arc<dyn KeySetSource> = self.key_store().await;
        let cache = Arc::new(KeyCache::new(source, self.settings.key_refresh_interval));
        if let Err(error) = cache.current().await {
            tracing::error!(%error, "signing keys not loaded at start-up");
        }
        cache
    }
}
