//! The client credentials grant (RFC 6749 §4.4) for an already authenticated client.

use super::error::{ErrorCode, OAuthError};
use super::scope::resolve_scopes;
use crate::clients::{Client, GrantType};

/// The scopes to put in the token, or why the grant is refused.
pub fn grant_client_credentials(
    client: &Client,
    requested_scope: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    if !client.allows_grant(GrantType::ClientCredentials) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the client_credentials grant",
        ));
    }
    resolve_scopes(requested_scope, &client.allowed_scopes)
}
