//! `GET /.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` and
//! `/.well-known/jwks.json`: wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::http_function::http_service;
use token_service::entrypoints::invocation::{InvocationMode, start};
use token_service::entrypoints::logging::init_logging;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    InvocationMode::from_env().tokio_runtime()?.block_on(async {
        let bootstrap = start(async { Bootstrap::from_env() }).await?;
        lambda_http::run_concurrent(http_service(bootstrap.discovery().await)).await
    })
}
