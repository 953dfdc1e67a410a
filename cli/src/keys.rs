use clap::Subcommand;
use serde_json::{Value, json};
use token_service::bootstrap::Bootstrap;
use token_service::domain::time::now_unix;
use token_service::keys::{KeyError, KeySet, initial_document, rotate};

use crate::CliResult;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create the key set (a current and a next key); refuses to replace an existing one
    Init {
        /// Succeed quietly when a key set already exists
        #[arg(long)]
        if_missing: bool,
    },
    /// Promote next → current, current → previous, previous → retired; add a new next key
    Rotate,
    /// Show the kids, algorithms and states (never private keys)
    Show,
}

fn summary(document: &token_service::keys::KeySetDocument) -> Value {
    json!({
        "keys": document.keys.iter().map(|k| json!({
            "kid": k.kid, "alg": k.alg, "state": k.state, "created_at": k.created_at
        })).collect::<Vec<_>>()
    })
}

pub async fn run(command: KeysCommand, boot: &Bootstrap) -> CliResult {
    let store = boot.key_store().await;
    let alg = boot.settings().signing_algorithm;
    match command {
        KeysCommand::Init { if_missing } => match store.load().await {
            Ok(existing) if if_missing => Ok(summary(&existing)),
            Ok(_) => Err("a key set exists already: use `keys rotate`, or --if-missing".into()),
            Err(KeyError::Missing) => {
                let document = initial_document(alg, now_unix())?;
                KeySet::from_document(&document)?;
                store.save(&document).await?;
                Ok(summary(&document))
            }
            Err(other) => Err(other.into()),
        },
        KeysCommand::Rotate => {
            let document = rotate(&store.load().await?, alg, now_unix())?;
            KeySet::from_document(&document)?;
            store.save(&document).await?;
            Ok(summary(&document))
        }
        KeysCommand::Show => Ok(summary(&store.load().await?)),
    }
}
