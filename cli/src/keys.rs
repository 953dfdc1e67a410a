use clap::Subcommand;
use serde_json::{Value, json};
use token_service::bootstrap::Bootstrap;
use token_service::config::Settings;
use token_service::domain::time::now_unix;
use token_service::keys::{
    KeyError, KeySet, KeySetDocument, KeyState, RetirementWindow, initial_document, prune,
    retire_compromised, rotate,
};

use crate::CliResult;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create the key set (a current and a next key); refuses to replace an existing one
    Init {
        /// Succeed quietly when a key set already exists
        #[arg(long)]
        if_missing: bool,
    },
    /// Promote next → current, current → previous; add a new next key. Previous keys stay
    /// published until their retirement window has passed (shown as `published_until`)
    Rotate,
    /// Retire the previous keys whose retirement window has passed, without rotating
    Prune,
    /// Unpublish a compromised key at once (its tokens stop verifying when caches reload);
    /// a compromised signing key is first replaced by a rotation
    Retire {
        kid: String,
        /// Required: tokens the key signed stop working before they expire
        #[arg(long)]
        compromised: bool,
    },
    /// Show the kids, algorithms and states (never private keys)
    Show,
}

/// The window of this deployment's settings: `authctl` reads the same variables as the
/// functions, so give it the deployed `KEY_REFRESH_SECONDS`, `KEY_MAX_STALE_SECONDS` and
/// `JWKS_MAX_AGE_SECONDS` when they are not the defaults.
fn retirement_window(settings: &Settings) -> RetirementWindow {
    settings.retirement_window()
}

/// Every key without its private half; a `previous` key says until when it stays published,
/// since the tokens it signed may still be valid until then.
fn summary(document: &KeySetDocument, window: RetirementWindow) -> Value {
    json!({
        "retirement_window_seconds": window.seconds(),
        "keys": document.keys.iter().map(|k| {
            let mut key = json!({
                "kid": k.kid, "alg": k.alg, "state": k.state, "created_at": k.created_at
            });
            if let Some(stopped) = k.stopped_signing_at {
                key["stopped_signing_at"] = stopped.into();
                if k.state == KeyState::Previous {
                    key["published_until"] = window.published_until(stopped).into();
                }
            }
            key
        }).collect::<Vec<_>>()
    })
}

pub async fn run(command: KeysCommand, boot: &Bootstrap) -> CliResult {
    let store = boot.key_store().await;
    let alg = boot.settings().signing_algorithm;
    let window = retirement_window(boot.settings());
    match command {
        KeysCommand::Init { if_missing } => match store.load().await {
            Ok(existing) if if_missing => Ok(summary(&existing, window)),
            Ok(_) => Err("a key set exists already: use `keys rotate`, or --if-missing".into()),
            Err(KeyError::Missing) => {
                let document = initial_document(alg, now_unix())?;
                KeySet::from_document(&document)?;
                store.save(&document).await?;
                Ok(summary(&document, window))
            }
            Err(other) => Err(other.into()),
        },
        KeysCommand::Rotate => {
            let document = rotate(&store.load().await?, alg, now_unix(), window)?;
            KeySet::from_document(&document)?;
            store.save(&document).await?;
            Ok(summary(&document, window))
        }
        KeysCommand::Prune => {
            let loaded = store.load().await?;
            let document = prune(&loaded, now_unix(), window);
            if document != loaded {
                KeySet::from_document(&document)?;
                store.save(&document).await?;
            }
            Ok(summary(&document, window))
        }
        KeysCommand::Retire { kid, compromised } => {
            if !compromised {
                return Err(
                    "retiring a key before its window ends cuts its tokens short: pass \
                     --compromised to confirm, or let `keys prune` retire it in time"
                        .into(),
                );
            }
            let document = retire_compromised(&store.load().await?, &kid, alg, now_unix(), window)?;
            KeySet::from_document(&document)?;
            store.save(&document).await?;
            Ok(summary(&document, window))
        }
        KeysCommand::Show => Ok(summary(&store.load().await?, window)),
    }
}
