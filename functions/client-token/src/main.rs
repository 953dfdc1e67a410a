//! `POST /v1/token` and `POST /oauth/v2/token`: wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::http_function::http_service;
use token_service::entrypoints::invocation::{InvocationMode, start};
use token_service::entrypoints::logging::init_logging;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    InvocationMode::from_env().tokio_runtime()?.block_on(async {
        let endpoint = start(async { Bootstrap::from_env()?.token_endpoint().await }).await?;
        lambda_http::run_concurrent(http_service(endpoint)).await
    })
}
