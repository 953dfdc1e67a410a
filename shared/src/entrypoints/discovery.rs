//! `GET /.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` and
//! `/.well-known/jwks.json`: the server metadata and the JWKS, from the cached key set.

use std::sync::Arc;

use super::http_function::{HttpFunction, HttpRequest};
use crate::config::Settings;
use crate::http::HttpResponse;
use crate::keys::KeyCache;
use crate::oauth::OAuthError;
use crate::oauth::metadata::ServerMetadata;

/// What the discovery function holds per container.
pub struct DiscoveryState {
    pub settings: Settings,
    pub keys: Arc<KeyCache>,
}

/// Serves the metadata documents and the JWKS.
pub async fn handle_discovery_request(
    state: &DiscoveryState,
    request: HttpRequest,
) -> HttpResponse {
    let path = request.path.as_str();
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
        return OAuthError::route_not_found(None);
    };
    if request.method != "GET" && request.method != "HEAD" {
        return OAuthError::route_not_found(Some("GET"));
    }
    let keys = match state.keys.current().await {
        Ok(keys) => keys,
        Err(error) => {
            tracing::error!(%error, "signing keys unavailable");
            return OAuthError::server_error().to_response();
        }
    };
    match doc {
        Doc::Metadata => {
            HttpResponse::cacheable_json(&ServerMetadata::new(&state.settings, &keys), 3600)
        }
        Doc::Jwks => HttpResponse::cacheable(
            "application/jwk-set+json",
            keys.jwks_json().to_string(),
            state.settings.jwks_max_age,
        ),
    }
}

impl HttpFunction for DiscoveryState {
    fn handle(&self, request: HttpRequest) -> impl Future<Output = HttpResponse> + Send {
        handle_discovery_request(self, request)
    }
}
