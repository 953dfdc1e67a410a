//! `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`: wiring only.

use lambda_http::{Error, Request, run, service_fn};
use std::sync::Arc;
use token_service::bootstrap::Bootstrap;
use token_service::config::Settings;
use token_service::entrypoints::lambda::{DiscoveryState, handle_discovery_request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let boot = Bootstrap::new(Settings::from_env()?);
    let state = Arc::new(DiscoveryState {
        keys: boot.key_cache().await,
        settings: boot.settings().clone(),
    });
    run(service_fn(move |request: Request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Error>(handle_discovery_request(&state, request).await) }
    }))
    .await
}
