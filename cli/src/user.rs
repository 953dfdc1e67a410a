//! `authctl user`: the end users who sign in with e-mail and password at `POST /v2/token`.
//!
//! Passwords are read only from standard input (a command line ends up in shell history and in
//! `ps`), hashed with argon2id at the configured `ARGON2_*` cost, and never printed; neither is
//! a stored hash, only its scheme.

mod import;

use clap::{ArgGroup, Args, Subcommand};
use serde_json::{Value, json};
use std::io::Read;
use std::path::PathBuf;
use token_service::config::SignInSettings;
use token_service::domain::password::{HashScheme, MAX_PASSWORD_BYTES, validate_new_password};
use token_service::domain::time::now_unix;
use token_service::domain::user::{is_user_id, normalize_email};
use token_service::domain::{PasswordHash, User};
use token_service::store::{StoreError, UserStore};

use crate::CliResult;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; prints its user_id. The password is read from standard input
    #[command(
        after_help = "Example: printf '%s' \"$PASSWORD\" | authctl user create \
                            --labelpartner lp-1 --email ann@example.org --password-stdin"
    )]
    Create {
        #[arg(long)]
        labelpartner: String,
        #[arg(long)]
        email: String,
        /// Read the password from standard input (one trailing newline is dropped)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List a labelpartner's users, ordered by e-mail
    List {
        #[arg(long)]
        labelpartner: String,
    },
    /// Show one user
    Show(WhichUser),
    /// Disable a user: sign-in fails and every refresh token of the user is revoked
    Disable(WhichUser),
    /// Enable a disabled user again (refresh tokens revoked by the disable stay revoked)
    Enable(WhichUser),
    /// Set a new password from standard input; revokes every refresh token of the user
    SetPassword {
        #[command(flatten)]
        user: WhichUser,
        /// Read the password from standard input (one trailing newline is dropped)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Clear the failed sign-ins, lifting a lockout
    Unlock(WhichUser),
    /// Revoke every refresh token of the user (and clear a lockout); the password stays
    RevokeSessions(WhichUser),
    /// Make every access token the user holds now invalid (the authorizer refuses tokens issued
    /// before the printed tokens_not_before, within 60 s); refresh tokens are not touched
    RevokeTokens(WhichUser),
    /// Import users with their existing password hashes from a JSON-lines file (docs/operations.md)
    Import {
        /// The file, or `-` for standard input
        #[arg(long)]
        file: PathBuf,
        /// Validate and report only; write nothing
        #[arg(long)]
        dry_run: bool,
    },
}

/// A user by id, or by labelpartner and e-mail.
#[derive(Args)]
#[command(group(ArgGroup::new("which_user").required(true).args(["user_id", "email"])))]
pub struct WhichUser {
    /// The user_id (32 lowercase hex characters)
    user_id: Option<String>,
    /// With --email: the user's labelpartner
    #[arg(long, requires = "email", conflicts_with = "user_id")]
    labelpartner: Option<String>,
    /// With --labelpartner: the user's e-mail (any case)
    #[arg(long, requires = "labelpartner", conflicts_with = "user_id")]
    email: Option<String>,
}

/// A user as operators see it: the hash's scheme and whether the next sign-in upgrades it, but
/// never the hash.
pub fn view(user: &User, settings: &SignInSettings, now: i64) -> Value {
    let locked_until = settings
        .lockout
        .locked_until(user.login_failures)
        .filter(|until| now < *until);
    json!({
        "user_id": user.user_id,
        "labelpartner": user.labelpartner,
        "email": user.email,
        "enabled": user.enabled,
        "created_at": user.created_at,
        "password_changed_at": user.password_changed_at,
        "password_scheme": scheme_name(user.password_hash.scheme()),
        "rehash_on_next_sign_in": user.password_hash.needs_rehash(&settings.argon2),
        "failed_sign_ins": user.login_failures.count,
        "locked_until": locked_until,
        "session_epoch": user.session_epoch,
        "tokens_not_before": user.tokens_not_before,
    })
}

fn scheme_name(scheme: HashScheme) -> &'static str {
    match scheme {
        HashScheme::Argon2id => "argon2id",
        HashScheme::Argon2i => "argon2i",
        HashScheme::Argon2d => "argon2d",
        HashScheme::Bcrypt => "bcrypt",
        HashScheme::Pbkdf2Sha256 => "pbkdf2-sha256",
    }
}

/// The user an operator means, or a clear error.
async fn existing(store: &dyn UserStore, which: &WhichUser) -> Result<User, Failure> {
    match (&which.user_id, &which.labelpartner, &which.email) {
        (Some(user_id), None, None) => {
            if !is_user_id(user_id) {
                return Err(format!(
                    "{user_id:?} is not a user_id (32 lowercase hex characters); \
                     to name a user by e-mail use --labelpartner and --email"
                )
                .into());
            }
            store
                .get_user(user_id)
                .await?
                .ok_or_else(|| format!("no user {user_id:?}").into())
        }
        (None, Some(labelpartner), Some(email)) => store
            .find_by_email(labelpartner, &normalize_email(email))
            .await?
            .ok_or_else(|| format!("labelpartner {labelpartner:?} has no user {email:?}").into()),
        _ => Err("name the user by user_id, or by --labelpartner and --email".into()),
    }
}

/// The user as a change left it, to show.
async fn after(store: &dyn UserStore, user_id: &str) -> Result<User, Failure> {
    store
        .get_user(user_id)
        .await?
        .ok_or_else(|| format!("user {user_id:?} was removed meanwhile").into())
}

/// The password on standard input, without one trailing newline, checked against the rules for
/// a new password. Reads at most what a valid password could be, so a wrong file is refused
/// without being read whole.
fn read_new_password(input: &mut dyn Read) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    input
        .take(MAX_PASSWORD_BYTES as u64 + 2)
        .read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes).map_err(|_| "the password must be UTF-8 text")?;
    let password = strip_one_newline(&text);
    validate_new_password(password)?;
    Ok(password.to_string())
}

fn strip_one_newline(text: &str) -> &str {
    match text.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => text,
    }
}

fn hash_new_password(
    settings: &SignInSettings,
    input: &mut dyn Read,
) -> Result<PasswordHash, Failure> {
    let password = read_new_password(input)?;
    Ok(settings.password_hasher()?.hash(&password)?)
}

fn not_found_as(user_id: &str) -> impl Fn(StoreError) -> Failure + '_ {
    move |error| match error {
        StoreError::NotFound => format!("no user {user_id:?}").into(),
        other => Box::new(other),
    }
}

/// `authctl user …` over any user store; `input` is standard input (passwords, `--file -`).
pub async fn run(
    command: UserCommand,
    store: &dyn UserStore,
    settings: &SignInSettings,
    input: &mut dyn Read,
) -> CliResult {
    let now = now_unix();
    let shown = |user: &User| view(user, settings, now);
    match command {
        UserCommand::Create {
            labelpartner,
            email,
            password_stdin: _,
        } => {
            let hash = hash_new_password(settings, input)?;
            let user = User::new(&labelpartner, &email, hash, now)?;
            store.create_user(&user).await.map_err(|e| match e {
                StoreError::AlreadyExists => format!(
                    "labelpartner {labelpartner:?} already has a user with the e-mail {:?}",
                    user.email
                )
                .into(),
                other => Box::new(other) as Failure,
            })?;
            Ok(shown(&user))
        }
        UserCommand::List { labelpartner } => Ok(Value::Array(
            store
                .list_users(&labelpartner)
                .await?
                .iter()
                .map(shown)
                .collect(),
        )),
        UserCommand::Show(which) => Ok(shown(&existing(store, &which).await?)),
        UserCommand::Disable(which) => {
            let user = existing(store, &which).await?;
            store
                .set_enabled(&user.user_id, false)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::Enable(which) => {
            let user = existing(store, &which).await?;
            store
                .set_enabled(&user.user_id, true)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::SetPassword {
            user: which,
            password_stdin: _,
        } => {
            let user = existing(store, &which).await?;
            let hash = hash_new_password(settings, input)?;
            store
                .set_password(&user.user_id, &hash, now)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::Unlock(which) => {
            let user = existing(store, &which).await?;
            store
                .unlock(&user.user_id)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::RevokeTokens(which) => {
            let user = existing(store, &which).await?;
            store
                .revoke_tokens(&user.user_id, now)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::RevokeSessions(which) => {
            let user = existing(store, &which).await?;
            store
                .revoke_sessions(&user.user_id)
                .await
                .map_err(not_found_as(&user.user_id))?;
            Ok(shown(&after(store, &user.user_id).await?))
        }
        UserCommand::Import { file, dry_run } => {
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                input.read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| format!("reading {}: {e}", file.display()))?
            };
            import::import(store, &text, dry_run, now).await
        }
    }
}

#[cfg(test)]
mod tests;
