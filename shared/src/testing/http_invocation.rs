//! An HTTP function answering events in process as `lambda_http` drives it inside Lambda: the
//! event's JSON read by `lambda_http` (whatever its source), the function's service, and the
//! response written in the source's own format, without a Runtime API in between.

use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Context, LambdaEvent, Request, Response, Service};
use serde_json::Value;
use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::entrypoints::http_function::{HttpFunction, http_service};

/// A Lambda context whose deadline is `time_left` from now (`None`: no deadline).
pub fn lambda_context(time_left: Option<Duration>) -> Context {
    let mut context = Context::default();
    context.request_id = "req-test".into();
    if let Some(left) = time_left {
        let deadline = SystemTime::now() + left;
        context.deadline = deadline
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
    }
    context
}

pub struct HttpInvoker<S> {
    service: S,
}

impl HttpInvoker<()> {
    pub fn new<F: HttpFunction>(
        function: F,
    ) -> HttpInvoker<
        impl Service<Request, Response = Response<Body>, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + 'static,
    > {
        HttpInvoker {
            service: http_service(function),
        }
    }
}

impl<S> HttpInvoker<S>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    /// The response JSON the function would hand the Runtime API for `event`.
    pub async fn answer(&self, event: &str) -> Value {
        self.answer_within(event, lambda_context(None)).await
    }

    pub async fn answer_within(&self, event: &str, context: Context) -> Value {
        let request: LambdaRequest = serde_json::from_str(event).expect("an HTTP event");
        let mut adapter = Adapter::from(self.service.clone());
        let response = adapter
            .call(LambdaEvent::new(request, context))
            .await
            .expect("an answer");
        serde_json::to_value(&response).expect("a serialisable response")
    }
}

/// The decoded body of a response as [`HttpInvoker::answer`] returns it.
pub fn response_body(response: &Value) -> Vec<u8> {
    use base64::Engine;
    let body = response["body"].as_str().unwrap_or_default();
    if response["isBase64Encoded"] == Value::Bool(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("a base64 body")
    } else {
        body.as_bytes().to_vec()
    }
}

/// The body of a response as JSON.
pub fn response_json(response: &Value) -> Value {
    serde_json::from_slice(&response_body(response)).expect("a JSON body")
}

/// A response header, whichever of `headers` and `multiValueHeaders` carries it.
pub fn response_header(response: &Value, name: &str) -> Option<String> {
    let single = response["headers"][name].as_str().map(str::to_owned);
    single.or_else(|| {
        response["multiValueHeaders"][name]
            .as_array()
            .and_then(|values| values.first())
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}
