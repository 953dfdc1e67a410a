use clap::{ArgGroup, Subcommand};
use serde_json::{Value, json};
use token_service::admin::clients::{
    NewClient, enable, register, revoke_tokens, rotate_stored_secret,
};
use token_service::bootstrap::Bootstrap;
use token_service::domain::client::{AccessLevel, Client, GrantType};
use token_service::domain::time::now_unix;
use token_service::store::StoreError;

use crate::CliResult;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and client_secret (the secret is shown only once)
    #[command(group(ArgGroup::new("level").required(true).args(["labelpartner", "admin"])))]
    Create {
        /// Labelpartner id: the client may reach only this labelpartner's resources
        #[arg(long)]
        labelpartner: Option<String>,
        /// Admin access level: every resource
        #[arg(long)]
        admin: bool,
        /// Choose the client_id instead of generating one
        #[arg(long)]
        client_id: Option<String>,
        /// An allowed scope (repeatable)
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// An allowed grant type (repeatable; default client_credentials)
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Access-token lifetime in seconds (default 3600)
        #[arg(long)]
        ttl: Option<u32>,
    },
    /// List clients (never their secrets)
    List,
    /// Show one client
    Show { client_id: String },
    /// Disable a client: its token requests fail with invalid_client, and the authorizer
    /// refuses its access tokens within CALLER_STATUS_CACHE_SECONDS (60 s by default)
    Disable { client_id: String },
    /// Make every access token the client holds now invalid (the authorizer refuses tokens
    /// issued before the printed tokens_not_before, within 60 s); new tokens work
    RevokeTokens { client_id: String },
    /// Enable a disabled client again
    Enable { client_id: String },
    /// Issue a new secret; the old one keeps working for --overlap seconds
    RotateSecret {
        client_id: String,
        #[arg(long, default_value_t = 86_400)]
        overlap: i64,
    },
}

/// A client as operators see it: everything but the secret hashes.
pub fn view(client: &Client) -> Value {
    json!({
        "client_id": client.client_id,
        "access_level": client.access_level,
        "labelpartner": client.labelpartner,
        "allowed_grant_types": client.allowed_grant_types,
        "allowed_scopes": client.allowed_scopes,
        "access_token_ttl": client.access_token_ttl,
        "enabled": client.enabled,
        "created_at": client.created_at,
        "tokens_not_before": client.tokens_not_before,
        "secrets": client.secrets.iter().map(|s| json!({"expires_at": s.expires_at})).collect::<Vec<_>>(),
    })
}

async fn existing(
    boot: &Bootstrap,
    client_id: &str,
) -> Result<Client, Box<dyn std::error::Error + Send + Sync>> {
    boot.client_store()
        .await?
        .get(client_id)
        .await?
        .ok_or_else(|| format!("no client {client_id:?}").into())
}

pub async fn run(command: ClientCommand, boot: &Bootstrap) -> CliResult {
    let store = boot.client_store().await?;
    match command {
        ClientCommand::Create {
            labelpartner,
            admin,
            client_id,
            scopes,
            grants,
            ttl,
        } => {
            let new = NewClient {
                client_id,
                access_level: if admin {
                    AccessLevel::Admin
                } else {
                    AccessLevel::Labelpartner
                },
                labelpartner,
                allowed_scopes: scopes,
                allowed_grant_types: grants
                    .iter()
                    .map(|g| g.parse::<GrantType>())
                    .collect::<Result<_, _>>()?,
                access_token_ttl: ttl,
            };
            let issued = register(new, now_unix())?;
            store.create(&issued.client).await.map_err(|e| match e {
                StoreError::AlreadyExists => {
                    format!("client {:?} already exists", issued.client.client_id).into()
                }
                other => Box::new(other) as Box<dyn std::error::Error + Send + Sync>,
            })?;
            let mut out = view(&issued.client);
            out["client_secret"] = Value::String(issued.client_secret);
            Ok(out)
        }
        ClientCommand::List => Ok(Value::Array(store.list().await?.iter().map(view).collect())),
        ClientCommand::Show { client_id } => Ok(view(&existing(boot, &client_id).await?)),
        ClientCommand::Disable { client_id } => {
            store.disable(&client_id).await?;
            Ok(view(&existing(boot, &client_id).await?))
        }
        ClientCommand::RevokeTokens { client_id } => Ok(view(
            &revoke_tokens(store.as_ref(), &client_id, now_unix()).await?,
        )),
        ClientCommand::Enable { client_id } => Ok(view(&enable(store.as_ref(), &client_id).await?)),
        ClientCommand::RotateSecret { client_id, overlap } => {
            let issued =
                rotate_stored_secret(store.as_ref(), &client_id, now_unix(), overlap.max(0))
                    .await?;
            let mut out = view(&issued.client);
            out["client_secret"] = Value::String(issued.client_secret);
            Ok(out)
        }
    }
}
