//! The password grant's rules (RFC 6749 §4.3, with the mitigations RFC 9700 §2.4 asks for when
//! the grant cannot be avoided): who may use it, and whether a sign-in attempt succeeds.
//!
//! Every failure — unknown e-mail, wrong password, disabled user, locked account — is the same
//! `invalid_grant` to the caller. Unknown e-mails are checked against a dummy hash and disabled
//! users' passwords are checked before their status, so those answers cost what a wrong password
//! costs. A locked account is refused without hashing: the lock exists to stop the guessing.

use sha2::{Digest, Sha256};

use super::error::{ErrorCode, OAuthError};
use crate::domain::{AccessLevel, Client, GrantType, LockoutPolicy, PasswordHash, User};

/// Longer than any address (RFC 5321 allows 254 bytes); longer input is not looked up.
const MAX_USERNAME_BYTES: usize = 320;

/// Why a sign-in failed (for logs; the caller sees one `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    UnknownUser,
    Locked,
    WrongPassword,
    Disabled,
}

impl SignInFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInFailure::UnknownUser => "unknown_user",
            SignInFailure::Locked => "locked",
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::Disabled => "disabled",
        }
    }
}

/// The one answer to every failed sign-in.
pub fn sign_in_refused() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the e-mail address or password is wrong",
    )
}

/// The labelpartner whose users this client may sign in: a labelpartner-level client allowed the
/// password grant. Admin clients may not: an admin token must never stand for an end user.
pub fn password_grant_labelpartner(client: &Client) -> Result<&str, OAuthError> {
    if !client.allows_grant(GrantType::Password) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the password grant",
        ));
    }
    match (client.access_level, client.labelpartner.as_deref()) {
        (AccessLevel::Labelpartner, Some(labelpartner)) => Ok(labelpartner),
        _ => Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "only a labelpartner's client may sign its users in",
        )),
    }
}

/// Whether `username` is worth a lookup at all.
pub fn plausible_username(username: &str) -> bool {
    username.len() <= MAX_USERNAME_BYTES
}

/// The sign-in rule for a looked-up user (or none): the user, or why not. Hashes at most once.
pub fn check_sign_in<'u>(
    user: Option<&'u User>,
    password: &str,
    dummy: &PasswordHash,
    lockout: &LockoutPolicy,
    now: i64,
) -> Result<&'u User, SignInFailure> {
    let Some(user) = user else {
        let _ = dummy.verify(password);
        return Err(SignInFailure::UnknownUser);
    };
    if lockout.is_locked(user.login_failures, now) {
        return Err(SignInFailure::Locked);
    }
    if !user.password_hash.verify(password) {
        return Err(SignInFailure::WrongPassword);
    }
    if !user.enabled {
        return Err(SignInFailure::Disabled);
    }
    Ok(user)
}

/// What the logs say instead of an e-mail address: a short SHA-256 of the labelpartner and the
/// normalized address, enough to correlate attempts without writing the address down.
pub fn email_fingerprint(labelpartner: &str, normalized_email: &str) -> String {
    let digest = Sha256::new()
        .chain_update(labelpartner.as_bytes())
        .chain_update([0])
        .chain_update(normalized_email.as_bytes())
        .finalize();
    crate::domain::secret::to_hex(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LoginFailures;
    use crate::testing::{DEFAULT_PASSWORD, cheap_hasher, client, user};

    fn dummy() -> PasswordHash {
        cheap_hasher().hash("dummy password").unwrap()
    }

    #[test]
    fn the_right_password_of_an_enabled_user_signs_in() {
        let u = user("lp-1", "ann@x.org").build();
        let signed_in = check_sign_in(
            Some(&u),
            DEFAULT_PASSWORD,
            &dummy(),
            &LockoutPolicy::default(),
            0,
        );
        assert_eq!(
            signed_in.map(|u| u.user_id.as_str()),
            Ok(u.user_id.as_str())
        );
    }

    #[test]
    fn unknown_wrong_and_disabled_are_refused() {
        let policy = LockoutPolicy::default();
        let u = user("lp-1", "ann@x.org").build();
        let off = user("lp-1", "bob@x.org").disabled().build();
        assert_eq!(
            check_sign_in(None, DEFAULT_PASSWORD, &dummy(), &policy, 0),
            Err(SignInFailure::UnknownUser)
        );
        assert_eq!(
            check_sign_in(Some(&u), "wrong password", &dummy(), &policy, 0),
            Err(SignInFailure::WrongPassword)
        );
        assert_eq!(
            check_sign_in(Some(&off), DEFAULT_PASSWORD, &dummy(), &policy, 0),
            Err(SignInFailure::Disabled)
        );
        assert_eq!(
            check_sign_in(Some(&off), "wrong password", &dummy(), &policy, 0),
            Err(SignInFailure::WrongPassword),
            "a disabled user's password is checked first, so the answer costs the same"
        );
    }

    #[test]
    fn a_locked_account_is_refused_even_with_the_right_password_until_the_backoff_ends() {
        let mut u = user("lp-1", "ann@x.org").build();
        u.login_failures = LoginFailures {
            count: 6,
            last_failed_at: 100,
        };
        let policy = LockoutPolicy::default();
        assert_eq!(
            check_sign_in(Some(&u), DEFAULT_PASSWORD, &dummy(), &policy, 101),
            Err(SignInFailure::Locked)
        );
        assert!(check_sign_in(Some(&u), DEFAULT_PASSWORD, &dummy(), &policy, 102).is_ok());
    }

    #[test]
    fn only_labelpartner_clients_with_the_grant_may_sign_users_in() {
        let app = client("app").grants(&[GrantType::Password]).build();
        assert_eq!(password_grant_labelpartner(&app), Ok("lp-1"));
        let no_grant = client("m2m").build();
        let admin = client("adm").admin().grants(&[GrantType::Password]).build();
        for c in [no_grant, admin] {
            let e = password_grant_labelpartner(&c).unwrap_err();
            assert_eq!(e.code, ErrorCode::UnauthorizedClient, "{}", c.client_id);
        }
    }

    #[test]
    fn the_log_fingerprint_hides_the_address_and_separates_labelpartners() {
        let a = email_fingerprint("lp-1", "ann@x.org");
        assert_eq!(a.len(), 16);
        assert!(!a.contains("ann"));
        assert_ne!(a, email_fingerprint("lp-2", "ann@x.org"));
        assert_eq!(a, email_fingerprint("lp-1", "ann@x.org"));
    }
}
