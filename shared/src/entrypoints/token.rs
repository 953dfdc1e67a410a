//! `POST /v1/token` and `POST /oauth/v2/token`: `lambda_http` requests in, the token endpoint's
//! answer out.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::{to_lambda_response, token_request};
use crate::oauth::{OAuthError, TokenEndpoint, TokenEndpointKind};

/// Serves `POST /v1/token` and `POST /oauth/v2/token`. The path is matched by suffix so that a
/// REST API stage prefix (`/prod/v1/token`) routes the same way.
pub async fn handle_token_request(endpoint: &TokenEndpoint, request: Request) -> Response<Body> {
    let path = request.uri().path();
    let kind = if path.ends_with("/oauth/v2/token") {
        TokenEndpointKind::OAuthV2
    } else if path.ends_with("/v1/token") {
        TokenEndpointKind::AccountManagementV1
    } else {
        return to_lambda_response(OAuthError::route_not_found(None));
    };
    if request.method() != Method::POST {
        return to_lambda_response(OAuthError::route_not_found(Some("POST")));
    }
    let token_request = token_request(&request);
    to_lambda_response(endpoint.handle(kind, token_request).await)
}
