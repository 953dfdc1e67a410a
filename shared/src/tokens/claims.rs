use serde::{Deserialize, Serialize};

use crate::domain::client::AccessLevel;

/// RFC 9068 §2.2 claims plus the two the reference APIs authorize on: `access_level` and
/// `labelpartner`. A client's token has `sub` = `client_id` and the client's access level; an
/// end user's has `sub` = `user_id`, `access_level` = `user` (what tells the two apart) and
/// the labelpartner the user belongs to.
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

/// OpenID Connect Core §2 id_token claims: who signed in, for which client, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The client_id of the app the user signed in to.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// When the user last entered the password (refreshes keep the sign-in's time).
    pub auth_time: i64,
    pub email: String,
}
