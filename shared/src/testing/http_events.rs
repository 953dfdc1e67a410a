//! HTTP events (what the token, discovery and whoami functions receive) as JSON text, in every
//! shape `lambda_http` reads: API Gateway HTTP API payload 2.0 and 1.0, REST API, function URLs
//! and ALB, with plain or base64-encoded bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::FORM_URLENCODED;

/// An HTTP API (payload 2.0) event.
pub fn http_api_event(
    method: &str,
    path: &str,
    headers: Value,
    body: Option<&str>,
    base64: bool,
) -> String {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "requestId": "req-1",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "23/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795435200000i64
        },
        "body": body.map(|b| if base64 { STANDARD.encode(b) } else { b.to_string() }),
        "isBase64Encoded": base64
    })
    .to_string()
}

/// An HTTP API event posting a form-encoded `body` to `path`, base64-encoded or not.
pub fn form_post_event(path: &str, body: &str, base64: bool) -> String {
    http_api_event(
        "POST",
        path,
        json!({"content-type": FORM_URLENCODED}),
        Some(body),
        base64,
    )
}

pub fn rest_api_event(method: &str, path: &str, headers: Value, body: Option<&str>) -> String {
    json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "resourceId": "res",
            "stage": "prod",
            "requestId": "req-2",
            "identity": {"sourceIp": "192.0.2.1"},
            "resourcePath": path,
            "httpMethod": method,
            "path": format!("/prod{path}"),
            "protocol": "HTTP/1.1"
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

/// An HTTP API event in payload format 1.0 (the REST API's shape with `"version": "1.0"`).
pub fn http_api_v1_event(method: &str, path: &str, headers: Value, body: Option<&str>) -> String {
    json!({
        "version": "1.0",
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "id",
            "extendedRequestId": "ext-1",
            "httpMethod": method,
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": "req-3",
            "requestTime": "23/Nov/2026:12:00:00 +0000",
            "requestTimeEpoch": 1795435200000i64,
            "resourcePath": path,
            "stage": "$default"
        },
        "pathParameters": null,
        "stageVariables": null,
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

/// A Lambda function URL event: payload 2.0 with the URL's own request context.
pub fn function_url_event(method: &str, path: &str, headers: Value, body: Option<&str>) -> String {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "requestId": "req-4",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795435200000i64
        },
        "body": body.map(|b| STANDARD.encode(b)),
        "isBase64Encoded": body.is_some()
    })
    .to_string()
}

/// An Application Load Balancer event; with `multi_value`, the target group's multi-value
/// headers are on and headers come as lists.
pub fn alb_event(
    method: &str,
    path: &str,
    headers: Value,
    body: Option<&str>,
    base64: bool,
    multi_value: bool,
) -> String {
    let encoded = body.map(|b| {
        if base64 {
            STANDARD.encode(b)
        } else {
            b.to_string()
        }
    });
    let mut event = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/token/0123456789abcdef"}},
        "httpMethod": method,
        "path": path,
        "body": encoded.unwrap_or_default(),
        "isBase64Encoded": base64
    });
    if multi_value {
        let lists: serde_json::Map<String, Value> = headers
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), json!([value])))
                    .collect()
            })
            .unwrap_or_default();
        event["multiValueHeaders"] = Value::Object(lists);
        event["multiValueQueryStringParameters"] = json!({});
    } else {
        event["headers"] = headers;
        event["queryStringParameters"] = json!({});
    }
    event.to_string()
}
