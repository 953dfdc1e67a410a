//! Token-request bodies and `Authorization` headers as clients send them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::http::HttpResponse;
use crate::oauth::{TokenEndpoint, TokenEndpointKind, TokenRequest};

/// An `application/x-www-form-urlencoded` token request body, parameter by parameter.
#[derive(Debug, Clone, Default)]
pub struct TokenForm(Vec<(String, String)>);

/// The media type of every token request.
pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

impl TokenForm {
    pub fn new() -> Self {
        Self::default()
    }

    /// `client_id` and `client_secret` in the body (`client_secret_post`).
    pub fn credentials(id: &str, secret: &str) -> Self {
        Self::new()
            .param("client_id", id)
            .param("client_secret", secret)
    }

    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.0.push((name.to_string(), value.to_string()));
        self
    }

    pub fn grant_type(self, grant_type: &str) -> Self {
        self.param("grant_type", grant_type)
    }

    pub fn scope(self, scope: &str) -> Self {
        self.param("scope", scope)
    }

    /// `grant_type=password` with the user's e-mail and password (ce-api-token).
    pub fn password_grant(self, email: &str, password: &str) -> Self {
        self.grant_type("password")
            .param("username", email)
            .param("password", password)
    }

    /// `grant_type=refresh_token` with the token.
    pub fn refresh_grant(self, refresh_token: &str) -> Self {
        self.grant_type("refresh_token")
            .param("refresh_token", refresh_token)
    }

    /// The encoded body.
    pub fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }
}

/// `Authorization: Basic` for a client, as RFC 6749 §2.3.1 encodes it.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// `POST /v1/token` with `form` as its body and no `Authorization` header, through the
/// endpoint's plain-Rust interface.
pub async fn post_v1_token(endpoint: &TokenEndpoint, form: &TokenForm) -> HttpResponse {
    let body = form.encode();
    endpoint
        .handle(
            TokenEndpointKind::AccountManagementV1,
            TokenRequest {
                content_type: Some(FORM_URLENCODED),
                authorization: None,
                body: body.as_bytes(),
            },
        )
        .await
}
