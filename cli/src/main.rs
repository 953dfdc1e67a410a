//! `authctl`: the operator's CLI for clients, end users, legacy API keys and the signing key set.
//!
//! By default it works on the local store and key file that `make run` uses; flags (or the same
//! environment variables the functions read) select DynamoDB and Secrets Manager.

mod apikey;
mod client;
mod demo;
mod keys;
mod user;

use clap::{Args, Parser, Subcommand};
use std::collections::HashMap;
use std::process::ExitCode;
use token_service::bootstrap::Bootstrap;
use token_service::config::{Settings, SignInSettings};

type CliResult = Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>>;

/// A command's report that also means failure (e.g. an import with bad lines): printed on
/// standard output like any result, with a non-zero exit status.
#[derive(Debug)]
struct FailedWithReport {
    report: serde_json::Value,
    message: String,
}

impl std::fmt::Display for FailedWithReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FailedWithReport {}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Manage the token service's clients, end users, API keys and signing keys"
)]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    command: Command,
}

/// Where to read and write; each flag falls back to the environment variable the functions use.
#[derive(Args)]
struct Target {
    /// sqlite (local default) or dynamodb
    #[arg(long, global = true, env = "STORE")]
    store: Option<String>,
    #[arg(long, global = true, env = "SQLITE_PATH")]
    sqlite_path: Option<String>,
    #[arg(long, global = true, env = "CLIENTS_TABLE")]
    clients_table: Option<String>,
    #[arg(long, global = true, env = "API_KEYS_TABLE")]
    api_keys_table: Option<String>,
    #[arg(long, global = true, env = "USERS_TABLE")]
    users_table: Option<String>,
    #[arg(long, global = true, env = "SESSIONS_TABLE")]
    sessions_table: Option<String>,
    /// file (local default) or secretsmanager
    #[arg(long, global = true, env = "KEY_SOURCE")]
    key_source: Option<String>,
    #[arg(long, global = true, env = "KEY_FILE")]
    key_file: Option<String>,
    #[arg(long, global = true, env = "KEY_SECRET_ID")]
    key_secret_id: Option<String>,
    /// RS256 (default), ES256 or EdDSA: the algorithm of keys created by `keys init/rotate`
    #[arg(long, global = true, env = "SIGNING_ALG")]
    signing_alg: Option<String>,
}

impl Target {
    fn settings(&self) -> Result<Settings, token_service::config::ConfigError> {
        let vars: HashMap<&str, &Option<String>> = HashMap::from([
            ("STORE", &self.store),
            ("SQLITE_PATH", &self.sqlite_path),
            ("CLIENTS_TABLE", &self.clients_table),
            ("API_KEYS_TABLE", &self.api_keys_table),
            ("USERS_TABLE", &self.users_table),
            ("SESSIONS_TABLE", &self.sessions_table),
            ("KEY_SOURCE", &self.key_source),
            ("KEY_FILE", &self.key_file),
            ("KEY_SECRET_ID", &self.key_secret_id),
            ("SIGNING_ALG", &self.signing_alg),
        ]);
        Settings::from_lookup(|name| match vars.get(name) {
            Some(value) => value.as_ref().filter(|v| !v.is_empty()).cloned(),
            None => std::env::var(name).ok().filter(|v| !v.is_empty()),
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Register, inspect, disable clients and rotate their secrets
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Create, import and manage end users (e-mail and password sign-in)
    #[command(subcommand)]
    User(user::UserCommand),
    /// Import, list and revoke legacy API keys
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Create and rotate the signing key set
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Ensure the demo clients exist and print their credentials (used by `make run`)
    Demo(demo::DemoArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.target.settings() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("authctl: {error}");
            return ExitCode::from(2);
        }
    };
    let boot = Bootstrap::new(settings);
    let result = match cli.command {
        Command::Client(command) => client::run(command, &boot).await,
        Command::User(command) => run_user(command, &boot).await,
        Command::Apikey(command) => apikey::run(command, &boot).await,
        Command::Keys(command) => keys::run(command, &boot).await,
        Command::Demo(args) => demo::run(args, &boot).await,
    };
    match result {
        Ok(output) => {
            print_json(&output);
            ExitCode::SUCCESS
        }
        Err(error) => {
            if let Some(failed) = error.downcast_ref::<FailedWithReport>() {
                print_json(&failed.report);
            }
            eprintln!("authctl: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run_user(command: user::UserCommand, boot: &Bootstrap) -> CliResult {
    let settings = SignInSettings::from_env()?;
    let store = boot.user_store().await?;
    user::run(
        command,
        store.as_ref(),
        &settings,
        &mut std::io::stdin().lock(),
    )
    .await
}
