//! The HTTP functions (token, user token, discovery, whoami) on `lambda_http`: its request in,
//! the plain [`HttpRequest`] the endpoints read, filled here and nowhere else; their
//! [`HttpResponse`] out as its response, which `lambda_http` writes in the format of whatever
//! sent the event (API Gateway REST, HTTP API payload 1.0 and 2.0, function URLs, ALB with
//! its `statusDescription`). Request bodies that the source base64-encoded arrive decoded.

use lambda_http::http;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, Service, service_fn};
use serde_json::{Map, Value};
use std::convert::Infallible;
use std::sync::Arc;

use super::invocation::{DeadlineReached, within_deadline};
use crate::aws_sdk::with_trace_id;
use crate::http::HttpResponse;
use crate::oauth::{OAuthError, TokenRequest};

/// One request, reduced to what the endpoints read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request path; under a REST API stage it may carry the stage prefix.
    pub path: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
    /// The authorizer's context: `requestContext.authorizer.lambda` on HTTP APIs (payload 2.0),
    /// `requestContext.authorizer` on REST APIs; `None` elsewhere (ALB, function URLs).
    pub authorizer: Option<Map<String, Value>>,
}

impl HttpRequest {
    pub fn from_lambda(request: Request) -> Self {
        let (mut parts, body) = request.into_parts();
        let authorizer = parts
            .extensions
            .remove::<RequestContext>()
            .and_then(authorizer_context);
        let header = |name| single_header(&parts.headers, name);
        HttpRequest {
            content_type: header(http::header::CONTENT_TYPE),
            authorization: header(http::header::AUTHORIZATION),
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            body: match body {
                Body::Empty => Vec::new(),
                Body::Text(text) => text.into_bytes(),
                Body::Binary(bytes) => bytes,
                // `Body` is non-exhaustive; a body of a kind not known here is refused as
                // empty, as a malformed request.
                _ => Vec::new(),
            },
            authorizer,
        }
    }

    /// The parts of a token request the OAuth endpoints read.
    pub fn token_request(&self) -> TokenRequest<'_> {
        TokenRequest {
            content_type: self.content_type.as_deref(),
            authorization: self.authorization.as_deref(),
            body: &self.body,
        }
    }
}

/// A header sent exactly once; one sent twice is ambiguous and reads as absent (deny by
/// default), as does one that is not visible ASCII.
fn single_header(headers: &http::HeaderMap, name: http::header::HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().map(str::to_owned),
        _ => None,
    }
}

fn authorizer_context(context: RequestContext) -> Option<Map<String, Value>> {
    let fields = match context {
        RequestContext::ApiGatewayV2(context) => context.authorizer?.fields,
        RequestContext::ApiGatewayV1(context) => context.authorizer.fields,
        _ => return None,
    };
    (!fields.is_empty()).then(|| fields.into_iter().collect())
}

/// An endpoint's answer as `lambda_http`'s response. A header our code could not write (never
/// expected: every value is ours) is a 500, not a panic.
pub fn lambda_response(response: HttpResponse) -> Response<Body> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in response.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Body::from(response.body))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "the response could not be written");
            let mut failed =
                Response::new(Body::from(OAuthError::server_error().to_response().body));
            *failed.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            failed
        })
}

/// What an HTTP function serves; one per container, shared by the invocations in flight.
pub trait HttpFunction: Send + Sync + 'static {
    fn handle(&self, request: HttpRequest) -> impl Future<Output = HttpResponse> + Send;
}

/// `function` as the service `lambda_http::run` and `run_concurrent` drive: each request read
/// into an [`HttpRequest`], its AWS calls carrying the invocation's X-Ray trace id, answered
/// within the invocation's deadline (after it, a 503 with
/// `Retry-After`, before Lambda would cut the invocation off with a non-JSON gateway error).
pub fn http_service<F: HttpFunction>(
    function: F,
) -> impl Service<Request, Response = Response<Body>, Error = Infallible, Future: Send + 'static>
+ Clone
+ Send
+ 'static {
    let function = Arc::new(function);
    service_fn(move |request: Request| {
        let function = Arc::clone(&function);
        async move {
            let (deadline, trace_id) = request.lambda_context_ref().map_or((0, None), |context| {
                (context.deadline, context.xray_trace_id.clone())
            });
            let request = HttpRequest::from_lambda(request);
            let answer = within_deadline(deadline, function.handle(request));
            let response = match with_trace_id(trace_id, answer).await {
                Ok(response) => response,
                Err(DeadlineReached) => {
                    tracing::error!("the request ran out of time");
                    OAuthError::temporarily_unavailable().to_response()
                }
            };
            Ok::<_, Infallible>(lambda_response(response))
        }
    })
}
