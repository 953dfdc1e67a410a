//! The Secrets Manager rotation function of the key-set secret (`createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`): wiring only.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use token_service::bootstrap::Bootstrap;
use token_service::entrypoints::key_rotation::{RotationEvent, handle_rotation_event};
use token_service::entrypoints::logging::init_logging;

// One event at a time per container: worker threads would only add wake-ups across threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let rotation = Bootstrap::from_env()?.key_rotation().await;
    run(service_fn(|event: LambdaEvent<RotationEvent>| async {
        handle_rotation_event(&rotation, event.payload)
            .await
            .map(|_| ())
            .map_err(Error::from)
    }))
    .await
}
