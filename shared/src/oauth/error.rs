//! The one place that turns a failure into the RFC 6749 §5.2 error response.

use serde::Serialize;
use std::borrow::Cow;

use crate::http::HttpResponse;

/// RFC 6749 §5.2 error codes, and `temporarily_unavailable` (§4.1.2.1) for a request that ran
/// out of time, which a client may retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// 401 for failed client authentication, 500 for our own failures, 503 for running out
    /// of time, 400 for the rest.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// What a 503 tells a client to wait: long enough for a stalled connection to be replaced.
const RETRY_AFTER_SECONDS: &str = "1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    /// RFC 6749 §5.2: a client that tried HTTP Basic gets `WWW-Authenticate` back with the 401.
    pub basic_challenge: bool,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: &'a str,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// The one answer for an unknown client, a wrong secret and a disabled client, so that the
    /// response is no oracle for which client_ids exist.
    pub fn client_authentication_failed(used_basic: bool) -> Self {
        OAuthError {
            basic_challenge: used_basic,
            ..Self::new(ErrorCode::InvalidClient, "client authentication failed")
        }
    }

    /// Store or key failures: the caller learns nothing of the cause, the log does.
    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }

    /// A store or key source that did not answer before the invocation's deadline: the
    /// request may succeed if retried (with `Retry-After`).
    pub fn temporarily_unavailable() -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the server could not complete the request in time; retry later",
        )
    }

    /// A request to a path or with a method the function does not serve.
    pub fn route_not_found(method_allowed: Option<&'static str>) -> HttpResponse {
        match method_allowed {
            Some(allow) => {
                let mut r = Self::invalid_request(format!("use {allow}")).to_response();
                r.status = 405;
                r.headers.push(("allow", allow.into()));
                r
            }
            None => {
                let mut r = Self::invalid_request("no such endpoint").to_response();
                r.status = 404;
                r
            }
        }
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut response = HttpResponse::no_store_json(
            self.code.status(),
            &ErrorBody {
                error: self.code.as_str(),
                error_description: &self.description,
            },
        );
        if self.code == ErrorCode::InvalidClient && self.basic_challenge {
            response.headers.push((
                "www-authenticate",
                r#"Basic realm="token", charset="UTF-8""#.into(),
            ));
        }
        if self.code == ErrorCode::TemporarilyUnavailable {
            response
                .headers
                .push(("retry-after", RETRY_AFTER_SECONDS.into()));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_follow_rfc6749() {
        assert_eq!(ErrorCode::InvalidRequest.status(), 400);
        assert_eq!(ErrorCode::InvalidClient.status(), 401);
        assert_eq!(ErrorCode::InvalidGrant.status(), 400);
        assert_eq!(ErrorCode::UnauthorizedClient.status(), 400);
        assert_eq!(ErrorCode::UnsupportedGrantType.status(), 400);
        assert_eq!(ErrorCode::InvalidScope.status(), 400);
        assert_eq!(ErrorCode::ServerError.status(), 500);
    }

    #[test]
    fn error_body_is_rfc6749_json_and_never_cached() {
        let r = OAuthError::invalid_request("bad").to_response();
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["error_description"], "bad");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("pragma"), Some("no-cache"));
        assert_eq!(r.header("www-authenticate"), None);
    }

    #[test]
    fn basic_auth_failure_carries_a_challenge() {
        let r = OAuthError::client_authentication_failed(true).to_response();
        assert_eq!(r.status, 401);
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic "));
        let r = OAuthError::client_authentication_failed(false).to_response();
        assert_eq!(r.header("www-authenticate"), None);
    }
}
