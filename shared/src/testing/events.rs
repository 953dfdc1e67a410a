//! API Gateway authorizer events as tests need them: the fixtures under `shared/tests/fixtures/`
//! (also what a deployer sends with `cargo lambda invoke --data-file`), with their `{{TOKEN}}`
//! placeholder filled in and their route and headers rewritten per test; and the IAM policy a
//! REST API or HTTP API 1.0 authorizer answers with.

use serde_json::{Value, json};
use std::path::PathBuf;

/// The authorizer event shapes, each with its fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// HTTP API, payload format 2.0.
    HttpApiV2,
    /// HTTP API, payload format 1.0.
    HttpApiV1,
    /// REST API `TOKEN` authorizer.
    RestToken,
    /// REST API `REQUEST` authorizer.
    RestRequest,
}

pub const ALL_SHAPES: [Shape; 4] = [
    Shape::HttpApiV2,
    Shape::HttpApiV1,
    Shape::RestToken,
    Shape::RestRequest,
];

impl Shape {
    pub fn fixture_name(self) -> &'static str {
        match self {
            Shape::HttpApiV2 => "authorizer-http-api-v2.json",
            Shape::HttpApiV1 => "authorizer-http-api-v1.json",
            Shape::RestToken => "authorizer-rest-token.json",
            Shape::RestRequest => "authorizer-rest-request.json",
        }
    }

    fn arn_field(self) -> &'static str {
        match self {
            Shape::HttpApiV2 => "routeArn",
            _ => "methodArn",
        }
    }
}

/// `shared/tests/fixtures/`, wherever the test that asks runs from.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture_text(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture with `{{TOKEN}}` replaced: the event API Gateway sends for `GET /v1/whoami` with
/// `Authorization: Bearer <token>`.
pub fn event_with_token(shape: Shape, token: &str) -> Value {
    let text = fixture_text(shape.fixture_name()).replace("{{TOKEN}}", token);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", shape.fixture_name()))
}

/// An event for `method path` carrying exactly the given `Authorization` header value and API
/// key (`None`: the header is absent), built from the shape's fixture.
pub fn event(
    shape: Shape,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    api_key: Option<&str>,
) -> Value {
    let mut e = event_with_token(shape, "placeholder");
    set_route(shape, &mut e, method, path);
    set_authorization(shape, &mut e, authorization);
    if let Some(key) = api_key {
        set_header(shape, &mut e, "X-Api-Key", Some(key));
    }
    e
}

/// The route ARN the event names: what a policy answer must name as its resource.
pub fn route_arn(shape: Shape, e: &Value) -> String {
    e[shape.arn_field()]
        .as_str()
        .unwrap_or_else(|| panic!("{shape:?} events carry {}", shape.arn_field()))
        .to_string()
}

/// The IAM policy answer of REST API and HTTP API 1.0 authorizers (and HTTP API 2.0 in IAM
/// mode): one statement, `effect` (`Allow` or `Deny`) on `arn`.
pub fn iam_policy(principal: &str, effect: &str, arn: &str) -> Value {
    json!({"principalId": principal, "policyDocument": {"Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}]}})
}

/// Points the event at another route, everywhere the event names it.
pub fn set_route(shape: Shape, e: &mut Value, method: &str, path: &str) {
    let arn = route_arn(shape, e);
    // arn:aws:execute-api:region:account:api/stage/METHOD/path
    let (prefix, resource) = arn.rsplit_once(':').expect("an execute-api ARN");
    let mut parts = resource.splitn(3, '/');
    let (api, stage) = (
        parts.next().expect("the API id in the ARN"),
        parts.next().expect("the stage in the ARN"),
    );
    e[shape.arn_field()] = json!(format!("{prefix}:{api}/{stage}/{method}{path}"));
    match shape {
        Shape::HttpApiV2 => {
            e["rawPath"] = json!(path);
            e["routeKey"] = json!(format!("{method} {path}"));
            e["requestContext"]["http"]["method"] = json!(method);
            e["requestContext"]["http"]["path"] = json!(path);
            e["requestContext"]["routeKey"] = json!(format!("{method} {path}"));
        }
        Shape::HttpApiV1 | Shape::RestRequest => {
            e["path"] = json!(path);
            e["resource"] = json!(path);
            e["httpMethod"] = json!(method);
            e["requestContext"]["httpMethod"] = json!(method);
            e["requestContext"]["resourcePath"] = json!(path);
        }
        Shape::RestToken => {}
    }
}

/// Sets (or, with `None`, removes) the `Authorization` header.
pub fn set_authorization(shape: Shape, e: &mut Value, value: Option<&str>) {
    match shape {
        Shape::RestToken => match value {
            Some(v) => e["authorizationToken"] = json!(v),
            None => {
                e.as_object_mut()
                    .expect("an event object")
                    .remove("authorizationToken");
            }
        },
        Shape::HttpApiV2 => {
            e["identitySource"] = json!(value.into_iter().collect::<Vec<_>>());
            set_header(shape, e, "authorization", value);
        }
        Shape::HttpApiV1 => {
            e["identitySource"] = json!(value.unwrap_or(""));
            e["authorizationToken"] = json!(value.unwrap_or(""));
            set_header(shape, e, "authorization", value);
        }
        Shape::RestRequest => set_header(shape, e, "Authorization", value),
    }
}

/// Sets or removes a header as the shape carries headers (HTTP API 2.0 lower-cases names; REST
/// API REQUEST events also carry `multiValueHeaders`).
pub fn set_header(shape: Shape, e: &mut Value, name: &str, value: Option<&str>) {
    let name = match shape {
        Shape::HttpApiV2 | Shape::HttpApiV1 => name.to_ascii_lowercase(),
        _ => name.to_string(),
    };
    for (field, multi) in [("headers", false), ("multiValueHeaders", true)] {
        if multi && shape != Shape::RestRequest {
            continue;
        }
        let headers = e[field]
            .as_object_mut()
            .unwrap_or_else(|| panic!("{shape:?} events carry {field}"));
        match value {
            Some(v) if multi => {
                headers.insert(name.clone(), json!([v]));
            }
            Some(v) => {
                headers.insert(name.clone(), json!(v));
            }
            None => {
                headers.remove(&name);
            }
        }
    }
}
