//! The token endpoint: parse, authenticate, grant, mint, answer. Every failure leaves through
//! [`OAuthError::to_response`].

use serde::Serialize;
use std::sync::Arc;

use super::client_auth::{authenticate, presented_credentials};
use super::error::OAuthError;
use super::form::Form;
use super::grant::{GrantRequest, TokenEndpointKind, grant_client_credentials, parse_grant};
use crate::domain::Client;
use crate::domain::time::now_unix;
use crate::http::HttpResponse;
use crate::keys::KeyCache;
use crate::store::ClientReader;
use crate::tokens::{TokenSettings, mint_access_token};

/// The parts of an HTTP request the token endpoint reads.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Serialize)]
struct TokenResponseBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

/// Work that follows a successful issue for a client, such as removing its legacy API keys. It
/// must not fail the token request: it reports its own errors and is retried on the next issue.
#[async_trait::async_trait]
pub trait AfterIssue: Send + Sync {
    async fn after_issue(&self, client: &Client);
}

pub struct TokenEndpoint {
    clients: Arc<dyn ClientReader>,
    keys: Arc<KeyCache>,
    settings: TokenSettings,
    after_issue: Option<Arc<dyn AfterIssue>>,
}

impl TokenEndpoint {
    pub fn new(
        clients: Arc<dyn ClientReader>,
        keys: Arc<KeyCache>,
        settings: TokenSettings,
    ) -> Self {
        TokenEndpoint {
            clients,
            keys,
            settings,
            after_issue: None,
        }
    }

    pub fn with_after_issue(mut self, hook: Arc<dyn AfterIssue>) -> Self {
        self.after_issue = Some(hook);
        self
    }

    pub async fn handle(&self, kind: TokenEndpointKind, request: TokenRequest<'_>) -> HttpResponse {
        match self.issue(kind, request, now_unix()).await {
            Ok(response) => response,
            Err(error) => {
                tracing::info!(error = error.code.as_str(), description = %error.description, "token request refused");
                error.to_response()
            }
        }
    }

    async fn issue(
        &self,
        kind: TokenEndpointKind,
        request: TokenRequest<'_>,
        now: i64,
    ) -> Result<HttpResponse, OAuthError> {
        let form = Form::parse(request.content_type, request.body)?;
        let GrantRequest::ClientCredentials { scope } = parse_grant(&form, kind)?;
        let presented = presented_credentials(request.authorization, &form)?;
        let client = authenticate(self.clients.as_ref(), &presented, now).await?;
        let scopes = grant_client_credentials(&client, scope)?;
        let keys = self.keys.current().await.map_err(|error| {
            tracing::error!(%error, "signing keys unavailable");
            OAuthError::server_error()
        })?;
        let issued =
            mint_access_token(&self.settings, &keys, &client, &scopes, now).map_err(|error| {
                tracing::error!(%error, "token signing failed");
                OAuthError::server_error()
            })?;
        if let Some(hook) = &self.after_issue {
            hook.after_issue(&client).await;
        }
        tracing::info!(
            client_id = %client.client_id,
            jti = %issued.claims.jti,
            kid = keys.signer().kid(),
            "access token issued"
        );
        Ok(HttpResponse::no_store_json(
            200,
            &TokenResponseBody {
                access_token: &issued.token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                scope: issued.claims.scope.as_deref(),
            },
        ))
    }
}
