//! Which grant a token request asks for, and the rules of the client credentials grant, as pure
//! functions: no store, no keys, no clock. The end-user grants of `POST /v2/token` are read by
//! [`parse_user_grant`]; their rules live in [`super::password_grant`] and
//! [`super::refresh_grant`].

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

/// An end-user grant request to `POST /v2/token` (ce-api-token), read from its form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UserGrantRequest<'a> {
    /// RFC 6749 §4.3: the user's e-mail (`username`) and password.
    Password {
        username: &'a str,
        password: &'a str,
        scope: Option<&'a str>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<&'a str>,
    },
}

/// Leaves the password and the refresh token out, so neither can reach a log line.
impl std::fmt::Debug for UserGrantRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserGrantRequest::Password { scope, .. } => f
                .debug_struct("Password")
                .field("scope", scope)
                .finish_non_exhaustive(),
            UserGrantRequest::RefreshToken { scope, .. } => f
                .debug_struct("RefreshToken")
                .field("scope", scope)
                .finish_non_exhaustive(),
        }
    }
}

/// Reads the end-user grant of a `POST /v2/token` form: `grant_type` is required and is
/// `password` (with `username` and `password`) or `refresh_token` (with `refresh_token`).
pub fn parse_user_grant(form: &Form) -> Result<UserGrantRequest<'_>, OAuthError> {
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let scope = form.get("scope");
    if grant_type == GrantType::Password.as_str() {
        match (form.get("username"), form.get("password")) {
            (Some(username), Some(password)) => Ok(UserGrantRequest::Password {
                username,
                password,
                scope,
            }),
            _ => Err(OAuthError::invalid_request(
                "the password grant needs username and password",
            )),
        }
    } else if grant_type == GrantType::RefreshToken.as_str() {
        let refresh_token = form.get("refresh_token").ok_or_else(|| {
            OAuthError::invalid_request("the refresh_token grant needs refresh_token")
        })?;
        Ok(UserGrantRequest::RefreshToken {
            refresh_token,
            scope,
        })
    } else {
        Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "this endpoint supports the password and refresh_token grants",
        ))
    }
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
    fn v2_token_reads_the_password_and_refresh_token_grants() {
        let f = form(
            &TokenForm::new()
                .grant_type("password")
                .param("username", "a@x.org")
                .param("password", "pw"),
        );
        assert_eq!(
            parse_user_grant(&f),
            Ok(UserGrantRequest::Password {
                username: "a@x.org",
                password: "pw",
                scope: None
            })
        );
        let f = form(
            &TokenForm::new()
                .grant_type("refresh_token")
                .param("refresh_token", "rt")
                .scope("a"),
        );
        assert_eq!(
            parse_user_grant(&f),
            Ok(UserGrantRequest::RefreshToken {
                refresh_token: "rt",
                scope: Some("a")
            })
        );
    }

    #[test]
    fn v2_token_refuses_incomplete_and_other_grants() {
        for (body, code) in [
            (TokenForm::new(), ErrorCode::InvalidRequest),
            (
                TokenForm::new()
                    .grant_type("password")
                    .param("username", "a@x.org"),
                ErrorCode::InvalidRequest,
            ),
            (
                TokenForm::new()
                    .grant_type("password")
                    .param("password", "pw"),
                ErrorCode::InvalidRequest,
            ),
            (
                TokenForm::new().grant_type("refresh_token"),
                ErrorCode::InvalidRequest,
            ),
            (
                TokenForm::new().grant_type("client_credentials"),
                ErrorCode::UnsupportedGrantType,
            ),
            (
                TokenForm::new().grant_type("authorization_code"),
                ErrorCode::UnsupportedGrantType,
            ),
        ] {
            let e = parse_user_grant(&form(&body)).unwrap_err();
            assert_eq!(e.code, code, "{}", body.encode());
        }
    }

    #[test]
    fn debug_of_a_user_grant_shows_no_password_or_token() {
        let f = form(
            &TokenForm::new()
                .grant_type("password")
                .param("username", "a@x.org")
                .param("password", "hunter2!"),
        );
        let shown = format!("{:?}", parse_user_grant(&f).unwrap());
        assert!(
            !shown.contains("hunter2!") && !shown.contains("a@x.org"),
            "{shown}"
        );
    }

    #[test]
    fn a_client_without_the_grant_is_unauthorized_client() {
        let c = client("c1").grants(&[GrantType::Password]).build();
        let e = grant_client_credentials(&c, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
