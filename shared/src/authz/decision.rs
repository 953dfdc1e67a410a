//! The authorization decision: credentials → principal → policy → allow, deny or unauthorized.
//!
//! - No usable credentials, or credentials that do not check out (any token failure, an unknown
//!   or sunset API key, a token whose client or user is gone or disabled):
//!   [`Decision::Unauthorized`], a 401 where API Gateway allows one.
//! - A valid caller that the policy does not admit to this route: [`Decision::Deny`], a 403.
//! - A failure of ours (keys or store unavailable): [`AuthzError`], a 500; never an allow.
//!
//! The warm path for a bearer token does no I/O: the key set comes from the per-container
//! [`KeyCache`], the caller's status from the per-container [`CallerStatus`] cache, the policy
//! is in memory.

use std::sync::Arc;

use super::caller_status::{CallerStatus, Standing};
use super::policy::{AccessPolicy, DenyReason, PolicyDecision};
use super::presented::Presented;
use super::{CredentialKind, Principal};
use crate::domain::legacy_api_key::validate_api_key;
use crate::domain::secret::hash_secret;
use crate::keys::KeyCache;
use crate::store::ApiKeyReader;
use crate::store::{ClientReader, StoreError};
use crate::tokens::{AccessTokenVerifier, VerifyError};

/// What the authorizer reads from a request, whatever API Gateway event it came in.
#[derive(Clone, Copy)]
pub struct AccessRequest<'a> {
    pub method: &'a str,
    /// The request path without any stage prefix, as received (not percent-decoded).
    pub path: &'a str,
    pub authorization: Option<&'a str>,
    pub api_key: Option<&'a str>,
}

impl std::fmt::Debug for AccessRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("authorization", &self.authorization.map(|_| "…"))
            .field("api_key", &self.api_key.map(|_| "…"))
            .finish()
    }
}

/// Why a request counts as unauthenticated (for logs; callers only ever see 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unauthenticated {
    /// No bearer token and no API key.
    MissingCredentials,
    /// The bearer token failed verification.
    InvalidToken(VerifyError),
    /// A valid token whose claims contradict each other (access level, labelpartner, `sub`).
    InconsistentToken,
    /// An API key was presented but this deployment accepts none.
    ApiKeysNotAccepted,
    /// An API key was presented after the sunset: treated as no credentials.
    ApiKeyAfterSunset,
    /// No such key, or its client is gone or disabled.
    UnknownApiKey,
    /// A valid token whose client, or end user, is gone or disabled, or that was issued before
    /// its client's cut-off (`revoke-tokens`).
    CallerDisabled,
}

impl Unauthenticated {
    pub fn as_str(&self) -> &'static str {
        match self {
            Unauthenticated::MissingCredentials => "missing_credentials",
            Unauthenticated::InvalidToken(_) => "invalid_token",
            Unauthenticated::InconsistentToken => "inconsistent_token",
            Unauthenticated::ApiKeysNotAccepted => "api_keys_not_accepted",
            Unauthenticated::ApiKeyAfterSunset => "api_key_after_sunset",
            Unauthenticated::UnknownApiKey => "unknown_api_key",
            Unauthenticated::CallerDisabled => "caller_disabled",
        }
    }
}

/// Who the presented credentials stand for, or why they stand for no one.
enum Authentication {
    Caller(Principal),
    Refused(Unauthenticated),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(Principal),
    Deny {
        principal: Principal,
        reason: DenyReason,
    },
    Unauthorized(Unauthenticated),
}

/// A failure on our side: the request can be neither allowed nor refused honestly.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("the signing keys could not be loaded")]
    KeysUnavailable,
    #[error("the API-key, client or user store failed: {0}")]
    Store(#[from] StoreError),
}

/// Legacy API keys, accepted until the sunset (Unix seconds, exclusive).
pub struct LegacyApiKeyAuth {
    pub keys: Arc<dyn ApiKeyReader>,
    pub clients: Arc<dyn ClientReader>,
    pub sunset: i64,
}

pub struct RequestAuthorizer {
    verifier: AccessTokenVerifier,
    keys: Arc<KeyCache>,
    policy: AccessPolicy,
    status: CallerStatus,
    api_keys: Option<LegacyApiKeyAuth>,
}

impl RequestAuthorizer {
    /// Every bearer token's caller is checked against `status`: there is no way to build an
    /// authorizer that trusts a token of a disabled client.
    pub fn new(
        verifier: AccessTokenVerifier,
        keys: Arc<KeyCache>,
        policy: AccessPolicy,
        status: CallerStatus,
    ) -> Self {
        RequestAuthorizer {
            verifier,
            keys,
            policy,
            status,
            api_keys: None,
        }
    }

    /// Accepts legacy API keys until `auth.sunset`.
    pub fn with_api_keys(mut self, auth: LegacyApiKeyAuth) -> Self {
        self.api_keys = Some(auth);
        self
    }

    pub async fn authorize(
        &self,
        request: &AccessRequest<'_>,
        now: i64,
    ) -> Result<Decision, AuthzError> {
        let principal = match self.authenticate(request, now).await? {
            Authentication::Caller(principal) => principal,
            Authentication::Refused(why) => return Ok(Decision::Unauthorized(why)),
        };
        Ok(
            match self
                .policy
                .evaluate(request.method, request.path, &principal)
            {
                PolicyDecision::Allow { .. } => Decision::Allow(principal),
                PolicyDecision::Deny(reason) => Decision::Deny { principal, reason },
            },
        )
    }

    async fn authenticate(
        &self,
        request: &AccessRequest<'_>,
        now: i64,
    ) -> Result<Authentication, AuthzError> {
        match Presented::from_headers(request.authorization, request.api_key) {
            Presented::Bearer(token) => self.authenticate_token(token, now).await,
            Presented::ApiKey(key) => self.authenticate_api_key(key, now).await,
            Presented::Nothing => Ok(Authentication::Refused(Unauthenticated::MissingCredentials)),
        }
    }

    async fn authenticate_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Authentication, AuthzError> {
        match self.verifier.verify_cached(&self.keys, token).await {
            Ok(claims) => {
                let issued_at = claims.iat;
                let Some(principal) = Principal::from_claims(claims) else {
                    return Ok(Authentication::Refused(Unauthenticated::InconsistentToken));
                };
                Ok(
                    match self.status.standing(&principal, issued_at, now).await? {
                        Standing::Active => Authentication::Caller(principal),
                        Standing::Refused => {
                            Authentication::Refused(Unauthenticated::CallerDisabled)
                        }
                    },
                )
            }
            Err(VerifyError::KeysUnavailable) => Err(AuthzError::KeysUnavailable),
            Err(error) => Ok(Authentication::Refused(Unauthenticated::InvalidToken(
                error,
            ))),
        }
    }

    async fn authenticate_api_key(
        &self,
        key: &str,
        now: i64,
    ) -> Result<Authentication, AuthzError> {
        use Authentication::Refused;
        let Some(auth) = &self.api_keys else {
            return Ok(Refused(Unauthenticated::ApiKeysNotAccepted));
        };
        if now >= auth.sunset {
            return Ok(Refused(Unauthenticated::ApiKeyAfterSunset));
        }
        if validate_api_key(key).is_err() {
            return Ok(Refused(Unauthenticated::UnknownApiKey));
        }
        // A lookup by hash: the stored value is the SHA-256 of a high-entropy key, so timing
        // of the lookup tells an attacker nothing useful about any stored key.
        let Some(stored) = auth.keys.find(&hash_secret(key)).await? else {
            return Ok(Refused(Unauthenticated::UnknownApiKey));
        };
        Ok(match auth.clients.get(&stored.client_id).await? {
            Some(client) if client.enabled => {
                Authentication::Caller(Principal::from_api_key_client(&client))
            }
            _ => Refused(Unauthenticated::UnknownApiKey),
        })
    }
}

impl Decision {
    /// For logs: `allow`, `deny` or `unauthorized`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Decision::Allow(_) => "allow",
            Decision::Deny { .. } => "deny",
            Decision::Unauthorized(_) => "unauthorized",
        }
    }

    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Decision::Allow(p) | Decision::Deny { principal: p, .. } => Some(p),
            Decision::Unauthorized(_) => None,
        }
    }

    pub fn auth_method(&self) -> Option<CredentialKind> {
        self.principal().map(|p| p.auth_method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::now_unix;
    use crate::keys::SigningAlgorithm;
    use crate::store::{ApiKeyStore, ClientStore};
    use crate::testing::authorizer::{
        AuthorizerWorld, get_request, request_authorizer, unavailable_keys,
    };
    use crate::testing::client;

    const SUNSET: i64 = 2_000_000_000;
    const KEY: &str = "legacy-0123456789abcdef";

    /// One labelpartner client of `lp-1` with the legacy key [`KEY`], accepted until [`SUNSET`].
    async fn world() -> AuthorizerWorld {
        AuthorizerWorld::builder(SigningAlgorithm::EdDSA)
            .client(client("lp-client").scopes(&["accounts:read"]))
            .legacy_api_key(KEY, "lp-client")
            .api_keys_until(SUNSET)
            .build()
            .await
    }

    /// `Authorization: Bearer` with a fresh token of the world's client.
    fn bearer(w: &AuthorizerWorld) -> String {
        format!("Bearer {}", w.mint("lp-client", now_unix()))
    }

    /// The world's decision on `GET path` with a fresh token of its client.
    async fn decide_with_token(w: &AuthorizerWorld, path: &str) -> Decision {
        w.decide(path, Some(&bearer(w)), None, 0).await
    }

    #[tokio::test]
    async fn a_valid_token_on_an_allowed_route_is_allowed_with_its_principal() {
        let w = world().await;
        let decision = decide_with_token(&w, "/v1/labelpartners/lp-1/accounts").await;
        let Decision::Allow(principal) = decision else {
            panic!("expected allow, got {decision:?}");
        };
        assert_eq!(principal.client_id, "lp-client");
        assert_eq!(principal.labelpartner.as_deref(), Some("lp-1"));
        assert_eq!(principal.auth_method, CredentialKind::OAuth2);
        assert!(principal.jti.is_some());
    }

    #[tokio::test]
    async fn a_valid_token_on_another_labelpartners_route_is_denied() {
        let w = world().await;
        let decision = decide_with_token(&w, "/v1/labelpartners/lp-2/accounts").await;
        assert!(matches!(
            decision,
            Decision::Deny {
                reason: DenyReason::LabelpartnerMismatch,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn no_credentials_is_unauthorized() {
        let w = world().await;
        let decision = w.decide("/v1/whoami", Some("Basic eDp5"), None, 0).await;
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::MissingCredentials)
        );
    }

    #[tokio::test]
    async fn an_invalid_token_is_unauthorized_and_no_api_key_rescues_it() {
        let w = world().await;
        let decision = w
            .decide("/v1/whoami", Some("Bearer a.b.c"), Some(KEY), 0)
            .await;
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::InvalidToken(VerifyError::Malformed))
        );
    }

    #[tokio::test]
    async fn unavailable_keys_are_an_error_not_a_decision() {
        let w = world().await;
        let authorizer = request_authorizer(unavailable_keys());
        let bearer = bearer(&w);
        let result = authorizer
            .authorize(&get_request("/v1/whoami", Some(&bearer), None), 0)
            .await;
        assert!(matches!(result, Err(AuthzError::KeysUnavailable)));
    }

    #[tokio::test]
    async fn an_api_key_before_the_sunset_stands_for_its_client() {
        let w = world().await;
        let decision = w
            .decide("/v1/labelpartners/lp-1", None, Some(KEY), SUNSET - 1)
            .await;
        let Decision::Allow(principal) = decision else {
            panic!("expected allow, got {decision:?}");
        };
        assert_eq!(principal.auth_method, CredentialKind::ApiKey);
        assert_eq!(principal.client_id, "lp-client");
        assert_eq!(principal.scope, "accounts:read");
        assert_eq!(principal.jti, None);
    }

    #[tokio::test]
    async fn an_api_key_at_or_after_the_sunset_is_no_credential() {
        let w = world().await;
        let decision = w
            .decide("/v1/labelpartners/lp-1", None, Some(KEY), SUNSET)
            .await;
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::ApiKeyAfterSunset)
        );
    }

    #[tokio::test]
    async fn unknown_revoked_and_disabled_client_keys_are_unauthorized() {
        let w = world().await;
        let unknown_key = Decision::Unauthorized(Unauthenticated::UnknownApiKey);
        let unknown = w
            .decide("/v1/whoami", None, Some("not-a-stored-key-0000"), 0)
            .await;
        assert_eq!(unknown, unknown_key);
        w.clients.disable("lp-client").await.unwrap();
        let disabled = w.decide("/v1/whoami", None, Some(KEY), 0).await;
        assert_eq!(disabled, unknown_key);
        w.api_keys.revoke_key(&hash_secret(KEY)).await.unwrap();
        let revoked = w.decide("/v1/whoami", None, Some(KEY), 0).await;
        assert_eq!(revoked, unknown_key);
    }

    #[tokio::test]
    async fn api_keys_are_refused_where_none_are_accepted() {
        let authorizer = request_authorizer(unavailable_keys());
        let decision = authorizer
            .authorize(&get_request("/v1/whoami", None, Some(KEY)), 0)
            .await
            .unwrap();
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::ApiKeysNotAccepted)
        );
    }
}
