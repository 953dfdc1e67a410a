//! The user commands over the in-memory store: argument rules, password input, and the import
//! file's validation. The binary-level tests (cli/tests/authctl.rs) run the same commands
//! against a real SQLite file.

use super::*;
use clap::Parser;
use token_service::store::UserAccounts;
use token_service::store::memory::MemoryUserStore;
use token_service::testing::password_hashes::{
    ARGON2I, BCRYPT_2A, BCRYPT_2B, BCRYPT_2Y, IMPORTED_PASSWORD, PBKDF2_DJANGO, PBKDF2_PASSLIB,
    PBKDF2_PHC,
};
use token_service::testing::{DEFAULT_PASSWORD, cheap_argon2, user};

use crate::FailedWithReport;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: UserCommand,
}

fn parse(args: &[&str]) -> Result<UserCommand, clap::Error> {
    Cli::try_parse_from(std::iter::once("user").chain(args.iter().copied())).map(|c| c.command)
}

fn settings() -> SignInSettings {
    SignInSettings {
        argon2: cheap_argon2(),
        ..SignInSettings::default()
    }
}

async fn run_with(store: &MemoryUserStore, args: &[&str], stdin: &str) -> CliResult {
    run(
        parse(args).expect("valid arguments"),
        store,
        &settings(),
        &mut stdin.as_bytes(),
    )
    .await
}

/// The report of a command that failed with one, e.g. an import with bad lines.
fn failed_report(result: CliResult) -> Value {
    let error = result.expect_err("the command fails");
    error
        .downcast_ref::<FailedWithReport>()
        .unwrap_or_else(|| panic!("a failure with a report, not {error}"))
        .report
        .clone()
}

fn error_text(result: CliResult) -> String {
    result.expect_err("the command fails").to_string()
}

/// One line of an import file: a user of `lp-1` whose hash is of [`DEFAULT_PASSWORD`], with
/// `extra` fields (each starting with a comma).
fn line(email: &str, extra: &str) -> String {
    let hash = user("lp-1", "x@x.org").build().password_hash;
    line_with_hash(email, hash.as_str(), extra)
}

fn line_with_hash(email: &str, hash: &str, extra: &str) -> String {
    format!(r#"{{"labelpartner":"lp-1","email":"{email}","password_hash":"{hash}"{extra}}}"#)
}

#[tokio::test]
async fn create_reads_the_password_from_stdin_without_one_trailing_newline() {
    let store = MemoryUserStore::default();
    let created = run_with(
        &store,
        &[
            "create",
            "--labelpartner",
            "lp-1",
            "--email",
            "Ann@Example.org",
            "--password-stdin",
        ],
        "pass phrase one\r\n",
    )
    .await
    .unwrap();
    assert!(!created.to_string().contains("pass phrase one"));
    assert_eq!(created["password_scheme"], "argon2id");
    assert_eq!(created["rehash_on_next_sign_in"], false);
    let stored = store
        .get_user(created["user_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.verify("pass phrase one"));
    assert_eq!(stored.email, "Ann@Example.org");
}

#[tokio::test]
async fn only_one_newline_is_dropped_and_short_passwords_are_refused() {
    let store = MemoryUserStore::default();
    let create = [
        "create",
        "--labelpartner",
        "lp-1",
        "--email",
        "a@x.org",
        "--password-stdin",
    ];
    assert!(
        error_text(run_with(&store, &create, "short\n").await).contains("at least 8"),
        "too short"
    );
    assert!(run_with(&store, &create, "").await.is_err(), "empty stdin");
    let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    assert!(run_with(&store, &create, &long).await.is_err(), "too long");
    assert!(store.list_users("lp-1").await.unwrap().is_empty());
    let created = run_with(&store, &create, "eight chars\n\n").await.unwrap();
    let stored = store
        .get_user(created["user_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.verify("eight chars\n"));
}

#[test]
fn passwords_come_only_from_stdin_and_a_user_is_named_one_way() {
    assert!(parse(&["create", "--labelpartner", "lp", "--email", "a@x.org"]).is_err());
    assert!(
        parse(&[
            "create",
            "--labelpartner",
            "lp",
            "--email",
            "a@x.org",
            "--password",
            "x"
        ])
        .is_err()
    );
    assert!(parse(&["set-password", &"a".repeat(32)]).is_err());
    assert!(parse(&["show"]).is_err());
    assert!(parse(&["show", "--email", "a@x.org"]).is_err());
    assert!(
        parse(&[
            "show",
            &"a".repeat(32),
            "--labelpartner",
            "lp",
            "--email",
            "a@x.org"
        ])
        .is_err()
    );
    assert!(parse(&["show", "--labelpartner", "lp", "--email", "a@x.org"]).is_ok());
    assert!(parse(&["disable", &"a".repeat(32)]).is_ok());
}

#[tokio::test]
async fn unknown_users_and_malformed_ids_are_clear_errors() {
    let store = MemoryUserStore::default();
    let unknown = "0123456789abcdef0123456789abcdef";
    for command in ["show", "disable", "enable", "unlock", "revoke-sessions"] {
        assert!(
            error_text(run_with(&store, &[command, unknown], "").await).contains("no user"),
            "{command}"
        );
    }
    assert!(
        error_text(run_with(&store, &["show", "ann@x.org"], "").await)
            .contains("--labelpartner and --email")
    );
    assert!(
        error_text(
            run_with(
                &store,
                &["show", "--labelpartner", "lp-1", "--email", "a@x.org"],
                ""
            )
            .await
        )
        .contains("has no user")
    );
}

#[tokio::test]
async fn a_lockout_shows_until_when_and_unlock_lifts_it() {
    let store = MemoryUserStore::default();
    let ann = user("lp-1", "ann@example.org").build();
    store.create_user(&ann).await.unwrap();
    let now = now_unix();
    for _ in 0..5 {
        store.record_login_failure(&ann.user_id, now).await.unwrap();
    }
    let shown = run_with(&store, &["show", &ann.user_id], "").await.unwrap();
    assert_eq!(shown["failed_sign_ins"], 5);
    assert_eq!(shown["locked_until"], now + 1);
    let unlocked = run_with(&store, &["unlock", &ann.user_id], "")
        .await
        .unwrap();
    assert_eq!(unlocked["failed_sign_ins"], 0);
    assert_eq!(unlocked["locked_until"], Value::Null);
}

#[tokio::test]
async fn import_keeps_our_ids_generates_others_and_takes_the_hash_as_it_is() {
    let store = MemoryUserStore::default();
    let kept = "00112233445566778899aabbccddeeff";
    let file = [
        line(
            "ann@x.org",
            &format!(r#","user_id":"{kept}","created_at":1700000000"#),
        ),
        String::new(),
        line("bob@x.org", r#","enabled":false"#),
    ]
    .join("\n");
    let report = import::import(&store, &file, false, 1_800_000_000)
        .await
        .unwrap();
    assert_eq!(report["imported"], 2);
    assert_eq!(report["users"][0]["user_id"], kept);
    assert_eq!(report["users"][1]["line"], 3);
    let ann = store.get_user(kept).await.unwrap().unwrap();
    assert_eq!(
        (ann.created_at, ann.password_changed_at),
        (1_700_000_000, 1_700_000_000)
    );
    assert!(ann.password_hash.verify(DEFAULT_PASSWORD));
    let bob = store
        .find_by_email("lp-1", "bob@x.org")
        .await
        .unwrap()
        .unwrap();
    assert!(!bob.enabled);
    assert_eq!(bob.created_at, 1_800_000_000);
}

#[tokio::test]
async fn one_bad_line_and_nothing_is_written_with_every_error_by_line() {
    let store = MemoryUserStore::default();
    let file = [
        line("ann@x.org", ""),
        r#"{"labelpartner":"lp-1","email":"bob@x.org","password_hash":"$1$abc$def"}"#.into(),
        line("ANN@x.org", ""),
        line("cy@x.org", r#","user_id":"legacy-42""#),
        line("dee@x.org", r#","enabeld":false"#),
        "not json".into(),
        line("no-at-sign", ""),
    ]
    .join("\n");
    let report = failed_report(import::import(&store, &file, false, 0).await);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    assert!(
        report["errors"][1]["error"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
    assert_eq!(report["imported"], 0);
    assert!(store.list_users("lp-1").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let store = MemoryUserStore::default();
    store
        .create_user(&user("lp-1", "ann@x.org").build())
        .await
        .unwrap();
    let file = [line("ann@x.org", ""), line("bob@x.org", "")].join("\n");
    let report = import::import(&store, &file, true, 0).await.unwrap();
    assert_eq!(
        (
            &report["dry_run"],
            &report["imported"],
            &report["skipped_existing"]
        ),
        (&json!(true), &json!(1), &json!(1))
    );
    assert_eq!(store.list_users("lp-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn re_running_an_import_skips_existing_users_and_never_overwrites_them() {
    let store = MemoryUserStore::default();
    let ann = user("lp-1", "ann@x.org")
        .password("the one she uses")
        .build();
    store.create_user(&ann).await.unwrap();
    let file = [line("Ann@X.org", ""), line("bob@x.org", "")].join("\n");
    let first = import::import(&store, &file, false, 0).await.unwrap();
    assert_eq!(
        (&first["imported"], &first["existing_lines"]),
        (&json!(1), &json!([1]))
    );
    let again = import::import(&store, &file, false, 0).await.unwrap();
    assert_eq!(
        (&again["imported"], &again["skipped_existing"]),
        (&json!(0), &json!(2))
    );
    let stored = store.get_user(&ann.user_id).await.unwrap().unwrap();
    assert!(stored.password_hash.verify("the one she uses"));
}

#[tokio::test]
async fn a_user_id_of_another_user_is_an_error_at_write_time_and_the_rest_go_on() {
    let store = MemoryUserStore::default();
    let ann = user("lp-1", "ann@x.org").build();
    store.create_user(&ann).await.unwrap();
    let file = [
        line("bob@x.org", &format!(r#","user_id":"{}""#, ann.user_id)),
        line("cy@x.org", ""),
    ]
    .join("\n");
    let dry = failed_report(import::import(&store, &file, true, 0).await);
    assert_eq!(dry["errors"][0]["line"], 1);
    let report = failed_report(import::import(&store, &file, false, 0).await);
    assert_eq!(report["errors"][0]["line"], 1);
    assert!(
        report["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("another user")
    );
    assert_eq!(report["imported"], 1);
    assert!(
        store
            .find_by_email("lp-1", "cy@x.org")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn bcrypt_pbkdf2_and_other_argon2_hashes_import_as_they_are_and_await_a_rehash() {
    let store = MemoryUserStore::default();
    let hashes = [
        ("bcrypt", BCRYPT_2A),
        ("bcrypt", BCRYPT_2B),
        ("bcrypt", BCRYPT_2Y),
        ("pbkdf2-sha256", PBKDF2_PHC),
        ("pbkdf2-sha256", PBKDF2_PASSLIB),
        ("pbkdf2-sha256", PBKDF2_DJANGO),
        ("argon2i", ARGON2I),
    ];
    let file: Vec<String> = hashes
        .iter()
        .enumerate()
        .map(|(i, (_, hash))| line_with_hash(&format!("u{i}@x.org"), hash, ""))
        .collect();
    let report = import::import(&store, &file.join("\n"), false, 0)
        .await
        .unwrap();
    assert_eq!(report["imported"], hashes.len());
    let listed = run_with(&store, &["list", "--labelpartner", "lp-1"], "")
        .await
        .unwrap();
    for (i, (scheme, hash)) in hashes.iter().enumerate() {
        let shown = &listed[i];
        assert_eq!(shown["email"], format!("u{i}@x.org"));
        assert_eq!(shown["password_scheme"], *scheme);
        assert_eq!(shown["rehash_on_next_sign_in"], true);
        assert!(!listed.to_string().contains(hash), "never the hash itself");
        let stored = store
            .get_user(shown["user_id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(stored.password_hash.verify(IMPORTED_PASSWORD), "{scheme}");
    }
}

#[tokio::test]
async fn unsupported_and_over_cost_hashes_are_refused_with_the_reason() {
    let store = MemoryUserStore::default();
    let file = [
        line_with_hash("a@x.org", &BCRYPT_2B.replacen("$04$", "$16$", 1), ""),
        line_with_hash("b@x.org", "$6$salt$hash", ""),
        line_with_hash("c@x.org", "plain text password", ""),
    ]
    .join("\n");
    let report = failed_report(import::import(&store, &file, false, 0).await);
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"].as_str().unwrap())
        .collect();
    assert!(errors[0].contains("bcrypt cost 16"), "{errors:?}");
    assert!(errors[1].contains("SHA-512-crypt"), "{errors:?}");
    assert!(errors[2].contains("not a recognised hash"), "{errors:?}");
    assert!(
        !report.to_string().contains("plain text password"),
        "an error never echoes what was given as a hash"
    );
}

#[tokio::test]
async fn a_malformed_line_is_described_without_quoting_its_values() {
    let store = MemoryUserStore::default();
    let secret_hash = "$2b$10$AF2S9VrUQHzegh7qedRTEO0NYETx.Eu4I.r2kdMv1uXAbzk9Q7dT2";
    let file = [
        format!(r#"{{"labelpartner":"lp-1","email":"a@x.org","password_hash":"{secret_hash}","enabled":"{secret_hash}"}}"#),
        format!(r#"{{"labelpartner":"lp-1","email":"b@x.org","password_hash":{secret_hash:?}, "enabeld":true}}"#),
    ]
    .join("\n");
    let report = failed_report(import::import(&store, &file, false, 0).await);
    let errors = report["errors"].to_string();
    assert!(!errors.contains("AF2S9VrUQHz"), "{errors}");
    assert!(errors.contains("wrong type or value"), "{errors}");
    assert!(errors.contains("unknown field `enabeld`"), "{errors}");
}
