//! `lambda_http` requests in, [`HttpResponse`]s out. Handlers here route by path and method and
//! call the plain-Rust logic; the functions' `main.rs` only build state and run them.

use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use std::sync::Arc;

use crate::config::Settings;
use crate::discovery::ServerMetadata;
use crate::keys::KeyCache;
use crate::oauth::{HttpResponse, OAuthError, TokenEndpoint, TokenEndpointKind, TokenRequest};

pub fn to_lambda_response(response: HttpResponse) -> Response<Body> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &response.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Body::Text(response.body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

fn header(request: &Request, name: lambda_http::http::header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

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
    let token_request = TokenRequest {
        content_type: header(&request, CONTENT_TYPE),
        authorization: header(&request, AUTHORIZATION),
        body: body_bytes(request.body()),
    };
    to_lambda_response(endpoint.handle(kind, token_request).await)
}

/// What the discovery function holds per container.
pub struct DiscoveryState {
    pub settings: Settings,
    pub keys: Arc<KeyCache>,
}

/// Serves the metadata documents and the JWKS.
pub async fn handle_discovery_request(state: &DiscoveryState, request: Request) -> Response<Body> {
    let path = request.uri().path();
    enum Doc {
        Metadata,
        Jwks,
    }
    let doc = if path.ends_with("/.well-known/openid-configuration")
        || path.ends_with("/.well-known/oauth-authorization-server")
    {
        Doc::Metadata
    } else if path.ends_with("/.well-known/jwks.json") {
        Doc::Jwks
    } else {
        return to_lambda_response(OAuthError::route_not_found(None));
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return to_lambda_response(OAuthError::route_not_found(Some("GET")));
    }
    let keys = match state.keys.current().await {
        Ok(keys) => keys,
        Err(error) => {
            tracing::error!(%error, "signing keys unavailable");
            return to_lambda_response(OAuthError::server_error().to_response());
        }
    };
    let response = match doc {
        Doc::Metadata => {
            HttpResponse::cacheable_json(&ServerMetadata::new(&state.settings, &keys), 3600)
        }
        Doc::Jwks => HttpResponse::cacheable(
            "application/jwk-set+json",
            keys.jwks_json().to_string(),
            state.settings.jwks_max_age,
        ),
    };
    to_lambda_response(response)
}
