//! `authctl` as an operator runs it: the real binary against a temporary SQLite file and key file.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use token_service::domain::client::AccessLevel;
use token_service::domain::time::now_unix;
use token_service::oauth::client_auth::secret_matches;
use token_service::store::ClientReader;
use token_service::store::sqlite::SqliteStore;

fn authctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(args)
        .env_clear()
        .env("SQLITE_PATH", dir.join("store.sqlite"))
        .env("KEY_FILE", dir.join("keyset.json"))
        .current_dir(dir)
        .output()
        .expect("authctl runs")
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let out = authctl(dir, args);
    assert!(
        out.status.success(),
        "authctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("authctl prints JSON")
}

async fn stored(dir: &Path, client_id: &str) -> token_service::domain::client::Client {
    SqliteStore::open(dir.join("store.sqlite"))
        .unwrap()
        .get(client_id)
        .await
        .unwrap()
        .expect("client stored")
}

#[tokio::test]
async fn client_create_prints_the_secret_once_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let created = ok_json(
        dir.path(),
        &[
            "client",
            "create",
            "--labelpartner",
            "lp-9",
            "--scope",
            "accounts:read",
            "--ttl",
            "900",
        ],
    );
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert_eq!((id.len(), secret.len()), (24, 50));
    assert_eq!(created["access_level"], "labelpartner");
    assert_eq!(created["labelpartner"], "lp-9");
    assert_eq!(created["access_token_ttl"], 900);
    let client = stored(dir.path(), id).await;
    assert_eq!(client.access_level, AccessLevel::Labelpartner);
    assert!(secret_matches(&client, secret, now_unix()));
    let file = std::fs::read(dir.path().join("store.sqlite")).unwrap();
    assert!(
        !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the plaintext secret is not in the database"
    );
    let shown = ok_json(dir.path(), &["client", "show", id]);
    assert!(
        shown.get("client_secret").is_none(),
        "show never prints a secret"
    );
    let listed = ok_json(dir.path(), &["client", "list"]);
    assert!(!listed.to_string().contains(secret));
}

#[tokio::test]
async fn a_chosen_client_id_is_validated_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let first = ok_json(
        dir.path(),
        &["client", "create", "--admin", "--client-id", "ops@example"],
    );
    let again = authctl(
        dir.path(),
        &["client", "create", "--admin", "--client-id", "ops@example"],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let client = stored(dir.path(), "ops@example").await;
    assert!(secret_matches(
        &client,
        first["client_secret"].as_str().unwrap(),
        now_unix()
    ));
    let bad = authctl(
        dir.path(),
        &["client", "create", "--admin", "--client-id", "has:colon"],
    );
    assert!(!bad.status.success());
    let both = authctl(
        dir.path(),
        &["client", "create", "--admin", "--labelpartner", "x"],
    );
    assert!(
        !both.status.success(),
        "--admin and --labelpartner exclude each other"
    );
}

#[tokio::test]
async fn rotate_secret_keeps_the_old_secret_for_the_overlap_and_disable_applies() {
    let dir = tempfile::tempdir().unwrap();
    let created = ok_json(dir.path(), &["client", "create", "--admin"]);
    let id = created["client_id"].as_str().unwrap();
    let rotated = ok_json(
        dir.path(),
        &["client", "rotate-secret", id, "--overlap", "600"],
    );
    let client = stored(dir.path(), id).await;
    let now = now_unix();
    assert!(secret_matches(
        &client,
        created["client_secret"].as_str().unwrap(),
        now
    ));
    assert!(secret_matches(
        &client,
        rotated["client_secret"].as_str().unwrap(),
        now
    ));
    assert!(!secret_matches(
        &client,
        created["client_secret"].as_str().unwrap(),
        now + 601
    ));
    let disabled = ok_json(dir.path(), &["client", "disable", id]);
    assert_eq!(disabled["enabled"], false);
    assert!(!stored(dir.path(), id).await.enabled);
}

#[test]
fn keys_init_refuses_to_replace_a_key_set_and_rotate_promotes_next() {
    let dir = tempfile::tempdir().unwrap();
    let init = ok_json(dir.path(), &["keys", "init"]);
    let states: Vec<&str> = init["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["current", "next"]);
    assert!(!authctl(dir.path(), &["keys", "init"]).status.success());
    assert_eq!(ok_json(dir.path(), &["keys", "init", "--if-missing"]), init);
    let next_kid = init["keys"][1]["kid"].clone();
    let rotated = ok_json(dir.path(), &["keys", "rotate"]);
    let current = rotated["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "current")
        .unwrap();
    assert_eq!(current["kid"], next_kid);
    let shown = ok_json(dir.path(), &["keys", "show"]);
    assert!(
        !shown.to_string().contains("PRIVATE KEY"),
        "keys show never prints private keys"
    );
}

#[test]
fn demo_is_idempotent_and_prints_working_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let first = ok_json(dir.path(), &["demo"]);
    let second = ok_json(dir.path(), &["demo"]);
    assert_eq!(first, second, "a second run prints the same credentials");
    assert_eq!(first["labelpartner"]["client_id"], "demo-labelpartner");
    assert_eq!(first["admin"]["client_id"], "demo-admin");
    // Lost credentials file: the demo secrets are reissued, and the new ones work.
    std::fs::remove_file(dir.path().join(".local/demo-credentials.json")).unwrap();
    let third = ok_json(dir.path(), &["demo"]);
    assert_ne!(
        third["admin"]["client_secret"],
        first["admin"]["client_secret"]
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let admin = rt.block_on(stored(dir.path(), "demo-admin"));
    assert!(secret_matches(
        &admin,
        third["admin"]["client_secret"].as_str().unwrap(),
        now_unix()
    ));
    assert!(!secret_matches(
        &admin,
        first["admin"]["client_secret"].as_str().unwrap(),
        now_unix()
    ));
}

#[test]
fn demo_refuses_to_run_against_dynamodb() {
    let dir = tempfile::tempdir().unwrap();
    let out = authctl(dir.path(), &["--store", "dynamodb", "demo"]);
    assert!(!out.status.success());
}
