//! End users: the people who sign in to a labelpartner's app with e-mail and password.

use std::fmt;

use crate::domain::client::validate_labelpartner;
use crate::domain::password::PasswordHash;

/// RFC 5321 §4.5.3.1.3: a forward path is at most 256 octets, so an address at most 254.
const MAX_EMAIL_LEN: usize = 254;

/// One end user. `user_id` is the token's `sub`: opaque, random, never reused, never derived
/// from the e-mail (which can change hands).
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub user_id: String,
    pub labelpartner: String,
    /// As it was given, for display; lookups use [`normalize_email`].
    pub email: String,
    pub password_hash: PasswordHash,
    pub enabled: bool,
    pub created_at: i64,
    pub password_changed_at: i64,
    /// Bumped by every action that must end the user's sessions (disable, password change,
    /// revoke-sessions); a refresh-token family is valid only while it carries the current one.
    pub session_epoch: u64,
    pub login_failures: LoginFailures,
    /// Unix seconds: the user's access tokens issued (`iat`) before this are refused by the
    /// authorizer (`authctl user revoke-tokens`). `None`: no cut-off.
    pub tokens_not_before: Option<i64>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("labelpartner", &self.labelpartner)
            .field("enabled", &self.enabled)
            .field("session_epoch", &self.session_epoch)
            .finish_non_exhaustive()
    }
}

/// Consecutive failed sign-ins, counted atomically by the store, and when the last one was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: u32,
    pub last_failed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("invalid user: {0}")]
    Invalid(String),
}

impl User {
    /// A new, enabled user with a fresh random id.
    pub fn new(
        labelpartner: &str,
        email: &str,
        password_hash: PasswordHash,
        now: i64,
    ) -> Result<Self, UserError> {
        let user = User {
            user_id: new_user_id()?,
            labelpartner: labelpartner.to_string(),
            email: email.trim().to_string(),
            password_hash,
            enabled: true,
            created_at: now,
            password_changed_at: now,
            session_epoch: 0,
            tokens_not_before: None,
            login_failures: LoginFailures::default(),
        };
        user.validate()?;
        Ok(user)
    }

    /// The e-mail as lookups and the uniqueness rule see it.
    pub fn normalized_email(&self) -> String {
        normalize_email(&self.email)
    }

    /// Checks the invariants every stored user must hold.
    pub fn validate(&self) -> Result<(), UserError> {
        if !is_user_id(&self.user_id) {
            return Err(UserError::Invalid(
                "user_id must be 32 lowercase hex characters".into(),
            ));
        }
        validate_labelpartner(&self.labelpartner).map_err(|e| UserError::Invalid(e.to_string()))?;
        validate_email(&self.email)
    }
}

/// 128 random bits as 32 lowercase hex characters: safe in a URL path, a CLI argument and a
/// DynamoDB key.
pub fn new_user_id() -> Result<String, UserError> {
    crate::domain::secret::random_hex::<16>()
        .map_err(|e| UserError::Invalid(format!("no randomness for a user id: {e}")))
}

pub fn is_user_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// E-mail addresses are unique within a labelpartner without regard to case: `Ann@X.org` and
/// `ann@x.org` are one user. (RFC 5321 lets the local part be case-sensitive; no provider a
/// consumer app meets makes use of it, and two accounts that differ only in case are a support
/// and phishing hazard.)
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible address: one `@`, a non-empty local part and domain, no spaces or control
/// characters, at most 254 bytes. Deliverability is the app's business.
pub fn validate_email(email: &str) -> Result<(), UserError> {
    let email = email.trim();
    let ok = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.matches('@').count() == 1
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if ok {
        Ok(())
    } else {
        Err(UserError::Invalid(format!(
            "not an e-mail address (at most {MAX_EMAIL_LEN} bytes, one @, no spaces)"
        )))
    }
}

/// How failed sign-ins lock an account: from the `threshold`-th consecutive failure, for a
/// back-off that starts at `base_seconds` and doubles with each further failure up to
/// `max_seconds` (Cognito's published behaviour: 5 failures, then 1 s doubling to 15 min).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub base_seconds: i64,
    pub max_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            threshold: 5,
            base_seconds: 1,
            max_seconds: 900,
        }
    }
}

impl LockoutPolicy {
    /// Until when (Unix seconds, exclusive) the failures lock the account; `None` when they do
    /// not.
    pub fn locked_until(&self, failures: LoginFailures) -> Option<i64> {
        if self.threshold == 0 || failures.count < self.threshold {
            return None;
        }
        let doublings = failures.count - self.threshold;
        let backoff = if doublings >= 32 {
            self.max_seconds
        } else {
            self.base_seconds
                .saturating_mul(1_i64 << doublings)
                .min(self.max_seconds)
        };
        Some(failures.last_failed_at.saturating_add(backoff))
    }

    pub fn is_locked(&self, failures: LoginFailures, now: i64) -> bool {
        self.locked_until(failures).is_some_and(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(count: u32, at: i64) -> LoginFailures {
        LoginFailures {
            count,
            last_failed_at: at,
        }
    }

    #[test]
    fn four_failures_do_not_lock_the_fifth_locks_for_a_second() {
        let p = LockoutPolicy::default();
        assert_eq!(p.locked_until(failures(4, 100)), None);
        assert_eq!(p.locked_until(failures(5, 100)), Some(101));
        assert!(p.is_locked(failures(5, 100), 100));
        assert!(!p.is_locked(failures(5, 100), 101));
    }

    #[test]
    fn the_backoff_doubles_up_to_the_maximum() {
        let p = LockoutPolicy::default();
        let backoffs: Vec<i64> = (5..=16)
            .map(|n| p.locked_until(failures(n, 0)).unwrap())
            .collect();
        assert_eq!(backoffs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        assert_eq!(p.locked_until(failures(u32::MAX, 0)), Some(900));
    }

    #[test]
    fn emails_are_unique_without_regard_to_case() {
        assert_eq!(
            normalize_email("  Ann.Lee@Example.ORG "),
            "ann.lee@example.org"
        );
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in [
            "",
            "ann",
            "@x.org",
            "ann@",
            "a b@x.org",
            "a@b@c",
            &format!("{}@x.org", "a".repeat(250)),
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
        assert!(validate_email("ann+tag@x.org").is_ok());
    }

    #[test]
    fn user_ids_are_random_hex() {
        let a = new_user_id().unwrap();
        assert!(is_user_id(&a));
        assert_ne!(a, new_user_id().unwrap());
        assert!(!is_user_id("-rf"));
    }
}
