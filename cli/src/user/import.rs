//! `authctl user import`: users moved from another platform with the password hashes they have
//! there. Nothing is re-hashed here (we do not know the passwords); each hash is verified as it
//! is, and the user's first successful sign-in replaces it with argon2id.
//!
//! The whole file is validated before anything is written: one bad line and nothing is
//! imported, so a file is fixed and re-run rather than half applied. At write time a user whose
//! e-mail the labelpartner already has is skipped, not overwritten, which also makes re-running
//! a partly imported file safe.

use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use token_service::domain::user::{is_user_id, new_user_id};
use token_service::domain::{LoginFailures, PasswordHash, User};
use token_service::store::{StoreError, UserStore};

use crate::{CliResult, FailedWithReport};

/// One line of the file. Unknown fields are refused: a misspelt `"enabled"` must not silently
/// import a user enabled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportedUser {
    labelpartner: String,
    email: String,
    password_hash: String,
    #[serde(default = "enabled_unless_said")]
    enabled: bool,
    /// Kept when the other platform's ids are already ours (32 lowercase hex), so tokens'
    /// `sub` stays what downstream systems know; absent means a new one is generated.
    user_id: Option<String>,
    /// Unix seconds; the import time when absent.
    created_at: Option<i64>,
    /// Unix seconds; `created_at` when absent.
    password_changed_at: Option<i64>,
}

fn enabled_unless_said() -> bool {
    true
}

struct LineError {
    line: usize,
    error: String,
}

/// A valid line, ready to write.
struct Candidate {
    line: usize,
    user: User,
}

/// What became of the candidates at write time (or would have, in a dry run).
#[derive(Default)]
struct Outcome {
    imported: Vec<(usize, String, String)>,
    existing: Vec<usize>,
    errors: Vec<LineError>,
}

pub async fn import(store: &dyn UserStore, text: &str, dry_run: bool, now: i64) -> CliResult {
    let (candidates, invalid) = validate_file(text, now);
    if !invalid.is_empty() {
        let outcome = Outcome {
            errors: invalid,
            ..Outcome::default()
        };
        let count = outcome.errors.len();
        return Err(Box::new(FailedWithReport {
            report: report(&outcome, dry_run),
            message: format!("{count} invalid line(s); nothing was imported"),
        }));
    }
    let mut outcome = Outcome::default();
    for candidate in candidates {
        let result = if dry_run {
            would_create(store, &candidate.user).await
        } else {
            create(store, &candidate.user).await
        };
        match result {
            Ok(Created::New) => outcome.imported.push((
                candidate.line,
                candidate.user.user_id,
                candidate.user.email,
            )),
            Ok(Created::AlreadyThere) => outcome.existing.push(candidate.line),
            Err(error) => outcome.errors.push(LineError {
                line: candidate.line,
                error,
            }),
        }
    }
    if outcome.errors.is_empty() {
        return Ok(report(&outcome, dry_run));
    }
    let message = format!(
        "{} user(s) could not be imported{}",
        outcome.errors.len(),
        if dry_run {
            ""
        } else {
            "; the others were, and re-running the file skips them"
        }
    );
    Err(Box::new(FailedWithReport {
        report: report(&outcome, dry_run),
        message,
    }))
}

fn report(outcome: &Outcome, dry_run: bool) -> Value {
    json!({
        "dry_run": dry_run,
        "imported": outcome.imported.len(),
        "skipped_existing": outcome.existing.len(),
        "errors": outcome.errors.iter().map(|e| json!({"line": e.line, "error": e.error})).collect::<Vec<_>>(),
        "users": outcome.imported.iter().map(|(line, user_id, email)| json!({
            "line": line, "user_id": user_id, "email": email
        })).collect::<Vec<_>>(),
        "existing_lines": outcome.existing,
    })
}

/// Every non-blank line as a user, or what is wrong with it (line numbers from 1). Two lines
/// for one e-mail of a labelpartner, or with one user_id, are an error on the later line.
fn validate_file(text: &str, now: i64) -> (Vec<Candidate>, Vec<LineError>) {
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    let mut emails: HashMap<(String, String), usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let user = match user_of_line(raw, now) {
            Ok(user) => user,
            Err(error) => {
                errors.push(LineError { line, error });
                continue;
            }
        };
        let email_key = (user.labelpartner.clone(), user.normalized_email());
        if let Some(first) = emails.get(&email_key) {
            errors.push(LineError {
                line,
                error: format!("the e-mail of line {first} again (e-mails ignore case)"),
            });
            continue;
        }
        if let Some(first) = ids.get(&user.user_id) {
            errors.push(LineError {
                line,
                error: format!("the user_id of line {first} again"),
            });
            continue;
        }
        emails.insert(email_key, line);
        ids.insert(user.user_id.clone(), line);
        candidates.push(Candidate { line, user });
    }
    (candidates, errors)
}

/// serde's messages quote the offending value, which in this file can be a password hash: say
/// what is wrong and where, and name an unknown or missing field, never a value.
fn describe_json_error(error: serde_json::Error) -> String {
    let text = error.to_string();
    let field = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| {
            let rest = text.strip_prefix(prefix)?;
            Some(format!(
                "{prefix}{}`",
                rest.split('`').next().unwrap_or_default()
            ))
        });
    let what = field.unwrap_or_else(|| match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "not JSON".to_string()
        }
        _ => "a field has the wrong type or value".to_string(),
    });
    format!("not a user record: {what} (column {})", error.column())
}

fn user_of_line(raw: &str, now: i64) -> Result<User, String> {
    let line: ImportedUser = serde_json::from_str(raw).map_err(describe_json_error)?;
    let password_hash = PasswordHash::parse(&line.password_hash).map_err(|e| e.to_string())?;
    let user_id = match line.user_id {
        Some(id) if is_user_id(&id) => id,
        Some(_) => {
            return Err(
                "user_id must be 32 lowercase hex characters; leave it out to generate one".into(),
            );
        }
        None => new_user_id().map_err(|e| e.to_string())?,
    };
    let created_at = line.created_at.unwrap_or(now);
    let user = User {
        user_id,
        labelpartner: line.labelpartner,
        email: line.email.trim().to_string(),
        password_hash,
        enabled: line.enabled,
        created_at,
        password_changed_at: line.password_changed_at.unwrap_or(created_at),
        session_epoch: 0,
        tokens_not_before: None,
        login_failures: LoginFailures::default(),
    };
    user.validate().map_err(|e| e.to_string())?;
    Ok(user)
}

enum Created {
    New,
    AlreadyThere,
}

async fn create(store: &dyn UserStore, user: &User) -> Result<Created, String> {
    match store.create_user(user).await {
        Ok(()) => Ok(Created::New),
        Err(StoreError::AlreadyExists) => already_there(store, user).await,
        Err(other) => Err(other.to_string()),
    }
}

/// What [`create`] would answer, from reads only.
async fn would_create(store: &dyn UserStore, user: &User) -> Result<Created, String> {
    let id_taken = store
        .get_user(&user.user_id)
        .await
        .map_err(|e| e.to_string())?
        .is_some();
    let email_taken = store
        .find_by_email(&user.labelpartner, &user.normalized_email())
        .await
        .map_err(|e| e.to_string())?
        .is_some();
    if id_taken || email_taken {
        already_there(store, user).await
    } else {
        Ok(Created::New)
    }
}

/// The store refused a user as existing: its e-mail is taken (skip it), or else its user_id
/// belongs to someone else (an error: that is not the same user).
async fn already_there(store: &dyn UserStore, user: &User) -> Result<Created, String> {
    match store
        .find_by_email(&user.labelpartner, &user.normalized_email())
        .await
    {
        Ok(Some(_)) => Ok(Created::AlreadyThere),
        Ok(None) => Err(format!("user_id {} belongs to another user", user.user_id)),
        Err(error) => Err(error.to_string()),
    }
}
