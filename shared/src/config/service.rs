//! The service's settings, shared by every function and `authctl`. Every variable is listed in
//! docs/configuration.md.

use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigError, env_var};
use crate::aws_sdk::SdkTimeouts;
use crate::keys::SigningAlgorithm;
use crate::keys::cache::{DEFAULT_MAX_STALE, DEFAULT_REFRESH_INTERVAL};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    #[cfg(feature = "sqlite")]
    Sqlite { path: PathBuf },
    DynamoDb {
        clients_table: String,
        api_keys_table: String,
        users_table: String,
        sessions_table: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySourceConfig {
    File { path: PathBuf },
    SecretsManager { secret_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub issuer: String,
    pub audience: String,
    /// Where clients reach the endpoints; discovery builds its URLs from it.
    pub public_base_url: String,
    pub store: StoreConfig,
    pub key_source: KeySourceConfig,
    pub key_refresh_interval: Duration,
    /// How long past the refresh interval a container serves the keys it holds while reloads
    /// fail; after it, requests needing keys fail closed.
    pub key_max_stale: Duration,
    /// The algorithm new keys get (`authctl keys init/rotate`, first `make run`).
    pub signing_algorithm: SigningAlgorithm,
    pub jwks_max_age: u32,
    /// Bounds of every AWS call (`SDK_*_TIMEOUT_MS`, see [`crate::aws_sdk::timeouts`]).
    pub aws_timeouts: SdkTimeouts,
}

const DEFAULT_ISSUER: &str = "http://127.0.0.1:9000";
const DEFAULT_AUDIENCE: &str = "am-api";

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_var)
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let issuer = var("TOKEN_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into());
        let public_base_url = var("PUBLIC_BASE_URL")
            .unwrap_or_else(|| issuer.clone())
            .trim_end_matches('/')
            .to_string();
        let store = match var("STORE").as_deref().unwrap_or("sqlite") {
            "sqlite" => sqlite_store(&var)?,
            "dynamodb" => StoreConfig::DynamoDb {
                clients_table: var("CLIENTS_TABLE")
                    .unwrap_or_else(|| "token-service-clients".into()),
                api_keys_table: var("API_KEYS_TABLE")
                    .unwrap_or_else(|| "token-service-api-keys".into()),
                users_table: var("USERS_TABLE").unwrap_or_else(|| "token-service-users".into()),
                sessions_table: var("SESSIONS_TABLE")
                    .unwrap_or_else(|| "token-service-sessions".into()),
            },
            other => {
                return Err(ConfigError(format!(
                    "STORE must be sqlite or dynamodb, not {other:?}"
                )));
            }
        };
        let key_source = match var("KEY_SOURCE").as_deref().unwrap_or("file") {
            "file" => KeySourceConfig::File {
                path: var("KEY_FILE")
                    .unwrap_or_else(|| ".local/keyset.json".into())
                    .into(),
            },
            "secretsmanager" => KeySourceConfig::SecretsManager {
                secret_id: var("KEY_SECRET_ID")
                    .unwrap_or_else(|| "token-service/signing-keys".into()),
            },
            other => {
                return Err(ConfigError(format!(
                    "KEY_SOURCE must be file or secretsmanager, not {other:?}"
                )));
            }
        };
        let key_refresh_interval =
            match var("KEY_REFRESH_SECONDS") {
                Some(s) => Duration::from_secs(s.parse().map_err(|_| {
                    ConfigError(format!("KEY_REFRESH_SECONDS is not a number: {s:?}"))
                })?),
                None => DEFAULT_REFRESH_INTERVAL,
            };
        let key_max_stale = match var("KEY_MAX_STALE_SECONDS") {
            Some(s) => Duration::from_secs(s.parse().map_err(|_| {
                ConfigError(format!("KEY_MAX_STALE_SECONDS is not a number: {s:?}"))
            })?),
            None => DEFAULT_MAX_STALE,
        };
        let signing_algorithm = var("SIGNING_ALG")
            .as_deref()
            .unwrap_or("RS256")
            .parse()
            .map_err(|e: crate::keys::KeyError| ConfigError(e.to_string()))?;
        let jwks_max_age = match var("JWKS_MAX_AGE_SECONDS") {
            Some(s) => s
                .parse()
                .map_err(|_| ConfigError(format!("JWKS_MAX_AGE_SECONDS is not a number: {s:?}")))?,
            None => 300,
        };
        Ok(Settings {
            audience: var("TOKEN_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
            issuer,
            public_base_url,
            store,
            key_source,
            key_refresh_interval,
            key_max_stale,
            signing_algorithm,
            jwks_max_age,
            aws_timeouts: SdkTimeouts::from_lookup(&var)?,
        })
    }

    /// How long a key that stopped signing stays published under these settings: `authctl
    /// keys` and the key-rotation function retire keys by the same rule.
    pub fn retirement_window(&self) -> crate::keys::RetirementWindow {
        crate::keys::RetirementWindow::new(
            self.key_refresh_interval,
            self.key_max_stale,
            Duration::from_secs(self.jwks_max_age.into()),
        )
    }

    pub fn token_settings(&self) -> crate::tokens::TokenSettings {
        crate::tokens::TokenSettings {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
        }
    }
}

/// `STORE=sqlite` (also when STORE is unset): the embedded store's file.
#[cfg(feature = "sqlite")]
fn sqlite_store(var: &impl Fn(&str) -> Option<String>) -> Result<StoreConfig, ConfigError> {
    Ok(StoreConfig::Sqlite {
        path: var("SQLITE_PATH")
            .unwrap_or_else(|| ".local/token-service.sqlite".into())
            .into(),
    })
}

/// Without the `sqlite` feature (the functions as SAM builds them) there is no SQLite store to
/// open: refusing the setting at start-up says why, where a missing store would only fail
/// requests later.
#[cfg(not(feature = "sqlite"))]
fn sqlite_store(_var: &impl Fn(&str) -> Option<String>) -> Result<StoreConfig, ConfigError> {
    Err(no_sqlite_store())
}

// Compiled in every build so that its test runs in the usual (SQLite) test run too.
#[cfg_attr(feature = "sqlite", allow(dead_code))]
fn no_sqlite_store() -> ConfigError {
    ConfigError(
        "STORE=sqlite (the default when STORE is unset): this build has no SQLite store \
         (the embedded default is built with the functions' `local` feature; see docs/configuration.md); \
         deployed functions use STORE=dynamodb"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(env(vars))
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn defaults_run_locally_on_the_embedded_store() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.issuer, DEFAULT_ISSUER);
        assert!(matches!(s.store, StoreConfig::Sqlite { .. }));
        assert!(matches!(s.key_source, KeySourceConfig::File { .. }));
        assert_eq!(s.key_refresh_interval, Duration::from_secs(300));
        assert_eq!(s.key_max_stale, Duration::from_secs(3600));
        assert_eq!(s.signing_algorithm, SigningAlgorithm::RS256);
        assert_eq!(s.aws_timeouts, SdkTimeouts::default());
    }

    #[test]
    fn aws_adapters_are_chosen_by_configuration() {
        let s = settings(&[
            ("STORE", "dynamodb"),
            ("CLIENTS_TABLE", "c"),
            ("KEY_SOURCE", "secretsmanager"),
            ("KEY_SECRET_ID", "k"),
            ("SIGNING_ALG", "ES256"),
        ])
        .unwrap();
        assert_eq!(
            s.store,
            StoreConfig::DynamoDb {
                clients_table: "c".into(),
                api_keys_table: "token-service-api-keys".into(),
                users_table: "token-service-users".into(),
                sessions_table: "token-service-sessions".into(),
            }
        );
        assert_eq!(
            s.key_source,
            KeySourceConfig::SecretsManager {
                secret_id: "k".into()
            }
        );
        assert_eq!(s.signing_algorithm, SigningAlgorithm::ES256);
    }

    #[test]
    fn a_build_without_sqlite_refuses_the_sqlite_store_and_says_how_to_get_it() {
        let message = no_sqlite_store().to_string();
        assert!(message.contains("STORE=sqlite"), "{message}");
        assert!(message.contains("no SQLite store"), "{message}");
        assert!(message.contains("`local` feature"), "{message}");
        assert!(message.contains("STORE=dynamodb"), "{message}");
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        assert!(settings(&[("STORE", "postgres")]).is_err());
        assert!(settings(&[("KEY_SOURCE", "vault")]).is_err());
        assert!(settings(&[("KEY_REFRESH_SECONDS", "soon")]).is_err());
        assert!(settings(&[("KEY_MAX_STALE_SECONDS", "-1")]).is_err());
        assert!(settings(&[("SIGNING_ALG", "HS256")]).is_err());
        assert!(settings(&[("SDK_OPERATION_TIMEOUT_MS", "never")]).is_err());
    }
}
