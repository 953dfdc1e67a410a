//! The API Gateway Lambda authorizer (HTTP API payload 2.0 and 1.0, REST API TOKEN and REQUEST):
//! wiring only. See `token_service::entrypoints::authorizer` and docs/authorizer.md.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use std::sync::Arc;
use token_service::authz::AuthorizerSettings;
use token_service::bootstrap::Bootstrap;
use token_service::config::Settings;
use token_service::entrypoints::authorizer::AuthorizerHandler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let boot = Bootstrap::new(Settings::from_env()?);
    let handler =
        Arc::new(AuthorizerHandler::from_bootstrap(&boot, AuthorizerSettings::from_env()?).await?);
    run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = Arc::clone(&handler);
        async move { handler.handle(event.payload).await }
    }))
    .await
}
