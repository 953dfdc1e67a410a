//! API Gateway proxy events (what the token, discovery and whoami functions receive) as JSON
//! text: HTTP API payload 2.0 and REST API, with plain or base64-encoded bodies.

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
