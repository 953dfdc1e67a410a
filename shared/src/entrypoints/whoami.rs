//! `GET /v1/whoami`: echoes the context the authorizer passed for this request (for an end user
//! with its `user_id`), so that a deployer can see the authorizer at work.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value, json};

use super::authorizer::AuthorizerContext;
use super::to_lambda_response;
use crate::http::HttpResponse;

/// The authorizer context of a request: `requestContext.authorizer.lambda` on HTTP APIs, the
/// flattened `requestContext.authorizer` on REST APIs. Only the keys the authorizer sets.
fn authorizer_context(request: &Request) -> Option<Map<String, Value>> {
    let fields = match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => &context.authorizer.as_ref()?.fields,
        RequestContext::ApiGatewayV1(context) => &context.authorizer.fields,
        _ => return None,
    };
    let context: Map<String, Value> = AuthorizerContext::KEYS
        .iter()
        .filter_map(|key| fields.get(*key).map(|v| (key.to_string(), v.clone())))
        .collect();
    (!context.is_empty()).then_some(context)
}

pub async fn handle_whoami_request(request: Request) -> Response<Body> {
    let response = match authorizer_context(&request) {
        Some(context) => HttpResponse::no_store_json(200, &Value::Object(context)),
        None => HttpResponse::no_store_json(
            500,
            &json!({
                "error": "no_authorizer_context",
                "error_description": "this route received no authorizer context: attach the token service's Lambda authorizer to it"
            }),
        ),
    };
    to_lambda_response(response)
}
