//! The authorization decision: credentials → principal → policy → allow, deny or unauthorized.
//!
//! - No usable credentials, or credentials that do not check out (any token failure, an unknown
//!   or sunset API key): [`Decision::Unauthorized`], a 401 where API Gateway allows one.
//! - A valid caller that the policy does not admit to this route: [`Decision::Deny`], a 403.
//! - A failure of ours (keys or store unavailable): [`AuthzError`], a 500; never an allow.
//!
//! The warm path for a bearer token does no I/O: the key set comes from the per-container
//! [`KeyCache`], the policy is in memory.

use std::sync::Arc;

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
    /// A valid token whose access level and labelpartner disagree.
    InconsistentToken,
    /// An API key was presented but this deployment accepts none.
    ApiKeysNotAccepted,
    /// An API key was presented after the sunset: treated as no credentials.
    ApiKeyAfterSunset,
    /// No such key, or its client is gone or disabled.
    UnknownApiKey,
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
    #[error("the API-key store failed: {0}")]
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
    api_keys: Option<LegacyApiKeyAuth>,
}

impl RequestAuthorizer {
    pub fn new(verifier: AccessTokenVerifier, keys: Arc<KeyCache>, policy: AccessPolicy) -> Self {
        RequestAuthorizer {
            verifier,
            keys,
            policy,
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
            Presented::Bearer(token) => self.authenticate_token(token).await,
            Presented::ApiKey(key) => self.authenticate_api_key(key, now).await,
            Presented::Nothing => Ok(Authentication::Refused(Unauthenticated::MissingCredentials)),
        }
    }

    async fn authenticate_token(&self, token: &str) -> Result<Authentication, AuthzError> {
        match self.verifier.verify_cached(&self.keys, token).await {
            Ok(claims) => Ok(match Principal::from_claims(claims) {
                Some(principal) => Authentication::Caller(principal),
                None => Authentication::Refused(Unauthenticated::InconsistentToken),
            }),
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
    use crate::domain::LegacyApiKey;
    use crate::domain::client::{AccessLevel, Client, GrantType, StoredSecret};
    use crate::keys::{
        KeyError, KeySet, KeySetDocument, KeySetSource, SigningAlgorithm, initial_document,
    };
    use crate::store::ApiKeyStore;
    use crate::store::ClientStore;
    use crate::store::memory::MemoryApiKeyStore;
    use crate::store::memory::MemoryClientStore;
    use crate::tokens::{TokenSettings, mint_access_token};
    use async_trait::async_trait;
    use std::time::Duration;

    const ISSUER: &str = "https://auth.example";
    const AUDIENCE: &str = "am-api";
    const SUNSET: i64 = 2_000_000_000;
    const KEY: &str = "legacy-0123456789abcdef";

    struct Fixed(KeySetDocument);

    #[async_trait]
    impl KeySetSource for Fixed {
        async fn load(&self) -> Result<KeySetDocument, KeyError> {
            Ok(self.0.clone())
        }
    }

    struct Down;

    #[async_trait]
    impl KeySetSource for Down {
        async fn load(&self) -> Result<KeySetDocument, KeyError> {
            Err(KeyError::Source("down".into()))
        }
    }

    fn client(id: &str, level: AccessLevel, lp: Option<&str>) -> Client {
        Client {
            client_id: id.into(),
            secrets: vec![StoredSecret {
                hash: hash_secret("s"),
                expires_at: None,
            }],
            access_level: level,
            labelpartner: lp.map(String::from),
            allowed_grant_types: vec![GrantType::ClientCredentials],
            allowed_scopes: vec!["accounts:read".into()],
            access_token_ttl: 3600,
            enabled: true,
            created_at: 0,
            has_legacy_api_keys: false,
        }
    }

    struct World {
        authorizer: RequestAuthorizer,
        keys: KeySet,
        clients: Arc<MemoryClientStore>,
        api_keys: Arc<MemoryApiKeyStore>,
    }

    async fn world() -> World {
        let document = initial_document(SigningAlgorithm::EdDSA, 0).unwrap();
        let keys = KeySet::from_document(&document).unwrap();
        let cache = Arc::new(KeyCache::new(
            Arc::new(Fixed(document)),
            Duration::from_secs(300),
        ));
        let clients = Arc::new(MemoryClientStore::default());
        clients
            .create(&client(
                "lp-client",
                AccessLevel::Labelpartner,
                Some("lp-1"),
            ))
            .await
            .unwrap();
        let api_keys = Arc::new(MemoryApiKeyStore::new(Arc::clone(&clients)));
        api_keys
            .import_key(&LegacyApiKey::from_key(KEY, "lp-client", 0).unwrap())
            .await
            .unwrap();
        let authorizer = RequestAuthorizer::new(
            AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
            cache,
            AccessPolicy::default_policy().unwrap(),
        )
        .with_api_keys(LegacyApiKeyAuth {
            keys: api_keys.clone(),
            clients: clients.clone(),
            sunset: SUNSET,
        });
        World {
            authorizer,
            keys,
            clients,
            api_keys,
        }
    }

    fn token(keys: &KeySet, client: &Client) -> String {
        let settings = TokenSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
        };
        mint_access_token(
            &settings,
            keys,
            client,
            &[],
            crate::domain::time::now_unix(),
        )
        .unwrap()
        .token
    }

    fn request<'a>(
        path: &'a str,
        authorization: Option<&'a str>,
        api_key: Option<&'a str>,
    ) -> AccessRequest<'a> {
        AccessRequest {
            method: "GET",
            path,
            authorization,
            api_key,
        }
    }

    #[tokio::test]
    async fn a_valid_token_on_an_allowed_route_is_allowed_with_its_principal() {
        let w = world().await;
        let bearer = format!(
            "Bearer {}",
            token(
                &w.keys,
                &client("lp-client", AccessLevel::Labelpartner, Some("lp-1"))
            )
        );
        let decision = w
            .authorizer
            .authorize(
                &request("/v1/labelpartners/lp-1/accounts", Some(&bearer), None),
                0,
            )
            .await
            .unwrap();
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
        let bearer = format!(
            "Bearer {}",
            token(
                &w.keys,
                &client("lp-client", AccessLevel::Labelpartner, Some("lp-1"))
            )
        );
        let decision = w
            .authorizer
            .authorize(
                &request("/v1/labelpartners/lp-2/accounts", Some(&bearer), None),
                0,
            )
            .await
            .unwrap();
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
        let decision = w
            .authorizer
            .authorize(&request("/v1/whoami", Some("Basic eDp5"), None), 0)
            .await
            .unwrap();
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::MissingCredentials)
        );
    }

    #[tokio::test]
    async fn an_invalid_token_is_unauthorized_and_no_api_key_rescues_it() {
        let w = world().await;
        let decision = w
            .authorizer
            .authorize(&request("/v1/whoami", Some("Bearer a.b.c"), Some(KEY)), 0)
            .await
            .unwrap();
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::InvalidToken(VerifyError::Malformed))
        );
    }

    #[tokio::test]
    async fn unavailable_keys_are_an_error_not_a_decision() {
        let w = world().await;
        let authorizer = RequestAuthorizer::new(
            AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
            Arc::new(KeyCache::new(Arc::new(Down), Duration::from_secs(300))),
            AccessPolicy::default_policy().unwrap(),
        );
        let bearer = format!(
            "Bearer {}",
            token(
                &w.keys,
                &client("lp-client", AccessLevel::Labelpartner, Some("lp-1"))
            )
        );
        let result = authorizer
            .authorize(&request("/v1/whoami", Some(&bearer), None), 0)
            .await;
        assert!(matches!(result, Err(AuthzError::KeysUnavailable)));
    }

    #[tokio::test]
    async fn an_api_key_before_the_sunset_stands_for_its_client() {
        let w = world().await;
        let decision = w
            .authorizer
            .authorize(
                &request("/v1/labelpartners/lp-1", None, Some(KEY)),
                SUNSET - 1,
            )
            .await
            .unwrap();
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
            .authorizer
            .authorize(&request("/v1/labelpartners/lp-1", None, Some(KEY)), SUNSET)
            .await
            .unwrap();
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::ApiKeyAfterSunset)
        );
    }

    #[tokio::test]
    async fn unknown_revoked_and_disabled_client_keys_are_unauthorized() {
        let w = world().await;
        let unknown = w
            .authorizer
            .authorize(
                &request("/v1/whoami", None, Some("not-a-stored-key-0000")),
                0,
            )
            .await
            .unwrap();
        assert_eq!(
            unknown,
            Decision::Unauthorized(Unauthenticated::UnknownApiKey)
        );
        w.clients.disable("lp-client").await.unwrap();
        let disabled = w
            .authorizer
            .authorize(&request("/v1/whoami", None, Some(KEY)), 0)
            .await
            .unwrap();
        assert_eq!(
            disabled,
            Decision::Unauthorized(Unauthenticated::UnknownApiKey)
        );
        w.api_keys.revoke_key(&hash_secret(KEY)).await.unwrap();
        let revoked = w
            .authorizer
            .authorize(&request("/v1/whoami", None, Some(KEY)), 0)
            .await
            .unwrap();
        assert_eq!(
            revoked,
            Decision::Unauthorized(Unauthenticated::UnknownApiKey)
        );
    }

    #[tokio::test]
    async fn api_keys_are_refused_where_none_are_accepted() {
        let w = world().await;
        let authorizer = RequestAuthorizer::new(
            AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
            Arc::new(KeyCache::new(Arc::new(Down), Duration::from_secs(300))),
            AccessPolicy::default_policy().unwrap(),
        );
        drop(w);
        let decision = authorizer
            .authorize(&request("/v1/whoami", None, Some(KEY)), 0)
            .await
            .unwrap();
        assert_eq!(
            decision,
            Decision::Unauthorized(Unauthenticated::ApiKeysNotAccepted)
        );
    }
}
