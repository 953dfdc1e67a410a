use serde::{Deserialize, Serialize};

use crate::domain::client::AccessLevel;

/// RFC 9068 §2.2 claims plus the two the reference APIs authorize on: `access_level` and
/// `labelpartner`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub client_id: String,
    pub access_level: AccessLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labelpartner: Option<String>,
    /// Space-separated, present only when scopes were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}
