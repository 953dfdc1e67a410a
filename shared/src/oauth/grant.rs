//! Which grant a token request asks for, and the rules of each grant, as pure functions: no
//! store, no keys, no clock.

use super::error::{ErrorCode, OAuthError};
use super::form::Form;
use super::scope::resolve_scopes;
use crate::domain::{Client, GrantType};

/// Which public contract a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpointKind {
    /// `POST /v1/token` (AM-API): `grant_type` is optional and defaults to `client_credentials`.
    AccountManagementV1,
    /// `POST /oauth/v2/token`: `grant_type` is required (RFC 6749 §4.4.2).
    OAuthV2,
}

/// A token request's grant, read from its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRequest<'a> {
    /// RFC 6749 §4.4, with the requested `scope`, if any.
    ClientCredentials { scope: Option<&'a str> },
}

/// Reads the grant from the form: `grant_type` (defaulted where the endpoint's contract allows)
/// must name a grant this endpoint serves.
pub fn parse_grant(form: &Form, kind: TokenEndpointKind) -> Result<GrantRequest<'_>, OAuthError> {
    let grant_type = match (form.get("grant_type"), kind) {
        (Some(grant), _) => grant,
        (None, TokenEndpointKind::AccountManagementV1) => GrantType::ClientCredentials.as_str(),
        (None, TokenEndpointKind::OAuthV2) => {
            return Err(OAuthError::invalid_request("grant_type is required"));
        }
    };
    if grant_type != GrantType::ClientCredentials.as_str() {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "this endpoint supports the client_credentials grant only",
        ));
    }
    Ok(GrantRequest::ClientCredentials {
        scope: form.get("scope"),
    })
}

/// The client credentials grant (RFC 6749 §4.4) for an authenticated client: the scopes to put
/// in the token, or why the grant is refused.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FORM_URLENCODED, TokenForm, client};

    fn form(body: &TokenForm) -> Form {
        Form::parse(Some(FORM_URLENCODED), body.encode().as_bytes()).unwrap()
    }

    #[test]
    fn v1_defaults_to_client_credentials_and_v2_requires_a_grant_type() {
        let no_grant = form(&TokenForm::new().scope("a"));
        assert_eq!(
            parse_grant(&no_grant, TokenEndpointKind::AccountManagementV1),
            Ok(GrantRequest::ClientCredentials { scope: Some("a") })
        );
        let e = parse_grant(&no_grant, TokenEndpointKind::OAuthV2).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn other_grant_types_are_unsupported_on_both_endpoints() {
        for grant in ["password", "refresh_token", "authorization_code", "x"] {
            let f = form(&TokenForm::new().grant_type(grant));
            for kind in [
                TokenEndpointKind::AccountManagementV1,
                TokenEndpointKind::OAuthV2,
            ] {
                let e = parse_grant(&f, kind).unwrap_err();
                assert_eq!(e.code, ErrorCode::UnsupportedGrantType, "{grant} {kind:?}");
            }
        }
    }

    #[test]
    fn a_client_without_the_grant_is_unauthorized_client() {
        let c = client("c1").grants(&[GrantType::Password]).build();
        let e = grant_client_credentials(&c, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
