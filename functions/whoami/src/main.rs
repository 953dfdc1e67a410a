//! `GET /v1/whoami`, behind the authorizer: echoes the authorizer context. Wiring only; it
//! needs no state.

use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};
use token_service::entrypoints::whoami::handle_whoami_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), RuntimeError> {
    init_logging();
    FunctionRuntime::from_env()?.serve_proxy_events(handle_whoami_request)
}
