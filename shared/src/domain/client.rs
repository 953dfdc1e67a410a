//! OAuth clients: who they are, what they may ask for, and how their secrets are kept.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::domain::secret::SecretHash;

/// Access tokens live one hour unless a client says otherwise (am-api-oauth2: `expires_in` 3600).
pub const DEFAULT_ACCESS_TOKEN_TTL: u32 = 3600;
/// Bounds on a client's access-token lifetime: long-lived bearer tokens defeat revocation.
const MIN_ACCESS_TOKEN_TTL: u32 = 60;
const MAX_ACCESS_TOKEN_TTL: u32 = 86_400;

/// The two access levels of the reference APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// Every resource.
    Admin,
    /// Only the resources of the client's own labelpartner.
    Labelpartner,
    /// An end user signed in through a labelpartner's app: only the user's own resources.
    /// Tokens carry it; clients never have it.
    User,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Admin => "admin",
            AccessLevel::Labelpartner => "labelpartner",
            AccessLevel::User => "user",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(AccessLevel::Admin),
            "labelpartner" => Ok(AccessLevel::Labelpartner),
            "user" => Ok(AccessLevel::User),
            other => Err(ClientError::Invalid(format!(
                "unknown access level {other:?}"
            ))),
        }
    }
}

/// Grant types a client may be allowed to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
    Password,
    RefreshToken,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

impl FromStr for GrantType {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client_credentials" => Ok(GrantType::ClientCredentials),
            "password" => Ok(GrantType::Password),
            "refresh_token" => Ok(GrantType::RefreshToken),
            other => Err(ClientError::Invalid(format!(
                "unknown grant type {other:?}"
            ))),
        }
    }
}

/// One stored secret of a client. During a rotation a client holds two; the old one carries the
/// time at which it stops verifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    pub hash: SecretHash,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl StoredSecret {
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub secrets: Vec<StoredSecret>,
    pub access_level: AccessLevel,
    /// Required for labelpartner clients, absent for admin clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labelpartner: Option<String>,
    pub allowed_grant_types: Vec<GrantType>,
    pub allowed_scopes: Vec<String>,
    pub access_token_ttl: u32,
    pub enabled: bool,
    pub created_at: i64,
    /// Set while the client still holds legacy API keys (see [`crate::domain::legacy_api_key`]); the
    /// token endpoint removes them on the next token it issues, then clears this.
    #[serde(default)]
    pub has_legacy_api_keys: bool,
    /// How many times the stored record has been written since it was created (0 on records
    /// from before versions existed). A store replaces a client only if its stored version is
    /// still the one read, so two read-modify-writes can never undo each other.
    #[serde(default)]
    pub version: u64,
    /// Unix seconds: the client's access tokens issued (`iat`) before this are refused by the
    /// authorizer (`authctl client revoke-tokens`). `None`: no cut-off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_not_before: Option<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("invalid client: {0}")]
    Invalid(String),
}

impl Client {
    /// Checks the invariants every stored client must hold; stores and the CLI call it before a
    /// write so that no half-valid record is ever persisted.
    pub fn validate(&self) -> Result<(), ClientError> {
        crate::domain::secret::validate_client_id(&self.client_id)
            .map_err(|e| ClientError::Invalid(e.to_string()))?;
        match (self.access_level, &self.labelpartner) {
            (AccessLevel::Labelpartner, None) => {
                return Err(ClientError::Invalid(
                    "a labelpartner client needs a labelpartner id".into(),
                ));
            }
            (AccessLevel::Admin, Some(_)) => {
                return Err(ClientError::Invalid(
                    "an admin client has no labelpartner id".into(),
                ));
            }
            (AccessLevel::Labelpartner, Some(lp)) => validate_labelpartner(lp)?,
            (AccessLevel::Admin, None) => {}
            (AccessLevel::User, _) => {
                return Err(ClientError::Invalid(
                    "a client is admin or labelpartner; user is the level of end-user tokens"
                        .into(),
                ));
            }
        }
        if self.secrets.is_empty() || self.secrets.len() > 2 {
            return Err(ClientError::Invalid(
                "a client holds one secret, or two during a rotation".into(),
            ));
        }
        if !(MIN_ACCESS_TOKEN_TTL..=MAX_ACCESS_TOKEN_TTL).contains(&self.access_token_ttl) {
            return Err(ClientError::Invalid(format!(
                "access token lifetime must be between {MIN_ACCESS_TOKEN_TTL} and {MAX_ACCESS_TOKEN_TTL} seconds"
            )));
        }
        for scope in &self.allowed_scopes {
            if !is_scope_token(scope) {
                return Err(ClientError::Invalid(format!("invalid scope {scope:?}")));
            }
        }
        Ok(())
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.allowed_grant_types.contains(&grant)
    }
}

pub(crate) fn validate_labelpartner(id: &str) -> Result<(), ClientError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ClientError::Invalid(
            "labelpartner id must be 1-128 characters of A-Z a-z 0-9 - _ .".into(),
        ))
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secret::hash_secret;
    use crate::testing::{ClientBuilder, client};

    fn demo_client() -> ClientBuilder {
        client("demo-client").scopes(&["accounts:read"])
    }

    #[test]
    fn a_well_formed_client_validates() {
        assert_eq!(demo_client().build().validate(), Ok(()));
    }

    #[test]
    fn labelpartner_client_needs_a_labelpartner_id() {
        let c = demo_client().labelpartner_field(None).build();
        assert!(c.validate().is_err());
    }

    #[test]
    fn admin_client_has_no_labelpartner_id() {
        let c = demo_client()
            .admin()
            .labelpartner_field(Some("lp-1"))
            .build();
        assert!(c.validate().is_err());
    }

    #[test]
    fn ttl_outside_bounds_is_refused() {
        for ttl in [0, 59, 86_401] {
            let c = demo_client().ttl(ttl).build();
            assert!(c.validate().is_err(), "ttl {ttl}");
        }
    }

    #[test]
    fn scopes_must_be_rfc6749_scope_tokens() {
        assert!(is_scope_token("accounts:read"));
        assert!(!is_scope_token("a b"));
        assert!(!is_scope_token("quote\""));
        assert!(!is_scope_token("back\\slash"));
        assert!(!is_scope_token(""));
    }

    #[test]
    fn an_old_secret_stops_verifying_at_its_expiry() {
        let s = StoredSecret {
            hash: hash_secret("s"),
            expires_at: Some(100),
        };
        assert!(s.is_live(99));
        assert!(!s.is_live(100));
    }
}
