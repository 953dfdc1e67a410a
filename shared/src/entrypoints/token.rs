//! `POST /v1/token` and `POST /oauth/v2/token`: HTTP requests in, the token endpoint's answer out.

use super::http_function::{HttpFunction, HttpRequest};
use crate::http::HttpResponse;
use crate::oauth::{OAuthError, TokenEndpoint, TokenEndpointKind};

/// Serves `POST /v1/token` and `POST /oauth/v2/token`. The path is matched by suffix so that a
/// REST API stage prefix (`/prod/v1/token`) routes the same way.
pub async fn handle_token_request(endpoint: &TokenEndpoint, request: HttpRequest) -> HttpResponse {
    let kind = if request.path.ends_with("/oauth/v2/token") {
        TokenEndpointKind::OAuthV2
    } else if request.path.ends_with("/v1/token") {
        TokenEndpointKind::AccountManagementV1
    } else {
        return OAuthError::route_not_found(None);
    };
    if request.method != "POST" {
        return OAuthError::route_not_found(Some("POST"));
    }
    endpoint.handle(kind, request.token_request()).await
}

impl HttpFunction for TokenEndpoint {
    fn handle(&self, request: HttpRequest) -> impl Future<Output = HttpResponse> + Send {
        handle_token_request(self, request)
    }
}
