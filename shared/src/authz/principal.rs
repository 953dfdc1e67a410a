//! The authenticated caller, as the access policy sees it and as the authorizer passes it to
//! the routes behind it.

use crate::domain::client::{AccessLevel, Client};
use crate::tokens::AccessTokenClaims;

/// Which kind of credential the caller authenticated with (the `auth_method` context value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    OAuth2,
    ApiKey,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::OAuth2 => "oauth2",
            CredentialKind::ApiKey => "api_key",
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
    pub auth_method: CredentialKind,
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
            // Not admitted until the access policy knows end users.
            AccessLevel::User => false,
        };
        consistent.then(|| Principal {
            sub: claims.sub,
            client_id: claims.client_id,
            access_level: claims.access_level,
            labelpartner: claims.labelpartner,
            scope: claims.scope.unwrap_or_default(),
            jti: Some(claims.jti),
            auth_method: CredentialKind::OAuth2,
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
            auth_method: CredentialKind::ApiKey,
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
            auth_method: CredentialKind::OAuth2,
        }
    }
}
