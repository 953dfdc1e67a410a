//! The events API Gateway sends, from the recorded templates under `tests/benches/events/`
//! (HTTP API payload 2.0 and REST proxy) and the authorizer fixtures under
//! `shared/tests/fixtures/`, rewritten for one request each.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// How API Gateway hands an HTTP request to a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    /// HTTP API, payload format 2.0. It base64-encodes form bodies.
    HttpApiV2,
    /// REST API proxy integration (payload 1.0). Form bodies arrive as text.
    Rest,
}

impl Gateway {
    pub fn label(self) -> &'static str {
        match self {
            Gateway::HttpApiV2 => "HTTP API 2.0",
            Gateway::Rest => "REST",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Gateway::HttpApiV2 => "http-api-v2.json",
            Gateway::Rest => "rest-v1.json",
        }
    }
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/events")
}

/// `method path` with these headers (names as a browser sends them; lower-cased for HTTP APIs)
/// and, for a POST, a form body.
pub fn http_request(
    gateway: Gateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> Vec<u8> {
    let mut event = read_json(events_dir().join(gateway.template()));
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(form) = form {
        all.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        all.push(("Content-Length".into(), form.len().to_string()));
    }
    match gateway {
        Gateway::HttpApiV2 => {
            let route = format!("{method} {path}");
            event["routeKey"] = json!(route);
            event["rawPath"] = json!(path);
            event["requestContext"]["routeKey"] = json!(route);
            event["requestContext"]["http"]["method"] = json!(method);
            event["requestContext"]["http"]["path"] = json!(path);
            let map = object(&mut event["headers"]);
            for (name, value) in all {
                map.insert(name.to_ascii_lowercase(), json!(value));
            }
            match form {
                Some(form) => {
                    event["body"] = json!(STANDARD.encode(form));
                    event["isBase64Encoded"] = json!(true);
                }
                None => {
                    map.remove("content-length");
                }
            }
        }
        Gateway::Rest => {
            event["resource"] = json!(path);
            event["path"] = json!(path);
            event["httpMethod"] = json!(method);
            event["requestContext"]["resourcePath"] = json!(path);
            event["requestContext"]["httpMethod"] = json!(method);
            event["requestContext"]["path"] = json!(format!("/prod{path}"));
            for (name, value) in &all {
                object(&mut event["headers"]).insert(name.clone(), json!(value));
                object(&mut event["multiValueHeaders"]).insert(name.clone(), json!([value]));
            }
            event["body"] = form.map_or(Value::Null, |form| json!(form));
        }
    }
    serde_json::to_vec(&event).expect("events serialize")
}

/// An HTTP request as it reaches a route behind the authorizer: with the context the authorizer
/// returned (`requestContext.authorizer.lambda` on HTTP APIs, `requestContext.authorizer` on
/// REST APIs).
pub fn authorized_request(gateway: Gateway, method: &str, path: &str, context: Value) -> Vec<u8> {
    let mut event: Value =
        serde_json::from_slice(&http_request(gateway, method, path, &[], None)).expect("JSON");
    event["requestContext"]["authorizer"] = match gateway {
        Gateway::HttpApiV2 => json!({ "lambda": context }),
        Gateway::Rest => context,
    };
    serde_json::to_vec(&event).expect("events serialize")
}

fn object(value: &mut Value) -> &mut Map<String, Value> {
    value
        .as_object_mut()
        .expect("the template's headers are an object")
}

/// The authorizer fixture `name` of `shared/tests/fixtures/` with `{{TOKEN}}` filled in.
pub fn authorizer_event(name: &str, token: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.replace("{{TOKEN}}", token).into_bytes()
}
