use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AccessTokenClaims, sign_jwt};
use crate::domain::client::Client;
use crate::domain::secret::random_bytes;
use crate::keys::{KeyError, KeySet};

/// What every token of this deployment says about its issuer and audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    pub token: String,
    pub expires_in: u32,
    pub claims: AccessTokenClaims,
}

pub fn mint_access_token(
    settings: &TokenSettings,
    keys: &KeySet,
    client: &Client,
    scopes: &[String],
    now: i64,
) -> Result<IssuedAccessToken, KeyError> {
    let jti = URL_SAFE_NO_PAD.encode(random_bytes::<16>().map_err(|_| KeyError::Signing)?);
    let claims = AccessTokenClaims {
        iss: settings.issuer.clone(),
        sub: client.client_id.clone(),
        aud: settings.audience.clone(),
        iat: now,
        nbf: now,
        exp: now + i64::from(client.access_token_ttl),
        jti,
        client_id: client.client_id.clone(),
        access_level: client.access_level,
        labelpartner: client.labelpartner.clone(),
        scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
    };
    let token = sign_jwt(keys.access_token_header(), keys.signer(), &claims)?;
    Ok(IssuedAccessToken {
        token,
        expires_in: client.access_token_ttl,
        claims,
    })
}
