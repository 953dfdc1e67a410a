//! `authctl apikey`: the legacy API keys that co-exist with OAuth until the sunset
//! (am-api-token-transition). Keys are stored only as SHA-256; nothing here prints a key.

use clap::{ArgGroup, Subcommand};
use serde_json::{Value, json};
use std::io::Read;
use token_service::bootstrap::Bootstrap;
use token_service::domain::legacy_api_key::validate_api_key;
use token_service::domain::time::now_unix;
use token_service::domain::{LegacyApiKey, SecretHash, hash_secret};

type CommandResult = Result<Value, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Import a client's existing API key (stored as its SHA-256 only); marks the client so that
    /// its keys are removed when it first obtains an OAuth token
    #[command(group(ArgGroup::new("api_key_given").required(true).args(["key", "key_sha256", "key_stdin"])))]
    Import {
        /// The client the key belongs to (its access level and labelpartner apply)
        #[arg(long)]
        client_id: String,
        /// The key itself (prefer --key-stdin: a command line ends up in shell history)
        #[arg(long)]
        key: Option<String>,
        /// The key's SHA-256, 64 hex digits, when only the hash is at hand
        #[arg(long)]
        key_sha256: Option<String>,
        /// Read the key from standard input (one line)
        #[arg(long)]
        key_stdin: bool,
    },
    /// List the stored keys (their hashes), all or one client's
    List {
        #[arg(long)]
        client_id: Option<String>,
    },
    /// Revoke one key (by key or hash), or every key of a client
    #[command(group(ArgGroup::new("api_keys_to_revoke").required(true).args(["key", "key_sha256", "client_id"])))]
    Revoke {
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        key_sha256: Option<String>,
        /// Every key of this client (and clear its legacy-key mark)
        #[arg(long)]
        client_id: Option<String>,
    },
}

fn summary(key: &LegacyApiKey) -> Value {
    json!({
        "client_id": key.client_id,
        "key_sha256": key.key_sha256.to_hex(),
        "created_at": key.created_at,
    })
}

fn parse_hash(hex: &str) -> Result<SecretHash, String> {
    SecretHash::from_hex(&hex.trim().to_ascii_lowercase())
        .ok_or_else(|| "--key-sha256 must be 64 hexadecimal digits".to_string())
}

/// The hash of the key given in one of the three ways.
fn key_hash(
    key: Option<String>,
    key_sha256: Option<String>,
    key_stdin: bool,
) -> Result<SecretHash, Box<dyn std::error::Error + Send + Sync>> {
    let clear = match (key, key_sha256, key_stdin) {
        (Some(key), None, false) => key,
        (None, Some(hex), false) => return Ok(parse_hash(&hex)?),
        (None, None, true) => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            input.trim_end_matches(['\r', '\n']).to_string()
        }
        _ => return Err("give the key once: --key, --key-sha256 or --key-stdin".into()),
    };
    validate_api_key(&clear)?;
    Ok(hash_secret(&clear))
}

pub async fn run(command: ApiKeyCommand, boot: &Bootstrap) -> CommandResult {
    let store = boot.api_key_store().await?;
    match command {
        ApiKeyCommand::Import {
            client_id,
            key,
            key_sha256,
            key_stdin,
        } => {
            let record = LegacyApiKey {
                key_sha256: key_hash(key, key_sha256, key_stdin)?,
                client_id,
                created_at: now_unix(),
            };
            store.import_key(&record).await.map_err(|e| match e {
                token_service::store::StoreError::NotFound => {
                    format!("no client {:?}", record.client_id)
                }
                token_service::store::StoreError::AlreadyExists => {
                    "this key is already stored".to_string()
                }
                other => other.to_string(),
            })?;
            Ok(json!({ "imported": summary(&record) }))
        }
        ApiKeyCommand::List { client_id } => {
            let keys = store.list_keys(client_id.as_deref()).await?;
            Ok(json!({ "api_keys": keys.iter().map(summary).collect::<Vec<_>>() }))
        }
        ApiKeyCommand::Revoke {
            key,
            key_sha256,
            client_id: Some(client_id),
        } if key.is_none() && key_sha256.is_none() => {
            let removed = store.remove_for_client(&client_id).await?;
            Ok(json!({ "revoked": removed, "client_id": client_id }))
        }
        ApiKeyCommand::Revoke {
            key,
            key_sha256,
            client_id: None,
        } => {
            let hash = key_hash(key, key_sha256, false)?;
            store.revoke_key(&hash).await.map_err(|e| match e {
                token_service::store::StoreError::NotFound => "no such key".to_string(),
                other => other.to_string(),
            })?;
            Ok(json!({ "revoked": 1, "key_sha256": hash.to_hex() }))
        }
        ApiKeyCommand::Revoke { .. } => {
            Err("give one of --key, --key-sha256 or --client-id".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use token_service::admin::clients::{NewClient, register};
    use token_service::config::Settings;
    use token_service::domain::client::AccessLevel;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: ApiKeyCommand,
    }

    fn parse(args: &[&str]) -> Result<ApiKeyCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("apikey").chain(args.iter().copied()))
            .map(|c| c.command)
    }

    async fn boot(dir: &tempfile::TempDir) -> Bootstrap {
        let path = dir.path().join("store.sqlite").display().to_string();
        let boot = Bootstrap::new(
            Settings::from_lookup(|name| (name == "SQLITE_PATH").then(|| path.clone())).unwrap(),
        );
        let issued = register(
            NewClient {
                client_id: Some("lp-client".into()),
                access_level: AccessLevel::Labelpartner,
                labelpartner: Some("lp-1".into()),
                allowed_scopes: vec![],
                allowed_grant_types: vec![],
                access_token_ttl: None,
            },
            0,
        )
        .unwrap();
        boot.client_store()
            .await
            .unwrap()
            .create(&issued.client)
            .await
            .unwrap();
        boot
    }

    #[tokio::test]
    async fn import_list_and_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let boot = boot(&dir).await;
        let key = "legacy-key-abcdef0123456789";
        let hex = hash_secret(key).to_hex();
        let imported = run(
            parse(&["import", "--client-id", "lp-client", "--key", key]).unwrap(),
            &boot,
        )
        .await
        .unwrap();
        assert_eq!(imported["imported"]["key_sha256"], hex);
        assert!(
            !imported.to_string().contains(key),
            "the key is never printed"
        );
        let clients = boot.client_store().await.unwrap();
        assert!(
            clients
                .get("lp-client")
                .await
                .unwrap()
                .unwrap()
                .has_legacy_api_keys
        );
        let other = hash_secret("another-legacy-key-0000")
            .to_hex()
            .to_uppercase();
        run(
            parse(&["import", "--client-id", "lp-client", "--key-sha256", &other]).unwrap(),
            &boot,
        )
        .await
        .unwrap();
        let listed = run(parse(&["list", "--client-id", "lp-client"]).unwrap(), &boot)
            .await
            .unwrap();
        assert_eq!(listed["api_keys"].as_array().unwrap().len(), 2);
        let revoked = run(parse(&["revoke", "--key", key]).unwrap(), &boot)
            .await
            .unwrap();
        assert_eq!(revoked, json!({"revoked": 1, "key_sha256": hex}));
        assert!(
            run(parse(&["revoke", "--key", key]).unwrap(), &boot)
                .await
                .is_err()
        );
        let all = run(
            parse(&["revoke", "--client-id", "lp-client"]).unwrap(),
            &boot,
        )
        .await
        .unwrap();
        assert_eq!(all, json!({"revoked": 1, "client_id": "lp-client"}));
        assert!(
            !clients
                .get("lp-client")
                .await
                .unwrap()
                .unwrap()
                .has_legacy_api_keys
        );
        let empty = run(parse(&["list"]).unwrap(), &boot).await.unwrap();
        assert_eq!(empty, json!({"api_keys": []}));
    }

    #[tokio::test]
    async fn refusals() {
        let dir = tempfile::tempdir().unwrap();
        let boot = boot(&dir).await;
        let unknown_client = parse(&[
            "import",
            "--client-id",
            "nobody",
            "--key",
            "legacy-key-abcdef0123456789",
        ]);
        assert!(run(unknown_client.unwrap(), &boot).await.is_err());
        let short = parse(&["import", "--client-id", "lp-client", "--key", "short"]);
        assert!(run(short.unwrap(), &boot).await.is_err());
        let bad_hex = parse(&["import", "--client-id", "lp-client", "--key-sha256", "abc"]);
        assert!(run(bad_hex.unwrap(), &boot).await.is_err());
        assert!(parse(&["import", "--client-id", "lp-client"]).is_err());
        assert!(
            parse(&[
                "import",
                "--client-id",
                "x",
                "--key",
                "k",
                "--key-sha256",
                "h"
            ])
            .is_err()
        );
        assert!(parse(&["revoke"]).is_err());
        assert!(parse(&["revoke", "--key", "k", "--client-id", "c"]).is_err());
    }
}
