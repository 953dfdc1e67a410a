//! `POST /v1/token` and `POST /oauth/v2/token`: wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};
use token_service::entrypoints::token::handle_token_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), RuntimeError> {
    init_logging();
    let mut runtime = FunctionRuntime::from_env()?;
    let endpoint = runtime.init(async { Bootstrap::from_env()?.token_endpoint().await })?;
    runtime.serve_proxy_events(|request| handle_token_request(&endpoint, request))
}
