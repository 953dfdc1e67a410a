//! `POST /v1/token` and `POST /oauth/v2/token`: wiring only.

use lambda_http::{Error, Request, run, service_fn};
use std::sync::Arc;
use token_service::authz::RemoveLegacyKeysOnIssue;
use token_service::bootstrap::Bootstrap;
use token_service::config::Settings;
use token_service::entrypoints::lambda::handle_token_request;
use token_service::oauth::TokenEndpoint;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let boot = Bootstrap::new(Settings::from_env()?);
    let endpoint = Arc::new(
        TokenEndpoint::new(
            boot.client_store().await?,
            boot.key_cache().await,
            boot.settings().token_settings(),
        )
        .with_after_issue(Arc::new(RemoveLegacyKeysOnIssue::new(
            boot.api_key_store().await?,
        ))),
    );
    run(service_fn(move |request: Request| {
        let endpoint = Arc::clone(&endpoint);
        async move { Ok::<_, Error>(handle_token_request(&endpoint, request).await) }
    }))
    .await
}
