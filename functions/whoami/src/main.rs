//! `GET /v1/whoami`, behind the authorizer: echoes the authorizer context. Wiring only; it
//! needs no state.

use lambda_http::{Error, run, service_fn};
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::never_fails;
use token_service::entrypoints::whoami::handle_whoami_request;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    run(service_fn(|request| {
        never_fails(handle_whoami_request(request))
    }))
    .await
}
