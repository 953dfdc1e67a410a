//! Every function's wiring: builds, once per container (or CLI run), the adapters the settings
//! select and the handler state each function serves. A function's `main.rs` calls one of
//! [`Bootstrap::token_endpoint`], [`Bootstrap::user_token_endpoint`], [`Bootstrap::discovery`],
//! [`Bootstrap::authorizer`] or [`Bootstrap::key_rotation`] and hands the result to the Lambda
//! runtime.
//!
//! The SQLite wiring exists only with the `sqlite` feature; without it `StoreConfig` has no
//! SQLite variant (`Settings` refuses `STORE=sqlite`), so DynamoDB is the one store to wire.

use std::sync::Arc;
use tokio::sync::OnceCell;

use crate::authz::{CallerStatus, LegacyApiKeyAuth, RequestAuthorizer};
use crate::aws_sdk;
use crate::config::{
    AuthorizerSettings, ConfigError, KeySourceConfig, Settings, SignInSettings, StoreConfig,
};
use crate::domain::time::now_unix;
use crate::entrypoints::authorizer::AuthorizerHandler;
use crate::entrypoints::discovery::DiscoveryState;
use crate::keys::rotation::KeyRotation;
use crate::keys::source::{FileKeySource, SecretsManagerKeySource, SecretsManagerVersions};
use crate::keys::{KeyCache, KeySetSource, KeySetStore};
use crate::oauth::{RemoveLegacyKeysOnIssue, TokenEndpoint, UserTokenEndpoint};
use crate::store::dynamodb::{
    DynamoDbApiKeyStore, DynamoDbClientStore, DynamoDbSessionStore, DynamoDbUserStore,
};
#[cfg(feature = "sqlite")]
use crate::store::sqlite::SqliteStore;
use crate::store::{ApiKeyStore, ClientStore, SessionStore, UserStore};
use crate::tokens::AccessTokenVerifier;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[cfg(feature = "sqlite")]
    #[error("opening the SQLite store failed: {0}")]
    Sqlite(String),
}

pub struct Bootstrap {
    settings: Settings,
    aws: OnceCell<aws_config::SdkConfig>,
    dynamodb: OnceCell<aws_sdk_dynamodb::Client>,
    #[cfg(feature = "sqlite")]
    sqlite: OnceCell<Arc<SqliteStore>>,
}

impl Bootstrap {
    pub fn new(settings: Settings) -> Self {
        Bootstrap {
            settings,
            aws: OnceCell::new(),
            dynamodb: OnceCell::new(),
            #[cfg(feature = "sqlite")]
            sqlite: OnceCell::new(),
        }
    }

    /// The service's settings from the process environment.
    pub fn from_env() -> Result<Self, BootstrapError> {
        Ok(Self::new(Settings::from_env()?))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `POST /v1/token` and `POST /oauth/v2/token`: clients, keys, and the removal of a
    /// client's legacy API keys on its first token.
    pub async fn token_endpoint(&self) -> Result<TokenEndpoint, BootstrapError> {
        let remover = RemoveLegacyKeysOnIssue::new(self.api_key_store().await?);
        Ok(TokenEndpoint::new(
            self.client_store().await?,
            self.key_cache().await,
            self.settings.token_settings(),
        )
        .with_after_issue(Arc::new(remover)))
    }

    /// `POST /v2/token` and `POST /v2/revoke`: clients, users, sessions, keys and the sign-in
    /// settings (`SignInSettings::from_env`). The dummy password hash is made now, during init.
    pub async fn user_token_endpoint(&self) -> Result<UserTokenEndpoint, BootstrapError> {
        let endpoint = UserTokenEndpoint::new(
            self.client_store().await?,
            self.user_store().await?,
            self.session_store().await?,
            self.key_cache().await,
            self.settings.token_settings(),
            SignInSettings::from_env()?,
        )?;
        endpoint.warm_up();
        Ok(endpoint)
    }

    /// The metadata documents and the JWKS.
    pub async fn discovery(&self) -> DiscoveryState {
        DiscoveryState {
            keys: self.key_cache().await,
            settings: self.settings.clone(),
        }
    }

    /// The authorizer from its own settings (`AuthorizerSettings::from_env`): the key cache
    /// (loaded now, during init), the policy, the client and user stores behind the caller-status
    /// cache, and — only when `API_KEY_SUNSET` is set — the API-key store. A token's caller is
    /// read at most once per `CALLER_STATUS_CACHE_SECONDS` per container.
    pub async fn authorizer(&self) -> Result<AuthorizerHandler, BootstrapError> {
        let settings = AuthorizerSettings::from_env()?;
        let verifier = AccessTokenVerifier::new(
            &self.settings.issuer,
            &self.settings.audience,
            settings.leeway_seconds,
        );
        let status = CallerStatus::new(
            self.client_store().await?,
            self.user_store().await?,
            settings.caller_status,
        );
        let mut authorizer = RequestAuthorizer::new(
            verifier,
            self.key_cache().await,
            settings.policy.load()?,
            status,
        );
        match settings.api_key_sunset {
            Some(sunset) => {
                if now_unix() >= sunset {
                    tracing::warn!(
                        sunset,
                        "the legacy API-key window has ended; API keys are refused"
                    );
                }
                authorizer = authorizer.with_api_keys(LegacyApiKeyAuth {
                    keys: self.api_key_store().await?,
                    clients: self.client_store().await?,
                    sunset,
                });
            }
            None => tracing::info!("API_KEY_SUNSET is not set: legacy API keys are refused"),
        }
        Ok(AuthorizerHandler::new(
            authorizer,
            settings.api_key_header,
            settings.http_api_response,
        ))
    }

    /// The Secrets Manager rotation of the key set: new keys of `SIGNING_ALG`, retired after
    /// the window of `KEY_REFRESH_SECONDS`, `KEY_MAX_STALE_SECONDS` and `JWKS_MAX_AGE_SECONDS`
    /// (the token functions' values, so that no key leaves while their tokens live). The secret
    /// is the one each rotation event names.
    pub async fn key_rotation(&self) -> KeyRotation {
        let client = aws_sdk::secrets_manager_client(self.aws().await);
        KeyRotation::new(
            Arc::new(SecretsManagerVersions::new(client)),
            self.settings.signing_algorithm,
            self.settings.retirement_window(),
        )
    }

    /// AWS configuration (region, credentials, `AWS_ENDPOINT_URL`) with the settings' call
    /// timeouts, loaded only when an AWS adapter is asked for, so local runs start without
    /// touching AWS.
    async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws
            .get_or_init(|| aws_sdk::config_loader(&self.settings.aws_timeouts).load())
            .await
    }

    /// One DynamoDB client per process, shared by every table's adapter, so they share its
    /// connection pool: one TLS handshake per container, not one per table.
    async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| async { aws_sdk::dynamodb_client(self.aws().await) })
            .await
            .clone()
    }

    /// One SQLite connection per process, shared by every port it serves.
    #[cfg(feature = "sqlite")]
    async fn sqlite(&self, path: &std::path::Path) -> Result<Arc<SqliteStore>, BootstrapError> {
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
            StoreConfig::DynamoDb { clients_table, .. } => Arc::new(DynamoDbClientStore::new(
                self.dynamodb().await,
                clients_table.clone(),
            )),
            #[cfg(feature = "sqlite")]
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    /// Legacy API keys, in the same backend as the clients (their flag lives on the client).
    pub async fn api_key_store(&self) -> Result<Arc<dyn ApiKeyStore>, BootstrapError> {
        Ok(match &self.settings.store {
            StoreConfig::DynamoDb {
                clients_table,
                api_keys_table,
                ..
            } => Arc::new(DynamoDbApiKeyStore::new(
                self.dynamodb().await,
                api_keys_table.clone(),
                clients_table.clone(),
            )),
            #[cfg(feature = "sqlite")]
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    pub async fn user_store(&self) -> Result<Arc<dyn UserStore>, BootstrapError> {
        Ok(match &self.settings.store {
            StoreConfig::DynamoDb { users_table, .. } => Arc::new(DynamoDbUserStore::new(
                self.dynamodb().await,
                users_table.clone(),
            )),
            #[cfg(feature = "sqlite")]
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    pub async fn session_store(&self) -> Result<Arc<dyn SessionStore>, BootstrapError> {
        Ok(match &self.settings.store {
            StoreConfig::DynamoDb { sessions_table, .. } => Arc::new(DynamoDbSessionStore::new(
                self.dynamodb().await,
                sessions_table.clone(),
            )),
            #[cfg(feature = "sqlite")]
            StoreConfig::Sqlite { path } => self.sqlite(path).await?,
        })
    }

    pub async fn key_store(&self) -> Arc<dyn KeySetStore> {
        match &self.settings.key_source {
            KeySourceConfig::SecretsManager { secret_id } => {
                Arc::new(SecretsManagerKeySource::new(
                    aws_sdk::secrets_manager_client(self.aws().await),
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
        let cache = Arc::new(
            KeyCache::new(source, self.settings.key_refresh_interval)
                .with_max_stale(self.settings.key_max_stale),
        );
        if let Err(error) = cache.current().await {
            tracing::error!(%error, "signing keys not loaded at start-up");
        }
        cache
    }
}
