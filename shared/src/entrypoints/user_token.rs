//! `POST /v2/token` and `POST /v2/revoke`: HTTP requests in, the user-token endpoint's answer
//! out.

use super::http_function::{HttpFunction, HttpRequest};
use crate::http::HttpResponse;
use crate::oauth::{OAuthError, UserTokenEndpoint};

enum Route {
    Token,
    Revoke,
}

/// The path is matched by suffix so that a REST API stage prefix (`/prod/v2/token`) routes the
/// same way; `/oauth/v2/token` is the client-credentials function's, never this one's.
fn route(path: &str) -> Option<Route> {
    if path.ends_with("/v2/token") && !path.ends_with("/oauth/v2/token") {
        Some(Route::Token)
    } else if path.ends_with("/v2/revoke") {
        Some(Route::Revoke)
    } else {
        None
    }
}

pub async fn handle_user_token_request(
    endpoint: &UserTokenEndpoint,
    request: HttpRequest,
) -> HttpResponse {
    let Some(route) = route(&request.path) else {
        return OAuthError::route_not_found(None);
    };
    if request.method != "POST" {
        return OAuthError::route_not_found(Some("POST"));
    }
    let token_request = request.token_request();
    match route {
        Route::Token => endpoint.token(token_request).await,
        Route::Revoke => endpoint.revoke(token_request).await,
    }
}

impl HttpFunction for UserTokenEndpoint {
    fn handle(&self, request: HttpRequest) -> impl Future<Output = HttpResponse> + Send {
        handle_user_token_request(self, request)
    }
}
