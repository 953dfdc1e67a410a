//! `GET /v1/whoami`, behind the authorizer: echoes the authorizer context. Wiring only.

use lambda_http::{Error, Request, run, service_fn};
use token_service::entrypoints::whoami::handle_whoami_request;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handle_whoami_request(&request))
    }))
    .await
}
