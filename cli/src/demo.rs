//! Demo clients for `make run`. Their secrets are kept in plain text in a local, git-ignored file
//! (mode 0600) so that every start can print them; this command refuses to run against DynamoDB.

use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use token_service::admin::clients::{NewClient, register, rotate_secret};
use token_service::bootstrap::Bootstrap;
use token_service::config::StoreConfig;
use token_service::domain::client::AccessLevel;
use token_service::domain::time::now_unix;
use token_service::oauth::client_auth::secret_matches;
use token_service::private_file::write_private_file;

use crate::CliResult;

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo secrets are kept between runs
    #[arg(long, default_value = ".local/demo-credentials.json")]
    credentials_file: PathBuf,
}

#[derive(Serialize, Deserialize, Clone)]
struct DemoCredential {
    client_id: String,
    client_secret: String,
}

const DEMO_LABELPARTNER: (&str, &str) = ("demo-labelpartner", "demo-lp");
const DEMO_ADMIN: &str = "demo-admin";

pub async fn run(args: DemoArgs, boot: &Bootstrap) -> CliResult {
    if !matches!(boot.settings().store, StoreConfig::Sqlite { .. }) {
        return Err("demo clients are for the local store only".into());
    }
    let store = boot.client_store().await?;
    let saved: Vec<DemoCredential> = std::fs::read(&args.credentials_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let wanted = [
        (
            DEMO_LABELPARTNER.0,
            AccessLevel::Labelpartner,
            Some(DEMO_LABELPARTNER.1),
        ),
        (DEMO_ADMIN, AccessLevel::Admin, None),
    ];
    let now = now_unix();
    let mut out = Vec::new();
    for (client_id, level, labelpartner) in wanted {
        let known = saved.iter().find(|c| c.client_id == client_id);
        let credential = match store.get(client_id).await? {
            Some(client) => match known {
                Some(c) if client.enabled && secret_matches(&client, &c.client_secret, now) => {
                    c.clone()
                }
                _ => {
                    // The saved secret is gone or stale: issue a new one.
                    let mut issued = rotate_secret(&client, now, 0)?;
                    issued.client.enabled = true;
                    store.update(&issued.client).await?;
                    DemoCredential {
                        client_id: client_id.into(),
                        client_secret: issued.client_secret,
                    }
                }
            },
            None => {
                let issued = register(
                    NewClient {
                        client_id: Some(client_id.into()),
                        access_level: level,
                        labelpartner: labelpartner.map(String::from),
                        allowed_scopes: vec![],
                        allowed_grant_types: vec![],
                        access_token_ttl: None,
                    },
                    now,
                )?;
                store.create(&issued.client).await?;
                DemoCredential {
                    client_id: client_id.into(),
                    client_secret: issued.client_secret,
                }
            }
        };
        out.push(credential);
    }
    write_private_file(&args.credentials_file, &serde_json::to_vec_pretty(&out)?)?;
    Ok(json!({
        "labelpartner": out[0],
        "admin": out[1],
    }))
}
