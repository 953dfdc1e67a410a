//! Demo clients and a demo end user for `make run`. Their secrets and the user's password are
//! kept in plain text in a local, git-ignored file (mode 0600) so that every start can print
//! them; this command refuses to run against DynamoDB.

use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use token_service::admin::clients::{NewClient, change_client, register, rotate_secret};
use token_service::bootstrap::Bootstrap;
use token_service::config::{SignInSettings, StoreConfig};
use token_service::domain::client::{AccessLevel, Client};
use token_service::domain::secret::random_hex;
use token_service::domain::time::now_unix;
use token_service::domain::user::normalize_email;
use token_service::domain::{GrantType, LoginFailures, PasswordHasher, User};
use token_service::oauth::client_auth::secret_matches;
use token_service::private_file::write_private_file;
use token_service::store::{ClientStore, UserStore};

use crate::CliResult;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo secrets are kept between runs
    #[arg(long, default_value = ".local/demo-credentials.json")]
    credentials_file: PathBuf,
    /// Also write the printed credentials to this file, owner-only (0600) even when it exists
    #[arg(long)]
    output: Option<PathBuf>,
}

/// What the credentials file holds. A file of an older shape does not parse: its secrets are
/// then reissued, which for a demo costs nothing.
#[derive(Serialize, Deserialize, Default)]
struct Saved {
    clients: Vec<DemoCredential>,
    user: Option<DemoUser>,
}

#[derive(Serialize, Deserialize, Clone)]
struct DemoCredential {
    client_id: String,
    client_secret: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct DemoUser {
    labelpartner: String,
    email: String,
    password: String,
    user_id: String,
}

struct DemoClient {
    client_id: &'static str,
    access_level: AccessLevel,
    labelpartner: Option<&'static str>,
    grants: &'static [GrantType],
}

const DEMO_LP: &str = "demo-lp";
const DEMO_USER_EMAIL: &str = "demo@demo-lp.example";

/// A labelpartner's backend, the platform's operators, and a labelpartner's app that signs its
/// users in (the CE-API client: password and refresh_token only, never client_credentials).
const DEMO_CLIENTS: [DemoClient; 3] = [
    DemoClient {
        client_id: "demo-labelpartner",
        access_level: AccessLevel::Labelpartner,
        labelpartner: Some(DEMO_LP),
        grants: &[GrantType::ClientCredentials],
    },
    DemoClient {
        client_id: "demo-admin",
        access_level: AccessLevel::Admin,
        labelpartner: None,
        grants: &[GrantType::ClientCredentials],
    },
    DemoClient {
        client_id: "demo-ce-api",
        access_level: AccessLevel::Labelpartner,
        labelpartner: Some(DEMO_LP),
        grants: &[GrantType::Password, GrantType::RefreshToken],
    },
];

pub async fn run(args: DemoArgs, boot: &Bootstrap) -> CliResult {
    if !matches!(boot.settings().store, StoreConfig::Sqlite { .. }) {
        return Err("demo clients are for the local store only".into());
    }
    let saved: Saved = std::fs::read(&args.credentials_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let now = now_unix();
    let clients = boot.client_store().await?;
    let mut credentials = Vec::new();
    for wanted in &DEMO_CLIENTS {
        let known = saved
            .clients
            .iter()
            .find(|c| c.client_id == wanted.client_id);
        credentials.push(ensure_client(clients.as_ref(), wanted, known, now).await?);
    }
    let users = boot.user_store().await?;
    let hasher = SignInSettings::from_env()?.password_hasher()?;
    let user = ensure_user(users.as_ref(), &hasher, saved.user.as_ref(), now).await?;
    let out = json!({
        "labelpartner": credentials[0],
        "admin": credentials[1],
        "ce_api": credentials[2],
        "user": user,
    });
    let kept = Saved {
        clients: credentials,
        user: Some(user),
    };
    write_private_file(&args.credentials_file, &serde_json::to_vec_pretty(&kept)?)?;
    if let Some(output) = &args.output {
        write_private_file(output, &serde_json::to_vec_pretty(&out)?)?;
    }
    Ok(out)
}

/// The demo client as wanted, with the saved secret while it still works, else a new one.
async fn ensure_client(
    store: &dyn ClientStore,
    wanted: &DemoClient,
    known: Option<&DemoCredential>,
    now: i64,
) -> Result<DemoCredential, Failure> {
    if store.get(wanted.client_id).await?.is_none() {
        let issued = register(
            NewClient {
                client_id: Some(wanted.client_id.into()),
                access_level: wanted.access_level,
                labelpartner: wanted.labelpartner.map(String::from),
                allowed_scopes: vec![],
                allowed_grant_types: wanted.grants.to_vec(),
                access_token_ttl: None,
            },
            now,
        )?;
        store.create(&issued.client).await?;
        return Ok(DemoCredential {
            client_id: wanted.client_id.into(),
            client_secret: issued.client_secret,
        });
    }
    // Written only if something differs, and never over a concurrent change.
    let (_, credential) = change_client(store, wanted.client_id, |client| {
        let secret_works = known
            .filter(|c| client.enabled && secret_matches(&client, &c.client_secret, now))
            .cloned();
        let client = Client {
            allowed_grant_types: wanted.grants.to_vec(),
            ..client
        };
        match secret_works {
            Some(credential) => Ok((client, credential)),
            None => {
                // The saved secret is gone or stale: issue a new one.
                let mut issued = rotate_secret(&client, now, 0)?;
                issued.client.enabled = true;
                let credential = DemoCredential {
                    client_id: wanted.client_id.into(),
                    client_secret: issued.client_secret,
                };
                Ok((issued.client, credential))
            }
        }
    })
    .await?;
    Ok(credential)
}

/// The demo user, enabled and unlocked, with the saved password while it still verifies, else
/// a new one (which, like any password change, ends the user's sessions).
async fn ensure_user(
    store: &dyn UserStore,
    hasher: &PasswordHasher,
    saved: Option<&DemoUser>,
    now: i64,
) -> Result<DemoUser, Failure> {
    let demo_user = |user: &User, password: String| DemoUser {
        labelpartner: user.labelpartner.clone(),
        email: user.email.clone(),
        password,
        user_id: user.user_id.clone(),
    };
    let Some(user) = store
        .find_by_email(DEMO_LP, &normalize_email(DEMO_USER_EMAIL))
        .await?
    else {
        let password = new_demo_password()?;
        let user = User::new(DEMO_LP, DEMO_USER_EMAIL, hasher.hash(&password)?, now)?;
        store.create_user(&user).await?;
        return Ok(demo_user(&user, password));
    };
    let still_valid = saved
        .map(|s| s.password.as_str())
        .filter(|password| user.password_hash.verify(password));
    let password = match still_valid {
        Some(password) => password.to_string(),
        None => {
            let password = new_demo_password()?;
            store
                .set_password(&user.user_id, &hasher.hash(&password)?, now)
                .await?;
            password
        }
    };
    if !user.enabled {
        store.set_enabled(&user.user_id, true).await?;
    }
    if user.login_failures != LoginFailures::default() {
        store.unlock(&user.user_id).await?;
    }
    Ok(demo_user(&user, password))
}

/// 96 random bits as hex: shell-safe, so the printed curl lines paste as they are.
fn new_demo_password() -> Result<String, Failure> {
    Ok(random_hex::<12>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_service::store::UserAccounts;
    use token_service::store::memory::MemoryUserStore;
    use token_service::testing::cheap_hasher;

    async fn stored(store: &MemoryUserStore) -> User {
        store
            .find_by_email(DEMO_LP, DEMO_USER_EMAIL)
            .await
            .unwrap()
            .expect("the demo user exists")
    }

    #[tokio::test]
    async fn the_demo_user_keeps_a_working_password_across_runs() {
        let store = MemoryUserStore::default();
        let first = ensure_user(&store, &cheap_hasher(), None, 0).await.unwrap();
        let again = ensure_user(&store, &cheap_hasher(), Some(&first), 1)
            .await
            .unwrap();
        assert_eq!(again.password, first.password);
        let user = stored(&store).await;
        assert_eq!(user.user_id, first.user_id);
        assert!(user.password_hash.verify(&first.password));
        assert_eq!(
            user.session_epoch, 0,
            "an unchanged password ends no session"
        );
    }

    #[tokio::test]
    async fn a_changed_password_disabled_or_locked_user_is_made_usable_again() {
        let store = MemoryUserStore::default();
        let first = ensure_user(&store, &cheap_hasher(), None, 0).await.unwrap();
        store
            .set_password(
                &first.user_id,
                &cheap_hasher().hash("changed by hand").unwrap(),
                1,
            )
            .await
            .unwrap();
        store.set_enabled(&first.user_id, false).await.unwrap();
        for _ in 0..5 {
            store.record_login_failure(&first.user_id, 2).await.unwrap();
        }
        let again = ensure_user(&store, &cheap_hasher(), Some(&first), 3)
            .await
            .unwrap();
        assert_ne!(again.password, first.password);
        let user = stored(&store).await;
        assert!(user.password_hash.verify(&again.password));
        assert!(user.enabled);
        assert_eq!(user.login_failures, LoginFailures::default());
    }
}
