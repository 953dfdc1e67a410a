//! `GET /v1/whoami`: echoes the context the authorizer passed for this request (for an end user
//! with its `user_id`), so that a deployer can see the authorizer at work.

use serde_json::{Map, Value, json};

use super::authorizer::AuthorizerContext;
use super::http_function::{HttpFunction, HttpRequest};
use crate::http::HttpResponse;

/// The authorizer context of a request, only the keys the authorizer sets.
fn authorizer_context(request: &HttpRequest) -> Option<Map<String, Value>> {
    let fields = request.authorizer.as_ref()?;
    let context: Map<String, Value> = AuthorizerContext::KEYS
        .iter()
        .filter_map(|key| fields.get(*key).map(|v| (key.to_string(), v.clone())))
        .collect();
    (!context.is_empty()).then_some(context)
}

pub async fn handle_whoami_request(request: HttpRequest) -> HttpResponse {
    match authorizer_context(&request) {
        Some(context) => HttpResponse::no_store_json(200, &Value::Object(context)),
        None => HttpResponse::no_store_json(
            500,
            &json!({
                "error": "no_authorizer_context",
                "error_description": "this route received no authorizer context: attach the token service's Lambda authorizer to it"
            }),
        ),
    }
}

/// whoami holds no state.
pub struct Whoami;

impl HttpFunction for Whoami {
    fn handle(&self, request: HttpRequest) -> impl Future<Output = HttpResponse> + Send {
        handle_whoami_request(request)
    }
}
