//! `GET /.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` and
//! `/.well-known/jwks.json`: wiring only.

use lambda_runtime::Error;
use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::discovery::handle_discovery_request;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::serve_proxy_events;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let state = Bootstrap::from_env()?.discovery().await;
    serve_proxy_events(|request| handle_discovery_request(&state, request)).await
}
