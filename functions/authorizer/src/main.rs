//! The API Gateway Lambda authorizer (HTTP API payload 2.0 and 1.0, REST API TOKEN and REQUEST):
//! wiring only. See `token_service::entrypoints::authorizer` and docs/authorizer.md.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use token_service::bootstrap::Bootstrap;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let handler = Bootstrap::from_env()?.authorizer().await?;
    run(service_fn(|event: LambdaEvent<Value>| {
        handler.handle(event.payload)
    }))
    .await
}
