//! `authctl` as an operator runs it: the real binary against a temporary SQLite file and key file.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use token_service::domain::User;
use token_service::domain::client::{AccessLevel, GrantType};
use token_service::domain::time::now_unix;
use token_service::domain::user::is_user_id;
use token_service::keys::SigningAlgorithm;
use token_service::oauth::client_auth::secret_matches;
use token_service::store::ClientReader;
use token_service::store::UserAccounts;
use token_service::store::sqlite::SqliteStore;
use token_service::testing::password_hashes::{
    BCRYPT_2B, BCRYPT_2Y, IMPORTED_PASSWORD, PBKDF2_DJANGO, PBKDF2_PHC,
};
use token_service::testing::sign_in::SignInWorld;
use token_service::testing::{DEFAULT_PASSWORD, TokenForm, cheap_argon2};

fn authctl(dir: &Path, args: &[&str]) -> Output {
    authctl_with_stdin(dir, args, "")
}

/// authctl with `stdin` as its standard input, and cheap argon2id (the tests' own parameters:
/// hashes it makes need no re-hash at a test endpoint's sign-in).
fn authctl_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let argon2 = cheap_argon2();
    let mut child = Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(args)
        .env_clear()
        .env("SQLITE_PATH", dir.join("store.sqlite"))
        .env("KEY_FILE", dir.join("keyset.json"))
        .env("ARGON2_MEMORY_KIB", argon2.memory_kib.to_string())
        .env("ARGON2_ITERATIONS", argon2.iterations.to_string())
        .env("ARGON2_PARALLELISM", argon2.parallelism.to_string())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("authctl runs");
    let written = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    // A command that does not read its input may have ended already.
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().expect("authctl ends")
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

#[tokio::test]
async fn revoke_tokens_prints_and_stores_the_cut_off_and_keeps_the_client_usable() {
    let dir = tempfile::tempdir().unwrap();
    let created = ok_json(dir.path(), &["client", "create", "--admin"]);
    assert_eq!(created["tokens_not_before"], Value::Null);
    let id = created["client_id"].as_str().unwrap();
    let before = now_unix();
    let revoked = ok_json(dir.path(), &["client", "revoke-tokens", id]);
    let cut_off = revoked["tokens_not_before"]
        .as_i64()
        .expect("the cut-off, Unix seconds");
    assert!((before..=now_unix()).contains(&cut_off), "{revoked}");
    assert_eq!(revoked["enabled"], true);
    let client = stored(dir.path(), id).await;
    assert_eq!(client.tokens_not_before, Some(cut_off));
    assert!(client.enabled);
    let unknown = authctl(dir.path(), &["client", "revoke-tokens", "no-such-client"]);
    assert!(!unknown.status.success());
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

/// Two rotations in a row must not unpublish the key that signed until the first: its tokens
/// live up to a day. `published_until` says until when it stays.
#[test]
fn keys_rotate_twice_and_prune_keep_a_key_whose_tokens_may_be_valid() {
    let dir = tempfile::tempdir().unwrap();
    let init = ok_json(dir.path(), &["keys", "init"]);
    let first_kid = init["keys"][0]["kid"].clone();
    ok_json(dir.path(), &["keys", "rotate"]);
    let rotated = ok_json(dir.path(), &["keys", "rotate"]);
    let pruned = ok_json(dir.path(), &["keys", "prune"]);
    for shown in [&rotated, &pruned] {
        let first = shown["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == first_kid)
            .expect("the first key is still in the set");
        assert_eq!(first["state"], "previous");
        let published_until = first["published_until"].as_i64().unwrap();
        assert!(
            published_until > now_unix() + 86_400,
            "a day-long token it signed may still be valid"
        );
    }
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

/// `make run` keeps the printed credentials in `.local/demo.json`: owner-only even when an older
/// run (or shell redirection) left it world-readable.
#[cfg(unix)]
#[test]
fn demo_output_is_owner_only_even_when_the_file_exists() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("demo.json");
    std::fs::write(&output, "{}").unwrap();
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o644)).unwrap();
    let printed = ok_json(dir.path(), &["demo", "--output", output.to_str().unwrap()]);
    let written: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    assert_eq!(written, printed);
    let mode = std::fs::metadata(&output).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

async fn demo_sign_in_status(world: &SignInWorld, demo: &Value) -> u16 {
    let form = TokenForm::credentials(
        demo["ce_api"]["client_id"].as_str().unwrap(),
        demo["ce_api"]["client_secret"].as_str().unwrap(),
    )
    .password_grant(
        demo["user"]["email"].as_str().unwrap(),
        demo["user"]["password"].as_str().unwrap(),
    );
    world.post_token(&form).await.status
}

#[tokio::test]
async fn demo_user_signs_in_through_the_ce_api_client_and_stays_usable_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let first = ok_json(dir.path(), &["demo"]);
    assert_eq!(first["ce_api"]["client_id"], "demo-ce-api");
    assert_eq!(
        (&first["user"]["labelpartner"], &first["user"]["email"]),
        (
            &Value::from("demo-lp"),
            &Value::from("demo@demo-lp.example")
        )
    );
    let app = stored(dir.path(), "demo-ce-api").await;
    assert_eq!(
        app.allowed_grant_types,
        [GrantType::Password, GrantType::RefreshToken]
    );
    assert_eq!(app.labelpartner.as_deref(), Some("demo-lp"));
    let world = sign_in_world(dir.path()).await;
    assert_eq!(demo_sign_in_status(&world, &first).await, 200);
    assert_eq!(ok_json(dir.path(), &["demo"]), first, "idempotent");

    // Changed, disabled and locked by hand: the next run makes the demo user work again.
    let user_id = first["user"]["user_id"].as_str().unwrap();
    ok_json_with_stdin(
        dir.path(),
        &["user", "set-password", user_id, "--password-stdin"],
        "changed by hand",
    );
    ok_json(dir.path(), &["user", "disable", user_id]);
    let repaired = ok_json(dir.path(), &["demo"]);
    assert_eq!(repaired["user"]["user_id"], user_id);
    assert_ne!(repaired["user"]["password"], first["user"]["password"]);
    assert_eq!(repaired["ce_api"], first["ce_api"]);
    assert_eq!(demo_sign_in_status(&world, &repaired).await, 200);
    assert_eq!(demo_sign_in_status(&world, &first).await, 400);

    // Lost credentials file: everything is reissued, and works.
    std::fs::remove_file(dir.path().join(".local/demo-credentials.json")).unwrap();
    let reissued = ok_json(dir.path(), &["demo"]);
    assert_ne!(reissued["user"]["password"], repaired["user"]["password"]);
    assert_eq!(demo_sign_in_status(&world, &reissued).await, 200);
}

#[test]
fn demo_refuses_to_run_against_dynamodb() {
    let dir = tempfile::tempdir().unwrap();
    let out = authctl(dir.path(), &["--store", "dynamodb", "demo"]);
    assert!(!out.status.success());
}

fn ok_json_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Value {
    let out = authctl_with_stdin(dir, args, stdin);
    assert!(
        out.status.success(),
        "authctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("authctl prints JSON")
}

fn failure(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = authctl_with_stdin(dir, args, stdin);
    assert!(!out.status.success(), "authctl {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sqlite(dir: &Path) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(dir.join("store.sqlite")).unwrap())
}

async fn stored_user(dir: &Path, user_id: &str) -> User {
    sqlite(dir)
        .get_user(user_id)
        .await
        .unwrap()
        .expect("user stored")
}

/// The sign-in endpoint over the test's SQLite file, with its app client of `lp-1` and ann
/// (`ann@example.org`, [`DEFAULT_PASSWORD`]).
async fn sign_in_world(dir: &Path) -> SignInWorld {
    SignInWorld::sqlite(sqlite(dir), SigningAlgorithm::ES256).await
}

async fn sign_in_status(world: &SignInWorld, email: &str, password: &str) -> u16 {
    world
        .post_token(&world.app_form().password_grant(email, password))
        .await
        .status
}

fn create_user(dir: &Path, labelpartner: &str, email: &str, password: &str) -> Value {
    ok_json_with_stdin(
        dir,
        &[
            "user",
            "create",
            "--labelpartner",
            labelpartner,
            "--email",
            email,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
}

#[tokio::test]
async fn user_create_prints_the_user_id_never_the_password_and_one_email_is_one_user() {
    let dir = tempfile::tempdir().unwrap();
    let password = "pass phrase one";
    let created = create_user(dir.path(), "lp-1", "Ann@Example.org", password);
    let user_id = created["user_id"].as_str().unwrap();
    assert!(is_user_id(user_id), "{user_id}");
    assert_eq!(created["email"], "Ann@Example.org");
    assert_eq!(created["password_scheme"], "argon2id");
    assert!(!created.to_string().contains(password));
    assert!(!created.to_string().contains("$argon2"), "nor the hash");
    let user = stored_user(dir.path(), user_id).await;
    assert!(
        user.password_hash.verify(password),
        "the newline is not part of it"
    );
    let file = std::fs::read(dir.path().join("store.sqlite")).unwrap();
    assert!(
        !file
            .windows(password.len())
            .any(|w| w == password.as_bytes())
    );

    let again = failure(
        dir.path(),
        &[
            "user",
            "create",
            "--labelpartner",
            "lp-1",
            "--email",
            "ANN@example.ORG",
            "--password-stdin",
        ],
        "another phrase\n",
    );
    assert!(again.contains("already has a user"), "{again}");
    create_user(dir.path(), "lp-2", "ann@example.org", password);
    let short = failure(
        dir.path(),
        &[
            "user",
            "create",
            "--labelpartner",
            "lp-1",
            "--email",
            "bob@example.org",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(short.contains("at least 8"), "{short}");
    failure(
        dir.path(),
        &[
            "user",
            "create",
            "--labelpartner",
            "lp-1",
            "--email",
            "bob@example.org",
        ],
        password,
    );
}

#[tokio::test]
async fn user_list_and_show_print_the_account_state_never_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let bob = create_user(dir.path(), "lp-1", "bob@example.org", "pass phrase one");
    let ann = create_user(dir.path(), "lp-1", "ann@example.org", "pass phrase two");
    create_user(dir.path(), "lp-2", "cy@example.org", "pass phrase three");
    let listed = ok_json(dir.path(), &["user", "list", "--labelpartner", "lp-1"]);
    assert_eq!(listed, serde_json::json!([ann, bob]), "ordered by e-mail");
    let id = ann["user_id"].as_str().unwrap();
    assert_eq!(ok_json(dir.path(), &["user", "show", id]), ann);
    let by_email = ok_json(
        dir.path(),
        &[
            "user",
            "show",
            "--labelpartner",
            "lp-1",
            "--email",
            "ANN@example.org",
        ],
    );
    assert_eq!(by_email, ann);
    for field in [
        "user_id",
        "labelpartner",
        "email",
        "enabled",
        "created_at",
        "password_changed_at",
        "password_scheme",
        "failed_sign_ins",
        "locked_until",
        "session_epoch",
    ] {
        assert!(ann.get(field).is_some(), "{field}");
    }
    let unknown = failure(
        dir.path(),
        &["user", "show", "0123456789abcdef0123456789abcdef"],
        "",
    );
    assert!(unknown.contains("no user"), "{unknown}");
    let other_lp = failure(
        dir.path(),
        &[
            "user",
            "show",
            "--labelpartner",
            "lp-2",
            "--email",
            "ann@example.org",
        ],
        "",
    );
    assert!(other_lp.contains("has no user"), "{other_lp}");
}

#[tokio::test]
async fn disabling_a_user_revokes_its_refresh_tokens_and_enabling_lets_it_sign_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let ann = &world.ann;
    let refresh_token = world.sign_in().await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let disabled = ok_json(dir.path(), &["user", "disable", &ann.user_id]);
    assert_eq!(disabled["enabled"], false);
    assert_eq!(world.refresh(&refresh_token).await.status, 400);
    assert_eq!(
        sign_in_status(&world, &ann.email, DEFAULT_PASSWORD).await,
        400
    );
    let enabled = ok_json(dir.path(), &["user", "enable", &ann.user_id]);
    assert_eq!(enabled["enabled"], true);
    assert_eq!(
        world.refresh(&refresh_token).await.status,
        400,
        "enabling does not bring the revoked session back"
    );
    assert_eq!(
        sign_in_status(&world, &ann.email, DEFAULT_PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn set_password_replaces_the_password_and_revokes_the_refresh_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let ann = &world.ann;
    let refresh_token = world.sign_in().await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let new_password = "a brand new pass phrase";
    let changed = ok_json_with_stdin(
        dir.path(),
        &["user", "set-password", &ann.user_id, "--password-stdin"],
        &format!("{new_password}\n"),
    );
    assert!(!changed.to_string().contains(new_password));
    let user = stored_user(dir.path(), &ann.user_id).await;
    assert!(user.password_hash.verify(new_password));
    assert!(!user.password_hash.verify(DEFAULT_PASSWORD));
    assert_eq!(world.refresh(&refresh_token).await.status, 400);
    assert_eq!(
        sign_in_status(&world, &ann.email, DEFAULT_PASSWORD).await,
        400
    );
    assert_eq!(sign_in_status(&world, &ann.email, new_password).await, 200);
    let short = failure(
        dir.path(),
        &["user", "set-password", &ann.user_id, "--password-stdin"],
        "short",
    );
    assert!(short.contains("at least 8"), "{short}");
    assert!(
        stored_user(dir.path(), &ann.user_id)
            .await
            .password_hash
            .verify(new_password)
    );
}

#[tokio::test]
async fn user_revoke_tokens_prints_and_stores_the_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let before = now_unix();
    let revoked = ok_json(dir.path(), &["user", "revoke-tokens", &world.ann.user_id]);
    let cut_off = revoked["tokens_not_before"]
        .as_i64()
        .expect("the cut-off, Unix seconds");
    assert!((before..=now_unix()).contains(&cut_off), "{revoked}");
    assert_eq!(revoked["enabled"], true);
    let user = stored_user(dir.path(), &world.ann.user_id).await;
    assert_eq!(user.tokens_not_before, Some(cut_off));
}

#[tokio::test]
async fn revoke_sessions_signs_a_user_out_everywhere_and_keeps_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let first = world.sign_in().await["refresh_token"].clone();
    let second = world.sign_in().await["refresh_token"].clone();
    ok_json(dir.path(), &["user", "revoke-sessions", &world.ann.user_id]);
    for token in [first, second] {
        assert_eq!(world.refresh(token.as_str().unwrap()).await.status, 400);
    }
    assert_eq!(
        sign_in_status(&world, &world.ann.email, DEFAULT_PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn unlock_lifts_a_lockout_that_show_reports() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let ann = &world.ann;
    for _ in 0..5 {
        assert_eq!(
            sign_in_status(&world, &ann.email, "wrong password").await,
            400
        );
    }
    assert_eq!(
        sign_in_status(&world, &ann.email, DEFAULT_PASSWORD).await,
        400,
        "locked"
    );
    let shown = ok_json(dir.path(), &["user", "show", &ann.user_id]);
    assert_eq!(shown["failed_sign_ins"], 5);
    assert!(shown["locked_until"].as_i64().unwrap() > now_unix() - 1);
    let unlocked = ok_json(
        dir.path(),
        &[
            "user",
            "unlock",
            "--labelpartner",
            "lp-1",
            "--email",
            &ann.email,
        ],
    );
    assert_eq!(
        (&unlocked["failed_sign_ins"], &unlocked["locked_until"]),
        (&Value::from(0), &Value::Null)
    );
    assert_eq!(
        sign_in_status(&world, &ann.email, DEFAULT_PASSWORD).await,
        200
    );
}

fn import_line(email: &str, hash: &str) -> String {
    format!(r#"{{"labelpartner":"lp-1","email":"{email}","password_hash":"{hash}"}}"#)
}

#[tokio::test]
async fn import_validates_the_whole_file_first_and_reports_bad_lines_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.jsonl");
    let lines = [
        import_line("b@x.org", BCRYPT_2B),
        import_line("md5@x.org", "$1$salt$hash"),
        String::new(),
        import_line("B@x.org", PBKDF2_PHC),
        r#"{"labelpartner":"lp-1","email":"c@x.org"}"#.to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = authctl(
        dir.path(),
        &["user", "import", "--file", file.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is printed");
    let bad: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, [2, 4, 5]);
    assert_eq!(report["imported"], 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));
    assert!(
        ok_json(dir.path(), &["user", "list", "--labelpartner", "lp-1"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn imported_bcrypt_and_pbkdf2_users_sign_in_and_are_rehashed_to_argon2id() {
    let dir = tempfile::tempdir().unwrap();
    let world = sign_in_world(dir.path()).await;
    let file = [
        import_line("bcrypt@x.org", BCRYPT_2Y),
        import_line("pbkdf2@x.org", PBKDF2_DJANGO),
        import_line("ann@example.org", BCRYPT_2B),
    ]
    .join("\n");
    let dry = ok_json_with_stdin(
        dir.path(),
        &["user", "import", "--file", "-", "--dry-run"],
        &file,
    );
    assert_eq!(
        (&dry["dry_run"], &dry["imported"], &dry["skipped_existing"]),
        (&Value::from(true), &Value::from(2), &Value::from(1))
    );
    assert_eq!(
        sign_in_status(&world, "bcrypt@x.org", IMPORTED_PASSWORD).await,
        400
    );

    let report = ok_json_with_stdin(dir.path(), &["user", "import", "--file", "-"], &file);
    assert_eq!(report["imported"], 2);
    assert_eq!(report["existing_lines"], serde_json::json!([3]));
    assert_eq!(
        stored_user(dir.path(), &world.ann.user_id)
            .await
            .password_hash,
        world.ann.password_hash,
        "an existing user is never overwritten"
    );
    for (imported, scheme) in report["users"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["bcrypt", "pbkdf2-sha256"])
    {
        let user_id = imported["user_id"].as_str().unwrap();
        let email = imported["email"].as_str().unwrap();
        let before = ok_json(dir.path(), &["user", "show", user_id]);
        assert_eq!(before["password_scheme"], scheme);
        assert_eq!(sign_in_status(&world, email, IMPORTED_PASSWORD).await, 200);
        let after = ok_json(dir.path(), &["user", "show", user_id]);
        assert_eq!(after["password_scheme"], "argon2id", "{email}");
        assert_eq!(sign_in_status(&world, email, IMPORTED_PASSWORD).await, 200);
        assert_eq!(sign_in_status(&world, email, "wrong password").await, 400);
    }
    let again = ok_json_with_stdin(dir.path(), &["user", "import", "--file", "-"], &file);
    assert_eq!(
        (&again["imported"], &again["skipped_existing"]),
        (&Value::from(0), &Value::from(3)),
        "re-running a file is safe"
    );
}
