//! `POST /v2/token` (password and refresh_token grants) and `POST /v2/revoke`: wiring only.

use lambda_runtime::Error;
use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::serve_proxy_events;
use token_service::entrypoints::user_token::handle_user_token_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let endpoint = Bootstrap::from_env()?.user_token_endpoint().await?;
    serve_proxy_events(|request| handle_user_token_request(&endpoint, request)).await
}
