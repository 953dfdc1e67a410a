//! Authorization-server metadata (RFC 8414, OpenID Connect Discovery 1.0) and the JWKS.

use serde::Serialize;

use crate::config::Settings;
use crate::keys::KeySet;

#[derive(Debug, Serialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// No authorization endpoint: no browser-based response types.
    pub response_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
}

impl ServerMetadata {
    pub fn new(settings: &Settings, keys: &KeySet) -> Self {
        let base = &settings.public_base_url;
        ServerMetadata {
            issuer: settings.issuer.clone(),
            token_endpoint: format!("{base}/oauth/v2/token"),
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            grant_types_supported: vec!["client_credentials"],
            token_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
            ],
            response_types_supported: vec![],
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: vec![keys.signer().alg().as_str()],
            claims_supported: vec![
                "iss",
                "sub",
                "aud",
                "iat",
                "nbf",
                "exp",
                "jti",
                "client_id",
                "scope",
                "access_level",
                "labelpartner",
            ],
        }
    }
}
