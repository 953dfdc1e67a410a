//! The refresh_token grant's rules (RFC 6749 §6, RFC 9700 §4.14): the presented token must be
//! its session's current one, the session live and the client's own, the user still enabled and
//! signed in; the scope may only narrow.
//!
//! A token that is found but is no longer current has been rotated already: whoever presents it
//! holds a copy of an old token, so the whole session is revoked (RFC 9700 §4.14.2). The same
//! holds for the loser of two concurrent refreshes of one token: at the moment of its write the
//! token was no longer current.

use super::error::{ErrorCode, OAuthError};
use super::scope::resolve_scopes;
use crate::domain::session::SessionEnded;
use crate::domain::{Client, GrantType, SecretHash, Session, User};

/// Our refresh tokens are 43 characters; anything much longer is not one of ours.
pub const MAX_REFRESH_TOKEN_LEN: usize = 128;

/// Why a refresh failed (for logs; the caller sees one `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshFailure {
    UnknownToken,
    /// Issued to another client (RFC 6749 §6: bound to the client it was issued to).
    OtherClient,
    Ended(SessionEnded),
    /// A rotated token came back: the session is revoked.
    Reused,
    UserGone,
    UserDisabled,
    /// The user's sessions were ended (password change, revoke-sessions, disable).
    SessionsRevoked,
}

impl RefreshFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshFailure::UnknownToken => "unknown_token",
            RefreshFailure::OtherClient => "other_client",
            RefreshFailure::Ended(ended) => ended.as_str(),
            RefreshFailure::Reused => "reused",
            RefreshFailure::UserGone => "user_gone",
            RefreshFailure::UserDisabled => "user_disabled",
            RefreshFailure::SessionsRevoked => "user_sessions_revoked",
        }
    }
}

/// The one answer to every failed refresh.
pub fn refresh_refused() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the refresh token is invalid, expired or revoked",
    )
}

pub fn require_refresh_grant(client: &Client) -> Result<(), OAuthError> {
    if client.allows_grant(GrantType::RefreshToken) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the refresh_token grant",
        ))
    }
}

/// The session's side of the rule: the token is the client's, the session live, the token
/// current. Checked in that order, so that another client's token never revokes a session.
pub fn check_session(
    client: &Client,
    session: &Session,
    presented: &SecretHash,
    now: i64,
) -> Result<(), RefreshFailure> {
    if session.client_id != client.client_id
        || client.labelpartner.as_deref() != Some(session.labelpartner.as_str())
    {
        return Err(RefreshFailure::OtherClient);
    }
    session.check_live(now).map_err(RefreshFailure::Ended)?;
    if !session.is_current(presented) {
        return Err(RefreshFailure::Reused);
    }
    Ok(())
}

/// The user's side: still there, enabled, and its sessions not ended since this one began.
pub fn check_user(session: &Session, user: Option<&User>) -> Result<(), RefreshFailure> {
    let user = user.ok_or(RefreshFailure::UserGone)?;
    if !user.enabled {
        return Err(RefreshFailure::UserDisabled);
    }
    if user.session_epoch != session.user_epoch || user.labelpartner != session.labelpartner {
        return Err(RefreshFailure::SessionsRevoked);
    }
    Ok(())
}

/// The scopes of the new access token: the requested ones if each was granted at sign-in (the
/// scope may narrow, never widen: `invalid_scope`), else all of them; in both cases only those
/// the client may still be granted today.
pub fn refreshed_scopes(
    requested: Option<&str>,
    session: &Session,
    client: &Client,
) -> Result<Vec<String>, OAuthError> {
    let mut scopes = resolve_scopes(requested, &session.scopes)?;
    scopes.retain(|scope| client.allowed_scopes.contains(scope));
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RefreshToken;
    use crate::testing::{client, started_session, user};

    fn app() -> Client {
        client("app")
            .grants(&[GrantType::Password, GrantType::RefreshToken])
            .scopes(&["a", "b"])
            .build()
    }

    #[test]
    fn the_current_token_of_a_live_session_of_this_client_refreshes() {
        let u = user("lp-1", "ann@x.org").build();
        let (session, _, token) = started_session(&u, "app", &["a"], 0);
        assert_eq!(check_session(&app(), &session, &token.hash(), 1), Ok(()));
        assert_eq!(check_user(&session, Some(&u)), Ok(()));
    }

    #[test]
    fn another_clients_token_is_refused_before_reuse_is_considered() {
        let u = user("lp-1", "ann@x.org").build();
        let (session, _, _) = started_session(&u, "app", &[], 0);
        let stranger = RefreshToken::generate().unwrap();
        let other = client("other").grants(&[GrantType::RefreshToken]).build();
        assert_eq!(
            check_session(&other, &session, &stranger.hash(), 1),
            Err(RefreshFailure::OtherClient)
        );
        assert_eq!(
            check_session(&app(), &session, &stranger.hash(), 1),
            Err(RefreshFailure::Reused)
        );
    }

    #[test]
    fn a_revoked_or_expired_session_is_refused() {
        let u = user("lp-1", "ann@x.org").build();
        let (mut session, _, token) = started_session(&u, "app", &[], 0);
        assert_eq!(
            check_session(
                &app(),
                &session,
                &token.hash(),
                session.current_token_expires_at
            ),
            Err(RefreshFailure::Ended(SessionEnded::TokenExpired))
        );
        session.revoked_at = Some(5);
        assert_eq!(
            check_session(&app(), &session, &token.hash(), 6),
            Err(RefreshFailure::Ended(SessionEnded::Revoked))
        );
    }

    #[test]
    fn a_disabled_gone_or_signed_out_user_ends_the_refresh() {
        let u = user("lp-1", "ann@x.org").build();
        let (session, _, _) = started_session(&u, "app", &[], 0);
        assert_eq!(check_user(&session, None), Err(RefreshFailure::UserGone));
        let off = user("lp-1", "ann@x.org")
            .user_id(&u.user_id)
            .disabled()
            .build();
        assert_eq!(
            check_user(&session, Some(&off)),
            Err(RefreshFailure::UserDisabled)
        );
        let mut later = u.clone();
        later.session_epoch += 1;
        assert_eq!(
            check_user(&session, Some(&later)),
            Err(RefreshFailure::SessionsRevoked)
        );
    }

    #[test]
    fn the_scope_may_narrow_but_never_widen() {
        let u = user("lp-1", "ann@x.org").build();
        let (session, _, _) = started_session(&u, "app", &["a", "b"], 0);
        assert_eq!(
            refreshed_scopes(None, &session, &app()).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            refreshed_scopes(Some("b"), &session, &app()).unwrap(),
            ["b"]
        );
        let e = refreshed_scopes(Some("a c"), &session, &app()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
        let narrowed_client = client("app").scopes(&["a"]).build();
        assert_eq!(
            refreshed_scopes(None, &session, &narrowed_client).unwrap(),
            ["a"]
        );
    }

    #[test]
    fn a_client_without_the_grant_is_unauthorized_client() {
        let e = require_refresh_grant(&client("m2m").build()).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
