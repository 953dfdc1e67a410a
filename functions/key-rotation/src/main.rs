//! The Secrets Manager rotation function of the key-set secret (`createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`): wiring only.

use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::invocation::{InvocationMode, start};
use token_service::entrypoints::key_rotation::rotation_service;
use token_service::entrypoints::logging::init_logging;

fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    InvocationMode::from_env().tokio_runtime()?.block_on(async {
        let bootstrap = start(async { Bootstrap::from_env() }).await?;
        lambda_runtime::run_concurrent(rotation_service(bootstrap.key_rotation().await)).await
    })
}
