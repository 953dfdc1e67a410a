//! The embedded default as `make run` has it, in a temporary directory, made with the library:
//! a SQLite file with a labelpartner client, an app client and two end users, and a key file
//! per algorithm; and the environment each function reads it with (scripts/local-env.sh, plus
//! the deployed defaults for the log level and format and the caller-status cache).

use std::collections::HashMap;
use std::path::PathBuf;
use token_service::admin::clients::{IssuedCredentials, NewClient, register};
use token_service::domain::time::now_unix;
use token_service::domain::{AccessLevel, Argon2Params, GrantType, PasswordHasher, User};
use token_service::keys::source::FileKeySource;
use token_service::keys::{KeySet, KeySetStore, SigningAlgorithm, initial_document};
use token_service::store::sqlite::SqliteStore;
use token_service::store::{ClientStore, UserStore};
use token_service::tokens::{TokenSettings, mint_access_token};

pub const ISSUER: &str = "http://127.0.0.1:9000";
pub const AUDIENCE: &str = "am-api";
pub const LABELPARTNER: &str = "lp-bench";
pub const PASSWORD: &str = "correct horse battery staple";
pub const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
];

/// The argon2id cost a user's hash has and the function is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argon2Cost {
    /// The deployed default (OWASP: m=19456 KiB, t=2, p=1).
    Deployed,
    /// 256 KiB, one pass: the same code path at a negligible cost, to show the overhead.
    Cheap,
}

impl Argon2Cost {
    pub fn params(self) -> Argon2Params {
        match self {
            Argon2Cost::Deployed => Argon2Params::default(),
            Argon2Cost::Cheap => Argon2Params {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
        }
    }
}

pub struct World {
    dir: tempfile::TempDir,
    pub client: IssuedCredentials,
    pub app: IssuedCredentials,
    key_files: HashMap<SigningAlgorithm, PathBuf>,
    /// An access token of [`Self::client`] per algorithm, for the authorizer.
    pub tokens: HashMap<SigningAlgorithm, String>,
}

impl World {
    pub async fn create() -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(dir.path().join("token-service.sqlite")).expect("SQLite");
        let now = now_unix();
        let client = register(NewClient::labelpartner(LABELPARTNER), now).expect("a new client");
        store
            .create(&client.client)
            .await
            .expect("storing the client");
        let app = register(
            NewClient::labelpartner(LABELPARTNER)
                .with_grants(&[GrantType::Password, GrantType::RefreshToken]),
            now,
        )
        .expect("a new app client");
        store
            .create(&app.client)
            .await
            .expect("storing the app client");
        for cost in [Argon2Cost::Deployed, Argon2Cost::Cheap] {
            let email = user_email(cost);
            let hash = PasswordHasher::new(cost.params())
                .and_then(|hasher| hasher.hash(PASSWORD))
                .expect("hashing the password");
            let user = User::new(LABELPARTNER, email, hash, now).expect("a valid user");
            store.create_user(&user).await.expect("storing the user");
        }
        let settings = TokenSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
        };
        let mut key_files = HashMap::new();
        let mut tokens = HashMap::new();
        for alg in ALGORITHMS {
            let document = initial_document(alg, now).expect("generating a key");
            let path = dir.path().join(format!("keyset-{alg}.json"));
            FileKeySource::new(&path)
                .save(&document)
                .await
                .expect("writing the key file");
            let keys = KeySet::from_document(&document).expect("a usable key set");
            let token = mint_access_token(&settings, &keys, &client.client, &[], now)
                .expect("minting")
                .token;
            key_files.insert(alg, path);
            tokens.insert(alg, token);
        }
        assert_eq!(client.client.access_level, AccessLevel::Labelpartner);
        World {
            dir,
            client,
            app,
            key_files,
            tokens,
        }
    }

    /// The store, key and token settings every function reads, signing with `alg`.
    pub fn env(&self, alg: SigningAlgorithm) -> Vec<(String, String)> {
        let sqlite = self.dir.path().join("token-service.sqlite");
        [
            ("STORE", "sqlite".to_string()),
            ("SQLITE_PATH", sqlite.display().to_string()),
            ("KEY_SOURCE", "file".into()),
            ("KEY_FILE", self.key_files[&alg].display().to_string()),
            ("SIGNING_ALG", alg.to_string()),
            ("TOKEN_ISSUER", ISSUER.into()),
            ("TOKEN_AUDIENCE", AUDIENCE.into()),
            // What infra/template.yaml deploys: the authorizer's warm path reads the store
            // once a minute per caller, and every function logs JSON at INFO.
            ("CALLER_STATUS_CACHE_SECONDS", "60".into()),
            ("AWS_LAMBDA_LOG_LEVEL", log_level()),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The sign-in settings that match the hash of [`user_email`] of `cost`, so that no sign-in
    /// re-hashes it.
    pub fn argon2_env(cost: Argon2Cost) -> Vec<(String, String)> {
        let params = cost.params();
        vec![
            ("ARGON2_MEMORY_KIB".into(), params.memory_kib.to_string()),
            ("ARGON2_ITERATIONS".into(), params.iterations.to_string()),
            ("ARGON2_PARALLELISM".into(), params.parallelism.to_string()),
        ]
    }
}

/// The e-mail of the user whose password is hashed at `cost`.
pub fn user_email(cost: Argon2Cost) -> &'static str {
    match cost {
        Argon2Cost::Deployed => "owasp@lp-bench.example",
        Argon2Cost::Cheap => "cheap@lp-bench.example",
    }
}

/// INFO as deployed; `BENCH_LOG_LEVEL=WARN` shows what the per-request log lines cost.
fn log_level() -> String {
    std::env::var("BENCH_LOG_LEVEL").unwrap_or_else(|_| "INFO".into())
}
