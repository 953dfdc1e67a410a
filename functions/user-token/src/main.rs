//! `POST /v2/token` (password and refresh_token grants) and `POST /v2/revoke`: wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};
use token_service::entrypoints::user_token::handle_user_token_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), RuntimeError> {
    init_logging();
    let mut runtime = FunctionRuntime::from_env()?;
    let endpoint = runtime.init(async { Bootstrap::from_env()?.user_token_endpoint().await })?;
    runtime.serve_proxy_events(|request| handle_user_token_request(&endpoint, request))
}
