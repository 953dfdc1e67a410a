//! The API Gateway Lambda authorizer (HTTP API payload 2.0 and 1.0, REST API TOKEN and REQUEST):
//! wiring only. See `token_service::entrypoints::authorizer` and docs/authorizer.md.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let handler = Bootstrap::from_env()?.authorizer().await?;
    run(service_fn(|event: LambdaEvent<Value>| {
        handler.handle(event.payload)
    }))
    .await
}
