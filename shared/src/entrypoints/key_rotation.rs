//! The Secrets Manager rotation event, handed to [`KeyRotation`]. A failed step returns an
//! error, which Secrets Manager records as a failed rotation (and retries with the same token).

use serde::Deserialize;

use crate::domain::time::now_unix;
use crate::entrypoints::runtime::InvocationError;
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

/// Secrets Manager records the message of a failed step (it names the step's rule, never key
/// material).
impl From<RotationError> for InvocationError {
    fn from(error: RotationError) -> Self {
        InvocationError::new("RotationError", error.to_string())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_manager_rotation_event_parses() {
        let event: RotationEvent = serde_json::from_str(
            r#"{"Step": "createSecret",
                "SecretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-a1b2c3",
                "ClientRequestToken": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "RotationToken": "ignored"}"#,
        )
        .unwrap();
        assert_eq!(event.step, "createSecret");
        assert_eq!(
            event.secret_id,
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-a1b2c3"
        );
        assert_eq!(
            event.client_request_token,
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        );
    }
}
