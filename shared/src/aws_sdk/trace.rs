//! The invocation's X-Ray trace id on every AWS call it makes.
//!
//! The SDK's recursion-detection interceptor copies the process-wide `_X_AMZN_TRACE_ID` into
//! `x-amzn-trace-id`. With `AWS_LAMBDA_MAX_CONCURRENCY` > 1 several invocations share the
//! process, so one variable cannot name each invocation's trace: the id travels with the
//! invocation's future instead (a tokio task-local), and [`TraceIdInterceptor`] writes it on the
//! request before recursion detection looks, which then leaves the header alone.

use std::future::Future;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

tokio::task_local! {
    static TRACE_ID: Option<String>;
}

/// Runs `f` — one invocation's handler — with `trace_id` (the Lambda context's
/// `xray_trace_id`) as the trace id of every DynamoDB and Secrets Manager call it awaits, as
/// `entrypoints` does around every invocation.
///
/// The id belongs to `f`'s own task: a task that `f` spawns does not inherit it (wrap that task
/// in its own `with_trace_id`). `None` or an empty id sends none of ours, and the SDK falls back
/// to `_X_AMZN_TRACE_ID`, which in one-at-a-time mode is the same invocation's id. Scopes nest;
/// the innermost wins.
pub async fn with_trace_id<F: Future>(trace_id: Option<String>, f: F) -> F::Output {
    TRACE_ID
        .scope(trace_id.filter(|id| !id.is_empty()), f)
        .await
}

/// The trace id of the invocation running on this task, if [`with_trace_id`] set one.
pub fn current_trace_id() -> Option<String> {
    TRACE_ID.try_with(Clone::clone).ok().flatten()
}

/// Sets `x-amzn-trace-id` from [`current_trace_id`]; registered on every client
/// [`super::dynamodb_client`] and [`super::secrets_manager_client`] build.
#[derive(Debug, Default, Clone, Copy)]
pub struct TraceIdInterceptor;

impl Intercept for TraceIdInterceptor {
    fn name(&self) -> &'static str {
        "TraceIdInterceptor"
    }

    /// Runs once per operation, before the checkpoint every retry rewinds to, so every attempt
    /// carries the header; and before `modify_before_signing`, where recursion detection adds
    /// the env var's id only when the header is absent — so ours wins whatever the order the
    /// SDK runs interceptors in within a hook.
    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(trace_id) = current_trace_id() else {
            return Ok(());
        };
        // An id that is no header value (the Runtime API sent it as one, so only a caller's
        // mistake) is dropped rather than failing the call: tracing must not cost a request.
        if context
            .request_mut()
            .headers_mut()
            .try_insert(TRACE_ID_HEADER, trace_id)
            .is_err()
        {
            tracing::debug!("the invocation's trace id is not a header value; not sent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str =
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    #[tokio::test]
    async fn the_id_is_seen_inside_its_scope_only() {
        assert_eq!(current_trace_id(), None);
        let inside = with_trace_id(Some(TRACE.into()), async { current_trace_id() }).await;
        assert_eq!(inside.as_deref(), Some(TRACE));
        assert_eq!(current_trace_id(), None);
    }

    #[tokio::test]
    async fn an_empty_id_is_no_id_and_inner_scopes_win() {
        assert_eq!(
            with_trace_id(Some(String::new()), async { current_trace_id() }).await,
            None
        );
        let inner = with_trace_id(Some("outer".into()), async {
            with_trace_id(Some("inner".into()), async { current_trace_id() }).await
        })
        .await;
        assert_eq!(inner.as_deref(), Some("inner"));
        let cleared = with_trace_id(Some("outer".into()), async {
            with_trace_id(None, async { current_trace_id() }).await
        })
        .await;
        assert_eq!(cleared, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scopes_are_per_task_on_a_multi_thread_runtime() {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                tokio::spawn(with_trace_id(Some(format!("trace-{i}")), async move {
                    for _ in 0..10 {
                        tokio::task::yield_now().await;
                        assert_eq!(current_trace_id(), Some(format!("trace-{i}")));
                    }
                }))
            })
            .collect();
        for task in tasks {
            task.await.expect("the task ran to its end");
        }
    }
}
