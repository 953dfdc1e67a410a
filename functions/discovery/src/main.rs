//! `GET /.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` and
//! `/.well-known/jwks.json`: wiring only.

use token_service::bootstrap::{Bootstrap, BootstrapError};
use token_service::entrypoints::discovery::handle_discovery_request;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), RuntimeError> {
    init_logging();
    let mut runtime = FunctionRuntime::from_env()?;
    let state = runtime
        .init(async { Ok::<_, BootstrapError>(Bootstrap::from_env()?.discovery().await) })?;
    runtime.serve_proxy_events(|request| handle_discovery_request(&state, request))
}
