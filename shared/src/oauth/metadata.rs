//! Authorization-server metadata (RFC 8414, OpenID Connect Discovery 1.0) and the JWKS.

use serde::Serialize;

use crate::config::Settings;
use crate::keys::KeySet;

const CLIENT_AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// The service's metadata. `token_endpoint` is the standard client-credentials endpoint; the
/// end-user grants (`password`, `refresh_token`) are served at `/v2/token` as ce-api-token
/// defines it, which RFC 8414's single `token_endpoint` cannot express.
#[derive(Debug, Serialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RFC 7009 revocation of end users' refresh tokens (`POST /v2/revoke`).
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
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
            revocation_endpoint: format!("{base}/v2/revoke"),
            revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.to_vec(),
            grant_types_supported: vec!["client_credentials", "password", "refresh_token"],
            token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.to_vec(),
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
                "auth_time",
                "email",
            ],
        }
    }
}
