//! The API Gateway Lambda authorizer (HTTP API payload 2.0 and 1.0, REST API TOKEN and REQUEST):
//! wiring only. See `token_service::entrypoints::authorizer` and docs/authorizer.md.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::authorizer::authorizer_service;
use token_service::entrypoints::invocation::{InvocationMode, start};
use token_service::entrypoints::logging::init_logging;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    InvocationMode::from_env().tokio_runtime()?.block_on(async {
        let handler = start(async { Bootstrap::from_env()?.authorizer().await }).await?;
        lambda_runtime::run_concurrent(authorizer_service(handler)).await
    })
}
