//! The Secrets Manager rotation function of the key-set secret (`createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`): wiring only.

use token_service::bootstrap::{Bootstrap, BootstrapError};
use token_service::entrypoints::key_rotation::{RotationEvent, handle_rotation_event};
use token_service::entrypoints::logging::init_logging;
use token_service::entrypoints::runtime::{FunctionRuntime, RuntimeError};

fn main() -> Result<(), RuntimeError> {
    init_logging();
    let mut runtime = FunctionRuntime::from_env()?;
    let rotation = runtime
        .init(async { Ok::<_, BootstrapError>(Bootstrap::from_env()?.key_rotation().await) })?;
    runtime.serve(|event: RotationEvent| async {
        handle_rotation_event(&rotation, event).await.map(|_| ())
    })
}
