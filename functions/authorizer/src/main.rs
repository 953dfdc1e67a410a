//! The API Gateway Lambda authorizer (HTTP API payload 2.0 and 1.0, REST API TOKEN and REQUEST):
//! wiring only. See `token_service::entrypoints::authorizer` and docs/authorizer.md.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), RuntimeError> {
    init_logging();
    let mut runtime = FunctionRuntime::from_env()?;
    let handler = runtime.init(async { Bootstrap::from_env()?.authorizer().await })?;
    runtime.serve_events(
        |json| handler.read_event(json).map_err(Into::into),
        |event| handler.handle(event),
    )
}
