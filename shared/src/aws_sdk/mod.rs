//! The AWS SDK as the adapters use it: one [`aws_config::SdkConfig`] per container with
//! [`timeouts`] that end a call inside the invocation, and DynamoDB and Secrets Manager clients
//! that send each invocation's X-Ray trace id ([`trace`]) even when invocations run
//! concurrently in one process. [`crate::bootstrap`] builds every client through here; tests
//! build theirs the same way, pointed at their own endpoints.

pub mod timeouts;
pub mod trace;

pub use timeouts::SdkTimeouts;
pub use trace::{TraceIdInterceptor, current_trace_id, with_trace_id};

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};

/// The SDK's default configuration chain (region, credentials, `AWS_ENDPOINT_URL`, …) with
/// `timeouts`; a caller may add to it before `load()`.
pub fn config_loader(timeouts: &SdkTimeouts) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.timeout_config())
}

/// A DynamoDB client on `config` that sends the invocation's trace id.
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(TraceIdInterceptor)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A Secrets Manager client on `config` that sends the invocation's trace id.
pub fn secrets_manager_client(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::config::Builder::from(config)
        .interceptor(TraceIdInterceptor)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}
