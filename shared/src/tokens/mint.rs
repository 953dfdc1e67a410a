use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AccessTokenClaims, IdTokenClaims, sign_jwt};
use crate::domain::client::{AccessLevel, Client};
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

/// Who an end-user token is for: the user, the client (app) they signed in through, and when
/// they entered their password.
#[derive(Debug, Clone, Copy)]
pub struct UserSubject<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub labelpartner: &'a str,
    pub auth_time: i64,
}

/// The access token and id_token of one end-user grant.
#[derive(Debug, Clone)]
pub struct IssuedUserTokens {
    pub access_token: String,
    pub id_token: String,
    pub expires_in: u32,
    pub access_claims: AccessTokenClaims,
}

/// The access token (RFC 9068, `access_level` = `user`) and the id_token (OpenID Connect Core
/// §2, `aud` = the client, `typ: JWT`) of an end-user grant; both live as long as the client's
/// access tokens.
pub fn mint_user_tokens(
    settings: &TokenSettings,
    keys: &KeySet,
    client: &Client,
    subject: UserSubject<'_>,
    scopes: &[String],
    now: i64,
) -> Result<IssuedUserTokens, KeyError> {
    let jti = URL_SAFE_NO_PAD.encode(random_bytes::<16>().map_err(|_| KeyError::Signing)?);
    let exp = now + i64::from(client.access_token_ttl);
    let access_claims = AccessTokenClaims {
        iss: settings.issuer.clone(),
        sub: subject.user_id.to_string(),
        aud: settings.audience.clone(),
        iat: now,
        nbf: now,
        exp,
        jti,
        client_id: client.client_id.clone(),
        access_level: AccessLevel::User,
        labelpartner: Some(subject.labelpartner.to_string()),
        scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
    };
    let id_claims = IdTokenClaims {
        iss: settings.issuer.clone(),
        sub: subject.user_id.to_string(),
        aud: client.client_id.clone(),
        exp,
        iat: now,
        auth_time: subject.auth_time,
        email: subject.email.to_string(),
    };
    Ok(IssuedUserTokens {
        access_token: sign_jwt(keys.access_token_header(), keys.signer(), &access_claims)?,
        id_token: sign_jwt(keys.id_token_header(), keys.signer(), &id_claims)?,
        expires_in: client.access_token_ttl,
        access_claims,
    })
}
