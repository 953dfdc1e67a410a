//! `POST /v2/token` (password and refresh_token grants) and `POST /v2/revoke`: wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::http_function::http_service;
use token_service::entrypoints::invocation::{InvocationMode, start};
use token_service::entrypoints::logging::init_logging;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    InvocationMode::from_env().tokio_runtime()?.block_on(async {
        let endpoint = start(async { Bootstrap::from_env()?.user_token_endpoint().await }).await?;
        lambda_http::run_concurrent(http_service(endpoint)).await
    })
}
