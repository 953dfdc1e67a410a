//! `GET /v1/whoami`, behind the authorizer: echoes the authorizer context. Wiring only; it
//! needs no state.

use lambda_runtime::Error;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::serve_proxy_events;
use token_service::entrypoints::whoami::handle_whoami_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    serve_proxy_events(handle_whoami_request).await
}
