//! `POST /v1/token` and `POST /oauth/v2/token`: wiring only.

use lambda_runtime::Error;
use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::serve_proxy_events;
use token_service::entrypoints::token::handle_token_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let endpoint = Bootstrap::from_env()?.token_endpoint().await?;
    serve_proxy_events(|request| handle_token_request(&endpoint, request)).await
}
