//! The four event shapes API Gateway sends a Lambda authorizer, read into one
//! [`AuthorizerEvent`] in a single pass over the invocation's JSON: the shape (`version`,
//! `type`), the method and path (from the method or route ARN), and the credentials. The
//! request context, the other headers, query strings and stage variables are skipped unread;
//! building them into a JSON tree and then into typed events cost as much as verifying the
//! token (docs/benchmarks.md).

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

use crate::entrypoints::headers::PickHeaders;
use crate::http::is_method_token;

/// The four event shapes API Gateway sends a Lambda authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    HttpApiV2,
    HttpApiV1,
    RestToken,
    RestRequest,
}

impl EventShape {
    /// From the event's `version` and `type`.
    pub fn detect(version: Option<&str>, kind: Option<&str>) -> Option<Self> {
        match (version, kind) {
            (Some("2.0"), _) => Some(EventShape::HttpApiV2),
            (Some("1.0"), Some("REQUEST")) => Some(EventShape::HttpApiV1),
            (None, Some("TOKEN")) => Some(EventShape::RestToken),
            (None, Some("REQUEST")) => Some(EventShape::RestRequest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventShape::HttpApiV2 => "http_api_v2",
            EventShape::HttpApiV1 => "http_api_v1",
            EventShape::RestToken => "rest_token",
            EventShape::RestRequest => "rest_request",
        }
    }
}

/// An event reduced to what the decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerEvent {
    pub shape: EventShape,
    pub arn: String,
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub api_key: Option<String>,
}

/// Why an invocation's JSON is not an event the authorizer can decide on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not an API Gateway authorizer event (no version 2.0 or type TOKEN/REQUEST)")]
    UnknownShape,
    #[error("unreadable {shape} event: {why}", shape = .shape.as_str())]
    Unreadable {
        shape: EventShape,
        why: &'static str,
    },
    /// Not JSON, or a field of the wrong type; the position only, never the event's text.
    #[error("unreadable authorizer event: {0}")]
    Json(String),
}

impl AuthorizerEvent {
    /// Reads an invocation's JSON; `api_key_header` names the legacy API-key header.
    pub fn from_json(json: &[u8], api_key_header: &str) -> Result<Self, EventError> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let raw = EventFields { api_key_header }
            .deserialize(&mut deserializer)
            .and_then(|raw| deserializer.end().map(|()| raw))
            .map_err(|error| EventError::Json(error.to_string()))?;
        let shape = EventShape::detect(raw.version.as_deref(), raw.kind.as_deref())
            .ok_or(EventError::UnknownShape)?;
        let unreadable = |why| EventError::Unreadable { shape, why };
        let (arn, authorization, api_key) = match shape {
            EventShape::HttpApiV2 => (raw.route_arn, raw.authorization, raw.api_key),
            EventShape::RestToken => (raw.method_arn, raw.authorization_token, None),
            EventShape::RestRequest | EventShape::HttpApiV1 => {
                (raw.method_arn, raw.authorization, raw.api_key)
            }
        };
        let arn = arn.ok_or_else(|| unreadable("the event has no method or route ARN"))?;
        let (method, path) = method_and_path(&arn)
            .ok_or_else(|| unreadable("the method or route ARN is malformed"))?;
        Ok(AuthorizerEvent {
            shape,
            method: method.to_string(),
            path,
            arn,
            authorization,
            api_key,
        })
    }
}

/// What any of the four shapes may carry that the authorizer reads.
#[derive(Default)]
struct RawEvent {
    version: Option<String>,
    kind: Option<String>,
    /// HTTP API payload 2.0.
    route_arn: Option<String>,
    /// REST API and HTTP API payload 1.0.
    method_arn: Option<String>,
    /// REST API TOKEN events.
    authorization_token: Option<String>,
    authorization: Option<String>,
    api_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    Version,
    Type,
    RouteArn,
    MethodArn,
    AuthorizationToken,
    Headers,
    #[serde(other)]
    Other,
}

struct EventFields<'h> {
    api_key_header: &'h str,
}

impl<'de> DeserializeSeed<'de> for EventFields<'_> {
    type Value = RawEvent;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawEvent, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventFields<'_> {
    type Value = RawEvent;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an API Gateway authorizer event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEvent, A::Error> {
        let mut raw = RawEvent::default();
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Version => raw.version = map.next_value()?,
                Field::Type => raw.kind = map.next_value()?,
                Field::RouteArn => raw.route_arn = map.next_value()?,
                Field::MethodArn => raw.method_arn = map.next_value()?,
                Field::AuthorizationToken => raw.authorization_token = map.next_value()?,
                Field::Headers => {
                    let [authorization, api_key] =
                        map.next_value_seed(PickHeaders(["authorization", self.api_key_header]))?;
                    raw.authorization = authorization;
                    raw.api_key = api_key;
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

/// `arn:aws:execute-api:eu-west-1:123456789012:api-id/stage/GET/v1/whoami` → `("GET",
/// "/v1/whoami")`. The stage is its own element, so it never leaks into the path.
pub fn method_and_path(arn: &str) -> Option<(&str, String)> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let resource = parts.nth(2)?;
    if prefix != "arn" || service != "execute-api" {
        return None;
    }
    let mut pieces = resource.splitn(4, '/');
    let (api, stage, method) = (pieces.next()?, pieces.next()?, pieces.next()?);
    let rest = pieces.next().unwrap_or("");
    if api.is_empty() || stage.is_empty() || !is_method_token(method) {
        return None;
    }
    Some((method, format!("/{rest}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/whoami";

    fn read(event: serde_json::Value) -> Result<AuthorizerEvent, EventError> {
        AuthorizerEvent::from_json(event.to_string().as_bytes(), "x-api-key")
    }

    fn shape_of(event: serde_json::Value) -> Option<EventShape> {
        read(event).ok().map(|e| e.shape)
    }

    #[test]
    fn shapes_are_told_apart_by_version_and_type() {
        assert_eq!(
            shape_of(json!({"version": "2.0", "type": "REQUEST", "routeArn": ARN})),
            Some(EventShape::HttpApiV2)
        );
        assert_eq!(
            shape_of(json!({"version": "1.0", "type": "REQUEST", "methodArn": ARN})),
            Some(EventShape::HttpApiV1)
        );
        assert_eq!(
            shape_of(json!({"type": "TOKEN", "methodArn": ARN})),
            Some(EventShape::RestToken)
        );
        assert_eq!(
            shape_of(json!({"type": "REQUEST", "methodArn": ARN})),
            Some(EventShape::RestRequest)
        );
        for unknown in [
            json!({"type": "token", "methodArn": ARN}),
            json!({"httpMethod": "GET", "methodArn": ARN}),
            json!({"version": "1.0", "type": "TOKEN", "methodArn": ARN}),
        ] {
            assert_eq!(read(unknown), Err(EventError::UnknownShape));
        }
        assert!(matches!(read(json!("TOKEN")), Err(EventError::Json(_))));
    }

    #[test]
    fn each_shape_takes_its_credentials_from_its_own_fields() {
        let headers = json!({"Authorization": "Bearer h", "X-Api-Key": "k", "Accept": "*/*"});
        let v2 = read(json!({"version": "2.0", "type": "REQUEST", "routeArn": ARN,
            "methodArn": "ignored", "headers": headers, "requestContext": {"http": {}}}))
        .unwrap();
        assert_eq!(
            (v2.method.as_str(), v2.path.as_str()),
            ("GET", "/v1/whoami")
        );
        assert_eq!(v2.authorization.as_deref(), Some("Bearer h"));
        assert_eq!(v2.api_key.as_deref(), Some("k"));
        let token = read(json!({"type": "TOKEN", "methodArn": ARN,
            "authorizationToken": "Bearer t", "headers": headers}))
        .unwrap();
        assert_eq!(token.authorization.as_deref(), Some("Bearer t"));
        assert_eq!(token.api_key, None);
        let request = read(json!({"type": "REQUEST", "methodArn": ARN, "headers": null,
            "multiValueHeaders": {"authorization": ["Bearer m"]}}))
        .unwrap();
        assert_eq!((request.authorization, request.api_key), (None, None));
    }

    #[test]
    fn an_event_without_a_usable_arn_or_of_the_wrong_types_is_refused() {
        assert!(matches!(
            read(json!({"version": "2.0", "type": "REQUEST"})),
            Err(EventError::Unreadable {
                shape: EventShape::HttpApiV2,
                ..
            })
        ));
        assert!(matches!(
            read(json!({"type": "TOKEN", "methodArn": "arn:aws:lambda:x"})),
            Err(EventError::Unreadable {
                shape: EventShape::RestToken,
                ..
            })
        ));
        assert!(matches!(
            read(json!({"type": "TOKEN", "methodArn": 7})),
            Err(EventError::Json(_))
        ));
        assert!(matches!(
            read(json!({"type": "REQUEST", "methodArn": ARN, "headers": {"authorization": 1}})),
            Err(EventError::Json(_))
        ));
        let secret = br#"{"type": "TOKEN", "authorizationToken": "Bearer s3cr3t"#;
        let error = AuthorizerEvent::from_json(secret, "x-api-key").unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
    }

    #[test]
    fn method_and_path_come_from_the_arn() {
        assert_eq!(
            method_and_path("arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/whoami"),
            Some(("GET", "/v1/whoami".to_string()))
        );
        assert_eq!(
            method_and_path("arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/DELETE/"),
            Some(("DELETE", "/".to_string()))
        );
        assert_eq!(
            method_and_path(
                "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/v1/POST/v1/account"
            ),
            Some(("POST", "/v1/account".to_string()))
        );
        assert_eq!(
            method_and_path("arn:aws:execute-api:eu-west-1:1:abc/prod/GET"),
            Some(("GET", "/".to_string()))
        );
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:1:function/x/GET/a",
            "arn:aws:execute-api:eu-west-1:1:abc/prod",
            "arn:aws:execute-api:eu-west-1:1:abc/prod/get/a",
            "arn:aws:execute-api:eu-west-1:1:/prod/GET/a",
            "not an arn",
        ] {
            assert_eq!(method_and_path(bad), None, "{bad:?}");
        }
    }
}
