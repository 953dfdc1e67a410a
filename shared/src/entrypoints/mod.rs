//! The one translation layer between the events (API Gateway's through `lambda_http` and
//! `lambda_runtime`, Secrets Manager's rotation events) and the logic. Each module serves one
//! function; this one holds the `lambda_http` glue they share.

pub mod authorizer;
pub mod discovery;
pub mod key_rotation;
pub mod logging;
pub mod token;
pub mod user_token;
pub mod whoami;

use lambda_http::http::StatusCode;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;

use crate::http::HttpResponse;
use crate::oauth::TokenRequest;

/// A handler's answer as the runtime's `Result`: every outcome, failures included, is already an
/// HTTP response.
pub async fn never_fails<T>(answer: impl Future<Output = T>) -> Result<T, Infallible> {
    Ok(answer.await)
}

pub fn to_lambda_response(response: HttpResponse) -> Response<Body> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &response.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Body::Text(response.body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// The parts of a token request the OAuth endpoints read.
fn token_request(request: &Request) -> TokenRequest<'_> {
    TokenRequest {
        content_type: header(request, CONTENT_TYPE),
        authorization: header(request, AUTHORIZATION),
        body: body_bytes(request.body()),
    }
}

fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

fn header(request: &Request, name: HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}
