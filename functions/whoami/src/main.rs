//! `GET /v1/whoami`, behind the authorizer: echoes the authorizer context. Wiring only; it
//! needs no state.

use token_service::entrypoints::http_function::http_service;
use token_service::entrypoints::invocation::InvocationMode;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::whoami::Whoami;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    InvocationMode::from_env()
        .tokio_runtime()?
        .block_on(lambda_http::run_concurrent(http_service(Whoami)))
}
