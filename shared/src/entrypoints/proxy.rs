//! API Gateway proxy-integration events (REST API and HTTP API payload 1.0, HTTP API payload
//! 2.0) in, proxy responses out, read straight from and written straight to the Runtime API's
//! JSON: only what the functions use is kept (method, path, `Content-Type`, `Authorization`,
//! the body, and for whoami the authorizer context). `lambda_http` would build a whole
//! `http::Request` with every header, query map and request context first, several times the
//! cost of the handler's own parsing on every invocation (README, Benchmarks).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{DeserializeSeed, Deserializer};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::headers::PickHeaders;
use crate::http::HttpResponse;
use crate::oauth::TokenRequest;

/// One proxy event, reduced to what the functions read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawEvent")]
pub struct ProxyRequest {
    /// `GET`, `POST`, …; empty when the event names none.
    pub method: String,
    /// The request path; under a REST API stage it may carry the stage prefix.
    pub path: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// The body as sent: base64 decoded when API Gateway encoded it, empty when it could not be
    /// decoded (the handlers then refuse the request as malformed).
    pub body: Vec<u8>,
    /// The authorizer's context: `requestContext.authorizer.lambda` on HTTP APIs (payload 2.0),
    /// `requestContext.authorizer` on REST APIs.
    pub authorizer: Option<Map<String, Value>>,
    /// An HTTP API payload 2.0 event (answered with its response format).
    pub payload_v2: bool,
}

impl ProxyRequest {
    /// The parts of a token request the OAuth endpoints read.
    pub fn token_request(&self) -> TokenRequest<'_> {
        TokenRequest {
            content_type: self.content_type.as_deref(),
            authorization: self.authorization.as_deref(),
            body: &self.body,
        }
    }
}

/// What API Gateway sends, in both payload versions.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    /// Payload 2.0.
    #[serde(default)]
    raw_path: Option<String>,
    /// REST API and payload 1.0.
    #[serde(default)]
    path: Option<String>,
    /// REST API and payload 1.0.
    #[serde(default)]
    http_method: Option<String>,
    #[serde(default)]
    request_context: Option<RawContext>,
    #[serde(default)]
    headers: WantedHeaders,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

#[derive(Deserialize)]
struct RawContext {
    /// Payload 2.0: `{"method", "path", …}`.
    #[serde(default)]
    http: Option<RawHttp>,
    #[serde(default)]
    authorizer: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct RawHttp {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

impl From<RawEvent> for ProxyRequest {
    fn from(raw: RawEvent) -> Self {
        let (context_method, context_path, authorizer) = match raw.request_context {
            Some(context) => {
                let (method, path) = context
                    .http
                    .map_or((None, None), |http| (http.method, http.path));
                (method, path, context.authorizer)
            }
            None => (None, None, None),
        };
        let is_payload_v2 = raw.raw_path.is_some();
        let authorizer = authorizer.and_then(|mut fields| {
            if is_payload_v2 {
                match fields.remove("lambda") {
                    Some(Value::Object(lambda)) => Some(lambda),
                    _ => None,
                }
            } else {
                Some(fields)
            }
        });
        let body = match (raw.body, raw.is_base64_encoded) {
            (None, _) => Vec::new(),
            (Some(text), false) => text.into_bytes(),
            (Some(encoded), true) => STANDARD.decode(encoded).unwrap_or_default(),
        };
        ProxyRequest {
            // Each payload version's own field first: an event may carry both (`cargo lambda
            // watch` sends a 2.0 event with a `httpMethod` of GET whatever the request's).
            method: if is_payload_v2 {
                context_method.or(raw.http_method)
            } else {
                raw.http_method.or(context_method)
            }
            .unwrap_or_default(),
            path: raw
                .raw_path
                .or(raw.path)
                .or(context_path)
                .unwrap_or_default(),
            content_type: raw.headers.content_type,
            authorization: raw.headers.authorization,
            body,
            authorizer,
            payload_v2: is_payload_v2,
        }
    }
}

/// The two request headers the functions read (see [`PickHeaders`]).
#[derive(Default)]
struct WantedHeaders {
    content_type: Option<String>,
    authorization: Option<String>,
}

impl<'de> Deserialize<'de> for WantedHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let [content_type, authorization] =
            PickHeaders(["content-type", "authorization"]).deserialize(deserializer)?;
        Ok(WantedHeaders {
            content_type,
            authorization,
        })
    }
}

/// A handler's answer as a proxy-integration response: `statusCode`, `headers`, `body`,
/// `isBase64Encoded`, and for payload 2.0 the `cookies` list that format defines (none are set;
/// strict readers of that format, such as `cargo lambda watch`, require the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub response: HttpResponse,
    pub payload_v2: bool,
}

impl Serialize for ProxyResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.payload_v2 { 5 } else { 4 };
        let mut out = serializer.serialize_struct("ProxyResponse", fields)?;
        out.serialize_field("statusCode", &self.response.status)?;
        out.serialize_field("headers", &Headers(&self.response.headers))?;
        out.serialize_field("body", &self.response.body)?;
        out.serialize_field("isBase64Encoded", &false)?;
        if self.payload_v2 {
            out.serialize_field("cookies", &[] as &[&str])?;
        }
        out.end()
    }
}

struct Headers<'a>(&'a [(&'static str, String)]);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(event: Value) -> ProxyRequest {
        serde_json::from_value(event).expect("a proxy event")
    }

    #[test]
    fn an_http_api_event_gives_its_method_path_wanted_headers_and_body() {
        let request = parsed(json!({
            "version": "2.0",
            "rawPath": "/v1/token",
            "headers": {"Content-Type": "application/x-www-form-urlencoded", "x-other": "1",
                        "authorization": "Basic YTpi"},
            "requestContext": {"http": {"method": "POST", "path": "/v1/token"}},
            "body": "Z3JhbnRfdHlwZT1jbGllbnRfY3JlZGVudGlhbHM=",
            "isBase64Encoded": true
        }));
        assert_eq!(
            request,
            ProxyRequest {
                method: "POST".into(),
                path: "/v1/token".into(),
                content_type: Some("application/x-www-form-urlencoded".into()),
                authorization: Some("Basic YTpi".into()),
                body: b"grant_type=client_credentials".to_vec(),
                authorizer: None,
                payload_v2: true,
            }
        );
    }

    #[test]
    fn a_rest_event_with_null_headers_and_body_is_empty_but_routed() {
        let request = parsed(json!({
            "resource": "/v1/token", "path": "/prod/v1/token", "httpMethod": "GET",
            "headers": null, "multiValueHeaders": null, "body": null, "isBase64Encoded": false,
            "requestContext": {"authorizer": {"client_id": "c", "principalId": "c"}}
        }));
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/prod/v1/token");
        assert_eq!(request.content_type, None);
        assert!(request.body.is_empty());
        assert_eq!(request.authorizer.expect("context")["client_id"], "c");
    }

    #[test]
    fn an_http_api_authorizer_context_is_the_lambda_part() {
        let request = parsed(json!({
            "rawPath": "/v1/whoami",
            "requestContext": {"http": {"method": "GET"},
                               "authorizer": {"lambda": {"client_id": "c"}}}
        }));
        assert_eq!(
            request.authorizer,
            Some(Map::from_iter([("client_id".into(), json!("c"))]))
        );
    }

    #[test]
    fn a_payload_v2_event_takes_its_method_from_the_request_context() {
        let request = parsed(json!({
            "version": "2.0", "rawPath": "/v1/token", "httpMethod": "GET",
            "requestContext": {"http": {"method": "POST"}}
        }));
        assert_eq!(request.method, "POST");
    }

    #[test]
    fn a_body_that_is_not_base64_reads_as_empty() {
        let request =
            parsed(json!({"rawPath": "/v1/token", "body": "%%%", "isBase64Encoded": true}));
        assert!(request.body.is_empty());
    }

    #[test]
    fn a_response_has_the_shape_of_the_payload_version_it_answers() {
        let response = |payload_v2| {
            let answer = ProxyResponse {
                response: HttpResponse::no_store_empty(200),
                payload_v2,
            };
            serde_json::to_value(&answer).expect("serializes")
        };
        let headers = json!({"cache-control": "no-store", "pragma": "no-cache"});
        assert_eq!(
            response(false),
            json!({"statusCode": 200, "headers": headers, "body": "", "isBase64Encoded": false})
        );
        assert_eq!(
            response(true),
            json!({"statusCode": 200, "headers": headers, "body": "", "isBase64Encoded": false,
                   "cookies": []})
        );
    }
}
