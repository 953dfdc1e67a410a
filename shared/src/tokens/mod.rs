//! JWT access tokens (RFC 9068): claims, minting with the parsed current key, and verification
//! against the key set (RFC 8725).

mod claims;
mod jwt;
mod mint;
pub mod verify;

pub use claims::AccessTokenClaims;
pub use jwt::sign_jwt;
pub use mint::{IssuedAccessToken, TokenSettings, mint_access_token};
pub use verify::{AccessTokenVerifier, VerifyError};
