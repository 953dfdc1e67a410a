//! Sign-in sessions and their rotating refresh tokens (RFC 6749 §6, RFC 9700 §4.14).
//!
//! A password sign-in starts a [`Session`]: the family every refresh token of that sign-in
//! belongs to. The session holds the hash of the one current token; each refresh replaces it
//! (a conditional write, so of concurrent refreshes one wins). Every token ever issued keeps a
//! small [`RefreshTokenRecord`] pointing at its session, so a rotated token that comes back is
//! recognised as reuse, and revoking the whole family is one write to the session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

use crate::domain::secret::{CredentialError, SecretHash, hash_secret, random_bytes, random_hex};

/// How long refresh tokens and sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Each refresh token's life from its issue (ce-api-token: "usually ... 30 days").
    pub refresh_token_ttl: i64,
    /// The absolute limit of a session from the password sign-in, whatever the refreshes.
    pub max_session: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            refresh_token_ttl: 30 * 86_400,
            max_session: 90 * 86_400,
        }
    }
}

/// A refresh-token family: one password sign-in of one user through one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub client_id: String,
    pub labelpartner: String,
    /// The scopes granted at sign-in; a refresh may narrow them for one access token, never
    /// widen them.
    pub scopes: Vec<String>,
    /// When the user last entered the password (the id_token's `auth_time`).
    pub auth_time: i64,
    /// The user's session epoch at sign-in; a later epoch on the user ends the session.
    pub user_epoch: u64,
    pub created_at: i64,
    /// Absolute end of the session (`created_at + max_session`); also its storage TTL.
    pub expires_at: i64,
    pub current_token: SecretHash,
    /// When the current token expires (its issue + `refresh_token_ttl`, capped at `expires_at`).
    pub current_token_expires_at: i64,
    /// How many times the session has been refreshed.
    pub generation: u64,
    pub revoked_at: Option<i64>,
}

/// One refresh token ever issued, by hash: which session it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: SecretHash,
    pub session_id: String,
    pub issued_at: i64,
    /// Kept as long as its session can live, so that reuse is recognised to the end; the
    /// storage TTL.
    pub expires_at: i64,
}

/// A refresh token as the client receives it: 256 bits from the OS CSPRNG, base64url. Only its
/// SHA-256 is ever stored. `Debug` does not show it.
pub struct RefreshToken(String);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(…)")
    }
}

impl RefreshToken {
    pub fn generate() -> Result<Self, CredentialError> {
        Ok(RefreshToken(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        hash_secret(&self.0)
    }
}

/// Why a session no longer issues tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnded {
    Revoked,
    /// The absolute session limit has passed.
    Expired,
    /// The current refresh token was not used within its lifetime.
    TokenExpired,
}

impl SessionEnded {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnded::Revoked => "revoked",
            SessionEnded::Expired => "session_expired",
            SessionEnded::TokenExpired => "refresh_token_expired",
        }
    }
}

impl Session {
    /// A new session for a sign-in at `now`, with its first token.
    pub fn start(
        new: NewSession,
        first_token: &RefreshToken,
        policy: &SessionPolicy,
        now: i64,
    ) -> Result<(Session, RefreshTokenRecord), CredentialError> {
        let session_id = random_hex::<16>()?;
        let expires_at = now.saturating_add(policy.max_session);
        let session = Session {
            session_id,
            user_id: new.user_id,
            client_id: new.client_id,
            labelpartner: new.labelpartner,
            scopes: new.scopes,
            auth_time: now,
            user_epoch: new.user_epoch,
            created_at: now,
            expires_at,
            current_token: first_token.hash(),
            current_token_expires_at: now.saturating_add(policy.refresh_token_ttl).min(expires_at),
            generation: 0,
            revoked_at: None,
        };
        let record = session.record_for(first_token, now);
        Ok((session, record))
    }

    /// The record of a token issued for this session at `now`.
    pub fn record_for(&self, token: &RefreshToken, now: i64) -> RefreshTokenRecord {
        RefreshTokenRecord {
            token_hash: token.hash(),
            session_id: self.session_id.clone(),
            issued_at: now,
            expires_at: self.expires_at,
        }
    }

    /// When a token issued now would expire.
    pub fn next_token_expiry(&self, policy: &SessionPolicy, now: i64) -> i64 {
        now.saturating_add(policy.refresh_token_ttl)
            .min(self.expires_at)
    }

    /// Whether the session still issues tokens at `now`.
    pub fn check_live(&self, now: i64) -> Result<(), SessionEnded> {
        if self.revoked_at.is_some() {
            Err(SessionEnded::Revoked)
        } else if now >= self.expires_at {
            Err(SessionEnded::Expired)
        } else if now >= self.current_token_expires_at {
            Err(SessionEnded::TokenExpired)
        } else {
            Ok(())
        }
    }

    /// Whether `presented` is the session's current token (constant time).
    pub fn is_current(&self, presented: &SecretHash) -> bool {
        self.current_token.ct_eq(presented)
    }
}

/// What a sign-in knows when it starts a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub user_id: String,
    pub client_id: String,
    pub labelpartner: String,
    pub scopes: Vec<String>,
    pub user_epoch: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(policy: &SessionPolicy, now: i64) -> (Session, RefreshToken) {
        let token = RefreshToken::generate().unwrap();
        let new = NewSession {
            user_id: "u".into(),
            client_id: "c".into(),
            labelpartner: "lp".into(),
            scopes: vec![],
            user_epoch: 0,
        };
        (Session::start(new, &token, policy, now).unwrap().0, token)
    }

    #[test]
    fn refresh_tokens_are_256_bit_and_stored_only_as_hashes() {
        let token = RefreshToken::generate().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(token.as_str()).unwrap().len(), 32);
        assert_eq!(format!("{token:?}"), "RefreshToken(…)");
        let (s, t) = session(&SessionPolicy::default(), 0);
        assert!(s.is_current(&t.hash()));
        assert!(!s.is_current(&token.hash()));
    }

    #[test]
    fn a_token_expires_after_its_ttl_and_the_session_at_its_limit() {
        let policy = SessionPolicy {
            refresh_token_ttl: 10,
            max_session: 25,
        };
        let (mut s, _) = session(&policy, 100);
        assert_eq!(s.check_live(109), Ok(()));
        assert_eq!(s.check_live(110), Err(SessionEnded::TokenExpired));
        s.current_token_expires_at = s.next_token_expiry(&policy, 120);
        assert_eq!(
            s.current_token_expires_at, 125,
            "capped at the session limit"
        );
        assert_eq!(s.check_live(125), Err(SessionEnded::Expired));
        s.revoked_at = Some(101);
        assert_eq!(s.check_live(101), Err(SessionEnded::Revoked));
    }
}
