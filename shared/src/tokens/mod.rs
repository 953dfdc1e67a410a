//! JWT access tokens (RFC 9068) and id_tokens (OpenID Connect Core §2): claims, minting with the
//! parsed current key, and access-token verification against the key set (RFC 8725).

mod claims;
mod jwt;
mod mint;
pub mod verify;

pub use claims::{AccessTokenClaims, IdTokenClaims};
pub use jwt::sign_jwt;
pub use mint::{
    IssuedAccessToken, IssuedUserTokens, TokenSettings, UserSubject, mint_access_token,
    mint_user_tokens,
};
pub use verify::{AccessTokenVerifier, VerifyError};
