//! The Secrets Manager rotation event, handed to [`KeyRotation`]. A failed step returns an
//! error, which Secrets Manager records as a failed rotation (and retries with the same token).

use aws_lambda_events::secretsmanager::SecretsManagerSecretRotationEvent;
use lambda_runtime::{Diagnostic, LambdaEvent, Service, service_fn};
use std::sync::Arc;

use super::invocation::{DeadlineReached, within_deadline};
use crate::aws_sdk::with_trace_id;
use crate::domain::time::now_unix;
use crate::keys::rotation::{KeyRotation, RotationError, StepOutcome};
use crate::log_safe::untrusted;

/// What Secrets Manager sends a rotation function: `SecretId`, `ClientRequestToken` (the
/// version this rotation creates and promotes) and `Step`.
pub type RotationEvent = SecretsManagerSecretRotationEvent;

/// Secrets Manager records the message of a failed step (it names the step's rule, never key
/// material).
fn failed_step(error: &RotationError) -> Diagnostic {
    Diagnostic {
        error_type: "RotationError".into(),
        error_message: error.to_string(),
    }
}

/// The rotation as the service `lambda_runtime` drives. A step that reaches the invocation's
/// deadline fails (Secrets Manager retries it with the same token; every step is idempotent).
pub fn rotation_service(
    rotation: KeyRotation,
) -> impl Service<LambdaEvent<RotationEvent>, Response = (), Error = Diagnostic, Future: Send + 'static>
+ Clone
+ Send
+ 'static {
    let rotation = Arc::new(rotation);
    service_fn(move |invocation: LambdaEvent<RotationEvent>| {
        let rotation = Arc::clone(&rotation);
        async move {
            let step = handle_rotation_event(&rotation, invocation.payload);
            let step = within_deadline(invocation.context.deadline, step);
            match with_trace_id(invocation.context.xray_trace_id.clone(), step).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => Err(failed_step(&error)),
                Err(DeadlineReached) => {
                    tracing::error!(error = %DeadlineReached, "rotation step failed");
                    Err(Diagnostic {
                        error_type: "RotationError".into(),
                        error_message: DeadlineReached.to_string(),
                    })
                }
            }
        }
    })
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
        .expect("a rotation event");
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
