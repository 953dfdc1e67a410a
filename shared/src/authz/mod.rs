//! Authorization of calls to the protected APIs, as plain Rust: who is calling (an OAuth access
//! token or, during the deprecation window, a legacy API key), and may they call this route (the
//! access policy). No Lambda or AWS types appear here; `entrypoints::authorizer` translates API
//! Gateway's events to an [`AccessRequest`] and a [`Decision`] back to API Gateway's responses.
//!
//! - [`credentials`]: what the request presents (`Authorization: Bearer`, the API-key header);
//! - [`policy`]: the data-driven access policy and its default;
//! - [`decision`]: credentials → [`Principal`] → policy → [`Decision`];
//! - [`legacy_keys`]: removal of a client's legacy API keys when it obtains an OAuth token;
//! - [`settings`]: the authorizer's settings from the environment.

pub mod credentials;
pub mod decision;
pub mod legacy_keys;
pub mod policy;
pub mod settings;

pub use decision::{
    AccessRequest, AuthzError, Decision, LegacyApiKeyAuth, RequestAuthorizer, Unauthenticated,
};
pub use legacy_keys::RemoveLegacyKeysOnIssue;
pub use policy::{AccessPolicy, DenyReason, PolicyDecision, PolicyError};
pub use settings::{AuthorizerSettings, HttpApiResponse};

use crate::clients::{AccessLevel, Client};
use crate::tokens::AccessTokenClaims;

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    OAuth2,
    ApiKey,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::OAuth2 => "oauth2",
            AuthMethod::ApiKey => "api_key",
        }
    }
}

/// The authenticated caller, as the policy sees it and as the authorizer passes it downstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub sub: String,
    pub client_id: String,
    pub access_level: AccessLevel,
    /// Present exactly for labelpartner-level callers.
    pub labelpartner: Option<String>,
    /// Space-separated scopes, empty when none were granted.
    pub scope: String,
    /// The token's id; API keys have none.
    pub jti: Option<String>,
    pub auth_method: AuthMethod,
}

impl Principal {
    /// The caller a verified access token names. A token whose access level and labelpartner
    /// disagree (a labelpartner token without a labelpartner, an admin token with one) is not
    /// one we issue, so it is refused rather than guessed at.
    pub fn from_claims(claims: AccessTokenClaims) -> Option<Self> {
        let consistent = match claims.access_level {
            AccessLevel::Labelpartner => claims
                .labelpartner
                .as_deref()
                .is_some_and(|l| !l.is_empty()),
            AccessLevel::Admin => claims.labelpartner.is_none(),
        };
        consistent.then(|| Principal {
            sub: claims.sub,
            client_id: claims.client_id,
            access_level: claims.access_level,
            labelpartner: claims.labelpartner,
            scope: claims.scope.unwrap_or_default(),
            jti: Some(claims.jti),
            auth_method: AuthMethod::OAuth2,
        })
    }

    /// The caller a legacy API key stands for: its client, with every scope the client may be
    /// granted (the old keys knew no scopes).
    pub fn from_api_key_client(client: &Client) -> Self {
        Principal {
            sub: client.client_id.clone(),
            client_id: client.client_id.clone(),
            access_level: client.access_level,
            labelpartner: client.labelpartner.clone(),
            scope: client.allowed_scopes.join(" "),
            jti: None,
            auth_method: AuthMethod::ApiKey,
        }
    }

    /// Whether `scope` is one of the space-separated words of the scope claim.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }

    #[cfg(test)]
    pub(crate) fn for_test(level: AccessLevel, labelpartner: Option<&str>, scope: &str) -> Self {
        Principal {
            sub: "test-client".into(),
            client_id: "test-client".into(),
            access_level: level,
            labelpartner: labelpartner.map(String::from),
            scope: scope.into(),
            jti: Some("jti-1".into()),
            auth_method: AuthMethod::OAuth2,
        }
    }
}
