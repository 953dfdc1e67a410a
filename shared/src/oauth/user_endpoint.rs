//! `POST /v2/token` (the password and refresh_token grants of ce-api-token) and `POST /v2/revoke`
//! (RFC 7009): parse, authenticate the client, apply the grant's rules, mint, store, answer.
//! Every failure leaves through [`OAuthError::to_response`].
//!
//! Order of effects on success: the JWTs are signed first, then the session write, then the
//! answer; a signing failure therefore never consumes a refresh token.

use serde::Serialize;
use std::sync::Arc;

use super::TokenRequest;
use super::client_auth::{authenticate, presented_credentials};
use super::error::OAuthError;
use super::form::Form;
use super::grant::{UserGrantRequest, parse_user_grant};
use super::password_grant::{
    SignInFailure, check_sign_in, email_fingerprint, password_grant_labelpartner,
    plausible_username, sign_in_refused,
};
use super::refresh_grant::{
    MAX_REFRESH_TOKEN_LEN, RefreshFailure, check_session, check_user, refresh_refused,
    refreshed_scopes, require_refresh_grant,
};
use super::scope::resolve_scopes;
use crate::config::{ConfigError, SignInSettings};
use crate::domain::session::NewSession;
use crate::domain::time::now_unix;
use crate::domain::user::normalize_email;
use crate::domain::{
    Client, GrantType, PasswordHasher, RefreshToken, SecretHash, Session, User, hash_secret,
};
use crate::http::HttpResponse;
use crate::keys::KeyCache;
use crate::store::{ClientReader, SessionStore, StoreError, UserAccounts};
use crate::tokens::{IssuedUserTokens, TokenSettings, UserSubject, mint_user_tokens};

/// The ce-api-token response: the reference's field order, `scope` as a JSON array.
#[derive(Serialize)]
struct UserTokenResponse<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    id_token: &'a str,
    expires_in: u32,
    token_type: &'static str,
    scope: &'a [String],
}

pub struct UserTokenEndpoint {
    clients: Arc<dyn ClientReader>,
    users: Arc<dyn UserAccounts>,
    sessions: Arc<dyn SessionStore>,
    keys: Arc<KeyCache>,
    tokens: TokenSettings,
    sign_in: SignInSettings,
    hasher: PasswordHasher,
}

impl UserTokenEndpoint {
    pub fn new(
        clients: Arc<dyn ClientReader>,
        users: Arc<dyn UserAccounts>,
        sessions: Arc<dyn SessionStore>,
        keys: Arc<KeyCache>,
        tokens: TokenSettings,
        sign_in: SignInSettings,
    ) -> Result<Self, ConfigError> {
        let hasher = sign_in.password_hasher()?;
        Ok(UserTokenEndpoint {
            clients,
            users,
            sessions,
            keys,
            tokens,
            sign_in,
            hasher,
        })
    }

    /// Computes the dummy hash unknown e-mails are checked against now (during Lambda init, with
    /// its boosted CPU) rather than on the first sign-in.
    pub fn warm_up(&self) {
        let _ = self.hasher.dummy_hash();
    }

    /// `POST /v2/token`.
    pub async fn token(&self, request: TokenRequest<'_>) -> HttpResponse {
        let now = now_unix();
        self.answer("token request refused", self.grant(request, now).await)
    }

    /// `POST /v2/revoke`.
    pub async fn revoke(&self, request: TokenRequest<'_>) -> HttpResponse {
        let now = now_unix();
        self.answer("revocation refused", self.revoke_token(request, now).await)
    }

    fn answer(&self, what: &str, outcome: Result<HttpResponse, OAuthError>) -> HttpResponse {
        outcome.unwrap_or_else(|error| {
            tracing::info!(error = error.code.as_str(), description = %error.description, "{what}");
            error.to_response()
        })
    }

    async fn grant(&self, request: TokenRequest<'_>, now: i64) -> Result<HttpResponse, OAuthError> {
        let form = Form::parse(request.content_type, request.body)?;
        let grant = parse_user_grant(&form)?;
        let presented = presented_credentials(request.authorization, &form)?;
        let client = authenticate(self.clients.as_ref(), &presented, now).await?;
        match grant {
            UserGrantRequest::Password {
                username,
                password,
                scope,
            } => self.password(&client, username, password, scope, now).await,
            UserGrantRequest::RefreshToken {
                refresh_token,
                scope,
            } => self.refresh(&client, refresh_token, scope, now).await,
        }
    }

    async fn password(
        &self,
        client: &Client,
        username: &str,
        password: &str,
        scope: Option<&str>,
        now: i64,
    ) -> Result<HttpResponse, OAuthError> {
        let labelpartner = password_grant_labelpartner(client)?;
        let scopes = resolve_scopes(scope, &client.allowed_scopes)?;
        let email = normalize_email(username);
        let fingerprint = email_fingerprint(labelpartner, &email);
        let user = if plausible_username(username) {
            self.users
                .find_by_email(labelpartner, &email)
                .await
                .map_err(|error| store_failed(error, "user lookup"))?
        } else {
            None
        };
        let lockout = &self.sign_in.lockout;
        let user = match check_sign_in(
            user.as_ref(),
            password,
            self.hasher.dummy_hash(),
            lockout,
            now,
        ) {
            Ok(user) => user,
            Err(reason) => {
                let user_id = user.as_ref().map(|u| u.user_id.as_str());
                let failures = match (reason, user_id) {
                    (SignInFailure::WrongPassword, Some(id)) => Some(
                        self.users
                            .record_login_failure(id, now)
                            .await
                            .map_err(|error| store_failed(error, "counting a failed sign-in"))?,
                    ),
                    _ => None,
                };
                tracing::info!(
                    client_id = %client.client_id,
                    user_id,
                    email_fingerprint = %fingerprint,
                    reason = reason.as_str(),
                    failures = failures.map(|f| f.count),
                    locked_until = failures.and_then(|f| lockout.locked_until(f)),
                    "sign-in failed"
                );
                return Err(sign_in_refused());
            }
        };
        self.after_successful_sign_in(user, password).await;
        let subject = UserSubject {
            user_id: &user.user_id,
            email: &user.email,
            labelpartner: &user.labelpartner,
            auth_time: now,
        };
        let issued = self.mint(client, subject, &scopes, now).await?;
        let refresh_token = if client.allows_grant(GrantType::RefreshToken) {
            Some(self.start_session(client, user, &scopes, now).await?)
        } else {
            None
        };
        tracing::info!(
            client_id = %client.client_id,
            user_id = %user.user_id,
            jti = %issued.access_claims.jti,
            "user signed in"
        );
        Ok(token_response(&issued, refresh_token.as_ref(), &scopes))
    }

    /// Clears the failure count and, when the stored hash is imported or outdated, replaces it
    /// with an argon2id hash at today's parameters. Neither may fail the sign-in: a count left
    /// standing errs towards locking, an old hash keeps verifying and is replaced next time.
    async fn after_successful_sign_in(&self, user: &User, password: &str) {
        if user.login_failures.count > 0
            && let Err(error) = self.users.reset_login_failures(&user.user_id).await
        {
            tracing::error!(%error, user_id = %user.user_id, "resetting sign-in failures failed");
        }
        if !user.password_hash.needs_rehash(self.hasher.params()) {
            return;
        }
        let upgraded = match self.hasher.hash(password) {
            Ok(hash) => hash,
            Err(error) => {
                tracing::error!(%error, user_id = %user.user_id, "re-hashing a password failed");
                return;
            }
        };
        match self
            .users
            .upgrade_password_hash(&user.user_id, &user.password_hash, &upgraded)
            .await
        {
            Ok(true) => tracing::info!(
                user_id = %user.user_id,
                from = ?user.password_hash.scheme(),
                "password hash upgraded to argon2id"
            ),
            Ok(false) => {}
            Err(error) => {
                tracing::error!(%error, user_id = %user.user_id, "storing an upgraded password hash failed");
            }
        }
    }

    async fn start_session(
        &self,
        client: &Client,
        user: &User,
        scopes: &[String],
        now: i64,
    ) -> Result<RefreshToken, OAuthError> {
        let token = RefreshToken::generate().map_err(|error| {
            tracing::error!(%error, "no randomness for a refresh token");
            OAuthError::server_error()
        })?;
        let new = NewSession {
            user_id: user.user_id.clone(),
            client_id: client.client_id.clone(),
            labelpartner: user.labelpartner.clone(),
            scopes: scopes.to_vec(),
            user_epoch: user.session_epoch,
        };
        let (session, record) =
            Session::start(new, &token, &self.sign_in.sessions, now).map_err(|error| {
                tracing::error!(%error, "no randomness for a session id");
                OAuthError::server_error()
            })?;
        self.sessions
            .create_session(&session, &record)
            .await
            .map_err(|error| store_failed(error, "storing a new session"))?;
        Ok(token)
    }

    async fn refresh(
        &self,
        client: &Client,
        refresh_token: &str,
        scope: Option<&str>,
        now: i64,
    ) -> Result<HttpResponse, OAuthError> {
        require_refresh_grant(client)?;
        let refused = |reason: RefreshFailure, session: Option<&Session>| {
            tracing::info!(
                client_id = %client.client_id,
                session_id = session.map(|s| s.session_id.as_str()),
                user_id = session.map(|s| s.user_id.as_str()),
                reason = reason.as_str(),
                "refresh refused"
            );
            refresh_refused()
        };
        if refresh_token.len() > MAX_REFRESH_TOKEN_LEN {
            return Err(refused(RefreshFailure::UnknownToken, None));
        }
        let presented = hash_secret(refresh_token);
        let Some(session) = self.session_of(&presented).await? else {
            return Err(refused(RefreshFailure::UnknownToken, None));
        };
        match check_session(client, &session, &presented, now) {
            Ok(()) => {}
            Err(RefreshFailure::Reused) => {
                self.revoke_for_reuse(&session, now).await?;
                return Err(refused(RefreshFailure::Reused, Some(&session)));
            }
            Err(reason) => return Err(refused(reason, Some(&session))),
        }
        let user = self
            .users
            .get_user(&session.user_id)
            .await
            .map_err(|error| store_failed(error, "user lookup"))?;
        if let Err(reason) = check_user(&session, user.as_ref()) {
            return Err(refused(reason, Some(&session)));
        }
        let Some(user) = user else {
            return Err(refused(RefreshFailure::UserGone, Some(&session)));
        };
        let scopes = refreshed_scopes(scope, &session, client)?;
        let subject = UserSubject {
            user_id: &user.user_id,
            email: &user.email,
            labelpartner: &user.labelpartner,
            auth_time: session.auth_time,
        };
        let issued = self.mint(client, subject, &scopes, now).await?;
        let next = RefreshToken::generate().map_err(|error| {
            tracing::error!(%error, "no randomness for a refresh token");
            OAuthError::server_error()
        })?;
        let record = session.record_for(&next, now);
        let expires_at = session.next_token_expiry(&self.sign_in.sessions, now);
        match self
            .sessions
            .rotate(&session.session_id, &presented, &record, expires_at)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                // Rotated by a concurrent request since we read it: this copy is a stale one.
                self.revoke_for_reuse(&session, now).await?;
                return Err(refused(RefreshFailure::Reused, Some(&session)));
            }
            Err(error) => return Err(store_failed(error, "rotating a refresh token")),
        }
        tracing::info!(
            client_id = %client.client_id,
            user_id = %user.user_id,
            session_id = %session.session_id,
            generation = session.generation + 1,
            jti = %issued.access_claims.jti,
            "refresh token rotated"
        );
        Ok(token_response(&issued, Some(&next), &scopes))
    }

    async fn revoke_for_reuse(&self, session: &Session, now: i64) -> Result<(), OAuthError> {
        self.revoke_session(session, now).await?;
        tracing::warn!(
            session_id = %session.session_id,
            user_id = %session.user_id,
            client_id = %session.client_id,
            "refresh token reuse: the session is revoked"
        );
        Ok(())
    }

    /// The session of a presented refresh token, if the token is one of ours.
    async fn session_of(&self, token_hash: &SecretHash) -> Result<Option<Session>, OAuthError> {
        self.sessions
            .find_token(token_hash)
            .await
            .map(|found| found.map(|(_, session)| session))
            .map_err(|error| store_failed(error, "refresh token lookup"))
    }

    /// Revokes the session and with it every refresh token of its family.
    async fn revoke_session(&self, session: &Session, now: i64) -> Result<(), OAuthError> {
        self.sessions
            .revoke_session(&session.session_id, now)
            .await
            .map_err(|error| store_failed(error, "revoking a session"))
    }

    async fn mint(
        &self,
        client: &Client,
        subject: UserSubject<'_>,
        scopes: &[String],
        now: i64,
    ) -> Result<IssuedUserTokens, OAuthError> {
        let keys = self.keys.current().await.map_err(|error| {
            tracing::error!(%error, "signing keys unavailable");
            OAuthError::server_error()
        })?;
        mint_user_tokens(&self.tokens, &keys, client, subject, scopes, now).map_err(|error| {
            tracing::error!(%error, "token signing failed");
            OAuthError::server_error()
        })
    }

    /// RFC 7009: an authenticated client revokes one of its refresh tokens, and with it the
    /// token's whole session. Unknown tokens, access tokens (self-contained JWTs, which expire
    /// within the hour) and other clients' tokens are answered 200 without effect, so the
    /// answer says nothing about which tokens exist. `token_type_hint` may be ignored (§2.1).
    async fn revoke_token(
        &self,
        request: TokenRequest<'_>,
        now: i64,
    ) -> Result<HttpResponse, OAuthError> {
        let form = Form::parse(request.content_type, request.body)?;
        let presented = presented_credentials(request.authorization, &form)?;
        let client = authenticate(self.clients.as_ref(), &presented, now).await?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        if token.len() <= MAX_REFRESH_TOKEN_LEN {
            match self.session_of(&hash_secret(token)).await? {
                Some(session) if session.client_id == client.client_id => {
                    self.revoke_session(&session, now).await?;
                    tracing::info!(
                        client_id = %client.client_id,
                        session_id = %session.session_id,
                        user_id = %session.user_id,
                        "session revoked"
                    );
                }
                Some(session) => tracing::info!(
                    client_id = %client.client_id,
                    session_id = %session.session_id,
                    "revocation of another client's token ignored"
                ),
                None => {}
            }
        }
        Ok(HttpResponse::no_store_empty(200))
    }
}

fn token_response(
    issued: &IssuedUserTokens,
    refresh_token: Option<&RefreshToken>,
    scopes: &[String],
) -> HttpResponse {
    HttpResponse::no_store_json(
        200,
        &UserTokenResponse {
            access_token: &issued.access_token,
            refresh_token: refresh_token.map(RefreshToken::as_str),
            id_token: &issued.id_token,
            expires_in: issued.expires_in,
            token_type: "Bearer",
            scope: scopes,
        },
    )
}

fn store_failed(error: StoreError, what: &str) -> OAuthError {
    tracing::error!(%error, "{what} failed");
    OAuthError::server_error()
}
