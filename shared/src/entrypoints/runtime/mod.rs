//! What runs a function inside Lambda: its initialisation, then the Runtime API's loop (next
//! event, handler, answer), one event at a time on a current-thread tokio runtime.
//!
//! This replaces `lambda_runtime`, whose tower layers and hyper client cost more per invocation
//! than the ES256 handler itself (README, Benchmarks > Cost per invocation). What it did that a
//! function here relies on is kept: the event parsed from the Runtime API's JSON, the answer or
//! a Lambda error posted back, panics reported as errors instead of ending the container, and
//! every log line of an invocation carrying its request id (the `Lambda runtime invoke` span
//! with `requestId`, as before, now at every log level). X-Ray is not enabled by the template, so the trace id is not
//! copied into `_X_AMZN_TRACE_ID`.

mod api_client;

pub use api_client::{Delivery, RuntimeApiClient, RuntimeApiError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::borrow::Cow;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::http::HttpResponse;
use crate::log_safe::untrusted;

use super::proxy::{ProxyRequest, ProxyResponse};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Api(#[from] RuntimeApiError),
    #[error("starting the tokio runtime: {0}")]
    Tokio(#[source] std::io::Error),
    #[error("the function could not start: {0}")]
    Init(String),
}

/// The Lambda error type of an event the function could not read.
/// A failed invocation as Lambda reports it: `errorType` and `errorMessage`. API Gateway and
/// Secrets Manager read them (an authorizer's exact `Unauthorized` is a 401 on REST APIs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    pub error_type: Cow<'static, str>,
    pub message: String,
}

impl InvocationError {
    pub fn new(error_type: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        InvocationError {
            error_type: error_type.into(),
            message: message.into(),
        }
    }
}

impl From<std::convert::Infallible> for InvocationError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

const UNREADABLE_EVENT: &str = "Runtime.UnmarshalError";
const HANDLER_PANIC: &str = "Runtime.HandlerPanic";
const INIT_FAILURE: &str = "Runtime.InitError";

pub struct FunctionRuntime {
    api: RuntimeApiClient,
    tokio: tokio::runtime::Runtime,
    /// The serialised answer, kept across invocations.
    answer: Vec<u8>,
}

impl FunctionRuntime {
    /// The Runtime API named by `AWS_LAMBDA_RUNTIME_API`, and the tokio runtime the handlers
    /// and the AWS SDK run on.
    pub fn from_env() -> Result<Self, RuntimeError> {
        Ok(Self::new(RuntimeApiClient::from_env()?, tokio_runtime()?))
    }

    pub fn new(api: RuntimeApiClient, tokio: tokio::runtime::Runtime) -> Self {
        FunctionRuntime {
            api,
            tokio,
            answer: Vec::with_capacity(4096),
        }
    }

    /// Runs the function's start-up (configuration, SDK clients, keys). A failure is reported
    /// to Lambda as an init error and returned, so that the process ends.
    pub fn init<T, E, F>(&mut self, start: F) -> Result<T, RuntimeError>
    where
        E: Display,
        F: Future<Output = Result<T, E>>,
    {
        self.tokio.block_on(start).or_else(|error| {
            let message = error.to_string();
            tracing::error!(error = %message, "the function could not start");
            self.api.report_init_error(INIT_FAILURE, &message)?;
            Err(RuntimeError::Init(message))
        })
    }

    /// Serves events of type `E` with `handler` until the Runtime API fails. A handler error
    /// is posted as the invocation's error, with the error's type as its Lambda error type.
    pub fn serve<E, R, Err, F, Fut>(self, handler: F) -> Result<(), RuntimeError>
    where
        E: DeserializeOwned,
        R: Serialize,
        Err: Into<InvocationError>,
        F: FnMut(E) -> Fut,
        Fut: Future<Output = Result<R, Err>>,
    {
        self.serve_events(
            |json| {
                // The message names the JSON error's position, never the event's text: an
                // event may carry credentials.
                serde_json::from_slice(json).map_err(|error| {
                    InvocationError::new(UNREADABLE_EVENT, format!("unreadable event: {error}"))
                })
            },
            handler,
        )
    }

    /// [`serve`](Self::serve) with the events read from the invocation's JSON by `read`, for
    /// handlers that read only part of a large event (the authorizer).
    pub fn serve_events<E, R, Err, P, F, Fut>(
        mut self,
        mut read: P,
        mut handler: F,
    ) -> Result<(), RuntimeError>
    where
        R: Serialize,
        Err: Into<InvocationError>,
        P: FnMut(&[u8]) -> Result<E, InvocationError>,
        F: FnMut(E) -> Fut,
        Fut: Future<Output = Result<R, Err>>,
    {
        loop {
            let invocation = self.api.next_invocation()?;
            let request_id = invocation.request_id.to_owned();
            // At ERROR, so that every line of the invocation names it, whatever the level.
            let span = tracing::error_span!("Lambda runtime invoke", requestId = %request_id);
            let _in_invocation = span.enter();
            let outcome = match read(invocation.event) {
                Ok(event) => {
                    let answer = handler(event);
                    catch_unwind(AssertUnwindSafe(|| self.tokio.block_on(answer)))
                        .map_err(|panic| {
                            InvocationError::new(HANDLER_PANIC, panic_message(panic.as_ref()))
                        })
                        .and_then(|outcome| outcome.map_err(Into::into))
                }
                Err(error) => Err(error),
            };
            let delivery = match outcome {
                Ok(answer) => {
                    self.answer.clear();
                    match serde_json::to_writer(&mut self.answer, &answer) {
                        Ok(()) => self.api.respond(&request_id, &self.answer)?,
                        Err(error) => self.report_error(
                            &request_id,
                            &InvocationError::new(
                                "Runtime.SerializationError",
                                format!("the answer could not be written: {error}"),
                            ),
                        )?,
                    }
                }
                Err(error) => self.report_error(&request_id, &error)?,
            };
            if let Delivery::Refused(status) = delivery {
                tracing::error!(status, "the Runtime API refused the invocation's answer");
            }
        }
    }

    /// [`serve`](Self::serve) for API Gateway proxy events: every outcome, failures included,
    /// is already an HTTP response.
    pub fn serve_proxy_events<F, Fut>(self, handler: F) -> Result<(), RuntimeError>
    where
        F: Fn(ProxyRequest) -> Fut,
        Fut: Future<Output = HttpResponse>,
    {
        self.serve(|request: ProxyRequest| {
            let payload_v2 = request.payload_v2;
            let answer = handler(request);
            async move {
                Ok::<_, std::convert::Infallible>(ProxyResponse {
                    response: answer.await,
                    payload_v2,
                })
            }
        })
    }

    fn report_error(
        &mut self,
        request_id: &str,
        error: &InvocationError,
    ) -> Result<Delivery, RuntimeError> {
        tracing::error!(
            error_type = %error.error_type,
            error = %untrusted(&error.message),
            "the invocation failed"
        );
        Ok(self
            .api
            .report_error(request_id, &error.error_type, &error.message)?)
    }
}

/// One thread: a function serves one event at a time, and worker threads would only add
/// wake-ups across threads (README, Benchmarks).
pub fn tokio_runtime() -> Result<tokio::runtime::Runtime, RuntimeError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RuntimeError::Tokio)
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    format!("the handler panicked: {detail}")
}
