//! The Secrets Manager rotation event, handed to [`KeyRotation`]. A failed step returns an
//! error, which Secrets Manager records as a failed rotation (and retries with the same token).

use serde::Deserialize;

use crate::domain::time::now_unix;
use crate::keys::rotation::{KeyRotation, RotationError, StepOutcome};
use crate::log_safe::untrusted;

/// What Secrets Manager sends a rotation function.
#[derive(Debug, Clone, Deserialize)]
pub struct RotationEvent {
    #[serde(rename = "SecretId")]
    pub secret_id: String,
    /// The version this rotation creates and promotes.
    #[serde(rename = "ClientRequestToken")]
    pub client_request_token: String,
    #[serde(rename = "Step")]
    pub step: String,
}

pub async fn handle_rotation_event(
    rotation: &KeyRotation,
    event: RotationEvent,
) -> Result<StepOutcome, RotationError> {
    let outcome = rotation
        .run(
            &event.secret_id,
            &event.client_request_token,
            &event.step,
            now_unix(),
        )
        .await;
    let step = untrusted(&event.step);
    let version = untrusted(&event.client_request_token);
    match &outcome {
        Ok(outcome) => tracing::info!(%step, %version, ?outcome, "rotation step done"),
        Err(error) => tracing::error!(%step, %version, %error, "rotation step failed"),
    }
    outcome
}
