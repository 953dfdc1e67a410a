//! The four event shapes API Gateway sends a Lambda authorizer, read into one
//! [`AuthorizerEvent`]: the method and path (from the method or route ARN), and the credentials.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use serde_json::Value;

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
    /// From the raw event, before any typed parsing.
    pub fn detect(event: &Value) -> Option<Self> {
        let version = event.get("version").and_then(Value::as_str);
        let kind = event.get("type").and_then(Value::as_str);
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
pub struct AuthorizerEvent {
    pub shape: EventShape,
    pub arn: String,
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub api_key: Option<String>,
}

impl AuthorizerEvent {
    /// Reads an event of a detected shape; `api_key_header` names the legacy API-key header.
    pub fn parse(
        shape: EventShape,
        event: Value,
        api_key_header: &str,
    ) -> Result<Self, &'static str> {
        let header = |headers: &aws_lambda_events::http::HeaderMap, name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let (arn, authorization, api_key) = match shape {
            EventShape::HttpApiV2 => {
                let e: ApiGatewayV2CustomAuthorizerV2Request =
                    serde_json::from_value(event).map_err(|_| "not a payload 2.0 event")?;
                let authorization = header(&e.headers, "authorization");
                let api_key = header(&e.headers, api_key_header);
                (e.route_arn, authorization, api_key)
            }
            EventShape::RestToken => {
                let e: ApiGatewayCustomAuthorizerRequest =
                    serde_json::from_value(event).map_err(|_| "not a TOKEN event")?;
                (e.method_arn, e.authorization_token, None)
            }
            EventShape::RestRequest | EventShape::HttpApiV1 => {
                let e: ApiGatewayCustomAuthorizerRequestTypeRequest =
                    serde_json::from_value(event).map_err(|_| "not a REQUEST event")?;
                let authorization = header(&e.headers, "authorization");
                let api_key = header(&e.headers, api_key_header);
                (e.method_arn, authorization, api_key)
            }
        };
        let arn = arn.ok_or("the event has no method or route ARN")?;
        let (method, path) = method_and_path(&arn).ok_or("the method or route ARN is malformed")?;
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

    #[test]
    fn shapes_are_told_apart_from_the_raw_event() {
        assert_eq!(
            EventShape::detect(&json!({"version": "2.0", "type": "REQUEST"})),
            Some(EventShape::HttpApiV2)
        );
        assert_eq!(
            EventShape::detect(&json!({"version": "1.0", "type": "REQUEST"})),
            Some(EventShape::HttpApiV1)
        );
        assert_eq!(
            EventShape::detect(&json!({"type": "TOKEN"})),
            Some(EventShape::RestToken)
        );
        assert_eq!(
            EventShape::detect(&json!({"type": "REQUEST"})),
            Some(EventShape::RestRequest)
        );
        assert_eq!(EventShape::detect(&json!({"type": "token"})), None);
        assert_eq!(EventShape::detect(&json!({"httpMethod": "GET"})), None);
        assert_eq!(EventShape::detect(&json!("TOKEN")), None);
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
