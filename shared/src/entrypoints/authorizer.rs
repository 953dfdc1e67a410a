//! API Gateway Lambda-authorizer events in, authorizer responses out: the only place that knows
//! the event and response shapes. The decision itself is [`crate::authz`].
//!
//! | event (detected from the raw JSON) | how it is answered |
//! |---|---|
//! | HTTP API, payload 2.0 (`"version": "2.0"`) | `{"isAuthorized", "context"}`, or an IAM policy with `HTTP_API_RESPONSE=iam` |
//! | HTTP API, payload 1.0 (`"version": "1.0"`, `"type": "REQUEST"`) | an IAM policy |
//! | REST API `TOKEN` (`"type": "TOKEN"`) | an IAM policy, or the error `Unauthorized` |
//! | REST API `REQUEST` (`"type": "REQUEST"`, no version) | an IAM policy, or the error `Unauthorized` |
//!
//! What a caller then sees (docs/authorizer.md has the details and the sources):
//! - REST API: 401 for [`Decision::Unauthorized`] (the function fails with exactly
//!   `Unauthorized`, which API Gateway turns into its UNAUTHORIZED response), 403 for
//!   [`Decision::Deny`] (a Deny policy), the route's response for an allow.
//! - HTTP API: a Lambda authorizer has no documented way to produce 401. API Gateway answers 401
//!   itself when the identity source (`Authorization`) is missing, without calling us; a function
//!   error or an invalid response gives 500. So every refusal we make — bad token or denied by
//!   the policy — is `isAuthorized: false` (or a Deny policy): 403.
//! - Our own failures (keys or store unavailable, an event we cannot read) fail the invocation
//!   with another message: 500 on both, never an allow.
//!
//! Method and path come from the method/route ARN (`arn:…:execute-api:region:account:api/stage/
//! METHOD/path`) for every shape: it names the stage separately, it is what API Gateway checks a
//! returned policy against, and a policy always names exactly that ARN, so a cached policy never
//! reaches another route or another labelpartner's path.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use crate::authz::{
    AccessRequest, AuthorizerSettings, Decision, HttpApiResponse, LegacyApiKeyAuth, Principal,
    RequestAuthorizer,
};
use crate::bootstrap::{Bootstrap, BootstrapError};
use crate::clock::now_unix;
use crate::tokens::AccessTokenVerifier;

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

/// How the invocation fails. API Gateway reads the error message: exactly `Unauthorized` means
/// 401 on a REST API; anything else is a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizerFailure {
    Unauthorized,
    Internal,
}

impl AuthorizerFailure {
    pub fn message(self) -> &'static str {
        match self {
            AuthorizerFailure::Unauthorized => "Unauthorized",
            AuthorizerFailure::Internal => "Internal authorizer error",
        }
    }
}

impl std::fmt::Display for AuthorizerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AuthorizerFailure {}

impl From<AuthorizerFailure> for Diagnostic {
    fn from(failure: AuthorizerFailure) -> Self {
        Diagnostic {
            error_type: match failure {
                AuthorizerFailure::Unauthorized => "Unauthorized",
                AuthorizerFailure::Internal => "AuthorizerError",
            }
            .into(),
            error_message: failure.message().into(),
        }
    }
}

/// What the routes behind the authorizer receive (`$context.authorizer.<key>` on REST APIs,
/// `requestContext.authorizer.lambda` on HTTP APIs). Values are strings, as REST APIs require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizerContext {
    pub sub: String,
    pub client_id: String,
    pub access_level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labelpartner: Option<String>,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub auth_method: &'static str,
}

impl AuthorizerContext {
    pub fn new(principal: Principal) -> Self {
        AuthorizerContext {
            sub: principal.sub,
            client_id: principal.client_id,
            access_level: principal.access_level.as_str(),
            labelpartner: principal.labelpartner,
            scope: principal.scope,
            jti: principal.jti,
            auth_method: principal.auth_method.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    pub is_authorized: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<AuthorizerContext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyStatement {
    #[serde(rename = "Action")]
    pub action: &'static str,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Resource")]
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: [PolicyStatement; 1],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResponse {
    pub principal_id: String,
    pub policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<AuthorizerContext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AuthorizerResponse {
    Simple(SimpleResponse),
    Policy(PolicyResponse),
}

impl AuthorizerResponse {
    fn policy(
        principal_id: String,
        allow: bool,
        arn: String,
        context: Option<AuthorizerContext>,
    ) -> Self {
        AuthorizerResponse::Policy(PolicyResponse {
            principal_id,
            policy_document: PolicyDocument {
                version: "2012-10-17",
                statement: [PolicyStatement {
                    action: "execute-api:Invoke",
                    effect: if allow { "Allow" } else { "Deny" },
                    resource: arn,
                }],
            },
            context,
        })
    }
}

/// The principal id of a Deny policy for a caller we could not identify.
pub const ANONYMOUS: &str = "anonymous";

/// An event reduced to what the decision needs.
struct ParsedEvent {
    shape: EventShape,
    arn: String,
    method: String,
    path: String,
    authorization: Option<String>,
    api_key: Option<String>,
}

/// Per container: the authorizer and how to answer.
pub struct AuthorizerHandler {
    authorizer: RequestAuthorizer,
    api_key_header: String,
    http_api_response: HttpApiResponse,
}

impl AuthorizerHandler {
    pub fn new(
        authorizer: RequestAuthorizer,
        api_key_header: impl Into<String>,
        http_api_response: HttpApiResponse,
    ) -> Self {
        AuthorizerHandler {
            authorizer,
            api_key_header: api_key_header.into().to_ascii_lowercase(),
            http_api_response,
        }
    }

    /// Wires the authorizer from the deployment's settings: the key cache (loaded now, during
    /// init), the policy, and — only when `API_KEY_SUNSET` is set — the API-key and client
    /// stores. Without API keys the authorizer touches no store and no AWS API on its warm path.
    pub async fn from_bootstrap(
        boot: &Bootstrap,
        settings: AuthorizerSettings,
    ) -> Result<Self, BootstrapError> {
        let service = boot.settings();
        let verifier =
            AccessTokenVerifier::new(&service.issuer, &service.audience, settings.leeway_seconds);
        let mut authorizer =
            RequestAuthorizer::new(verifier, boot.key_cache().await, settings.policy);
        match settings.api_key_sunset {
            Some(sunset) => {
                if now_unix() >= sunset {
                    tracing::warn!(
                        sunset,
                        "the legacy API-key window has ended; API keys are refused"
                    );
                }
                authorizer = authorizer.with_api_keys(LegacyApiKeyAuth {
                    keys: boot.api_key_store().await?,
                    clients: boot.client_store().await?,
                    sunset,
                });
            }
            None => tracing::info!("API_KEY_SUNSET is not set: legacy API keys are refused"),
        }
        Ok(AuthorizerHandler::new(
            authorizer,
            settings.api_key_header,
            settings.http_api_response,
        ))
    }

    /// Answers one authorizer invocation.
    pub async fn handle(&self, event: Value) -> Result<AuthorizerResponse, AuthorizerFailure> {
        let Some(shape) = EventShape::detect(&event) else {
            tracing::error!(
                "not an API Gateway authorizer event (no version 2.0 or type TOKEN/REQUEST)"
            );
            return Err(AuthorizerFailure::Internal);
        };
        let parsed = self.parse(shape, event).map_err(|why| {
            tracing::error!(shape = shape.as_str(), why, "unreadable authorizer event");
            AuthorizerFailure::Internal
        })?;
        let request = AccessRequest {
            method: &parsed.method,
            path: &parsed.path,
            authorization: parsed.authorization.as_deref(),
            api_key: parsed.api_key.as_deref(),
        };
        let decision = match self.authorizer.authorize(&request, now_unix()).await {
            Ok(decision) => decision,
            Err(error) => {
                tracing::error!(%error, shape = shape.as_str(), "authorization could not be decided");
                return Err(AuthorizerFailure::Internal);
            }
        };
        log_decision(&parsed, &decision);
        self.respond(parsed.shape, parsed.arn, decision)
    }

    fn respond(
        &self,
        shape: EventShape,
        arn: String,
        decision: Decision,
    ) -> Result<AuthorizerResponse, AuthorizerFailure> {
        let simple =
            shape == EventShape::HttpApiV2 && self.http_api_response == HttpApiResponse::Simple;
        let rest = matches!(shape, EventShape::RestToken | EventShape::RestRequest);
        Ok(match decision {
            Decision::Allow(principal) if simple => AuthorizerResponse::Simple(SimpleResponse {
                is_authorized: true,
                context: Some(AuthorizerContext::new(principal)),
            }),
            Decision::Allow(principal) => AuthorizerResponse::policy(
                principal.sub.clone(),
                true,
                arn,
                Some(AuthorizerContext::new(principal)),
            ),
            Decision::Deny { .. } | Decision::Unauthorized(_) if simple => {
                AuthorizerResponse::Simple(SimpleResponse {
                    is_authorized: false,
                    context: None,
                })
            }
            Decision::Deny { principal, .. } => {
                AuthorizerResponse::policy(principal.sub, false, arn, None)
            }
            Decision::Unauthorized(_) if rest => return Err(AuthorizerFailure::Unauthorized),
            Decision::Unauthorized(_) => {
                AuthorizerResponse::policy(ANONYMOUS.into(), false, arn, None)
            }
        })
    }

    fn parse(&self, shape: EventShape, event: Value) -> Result<ParsedEvent, &'static str> {
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
                let api_key = header(&e.headers, &self.api_key_header);
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
                let api_key = header(&e.headers, &self.api_key_header);
                (e.method_arn, authorization, api_key)
            }
        };
        let arn = arn.ok_or("the event has no method or route ARN")?;
        let (method, path) = method_and_path(&arn).ok_or("the method or route ARN is malformed")?;
        Ok(ParsedEvent {
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
    let valid_method =
        !method.is_empty() && method.len() <= 16 && method.bytes().all(|b| b.is_ascii_uppercase());
    if api.is_empty() || stage.is_empty() || !valid_method {
        return None;
    }
    Some((method, format!("/{rest}")))
}

fn log_decision(event: &ParsedEvent, decision: &Decision) {
    let principal = decision.principal();
    let reason = match decision {
        Decision::Allow(_) => "",
        Decision::Deny { reason, .. } => reason.as_str(),
        Decision::Unauthorized(why) => why.as_str(),
    };
    let detail = match decision {
        Decision::Unauthorized(crate::authz::Unauthenticated::InvalidToken(error)) => {
            error.to_string()
        }
        _ => String::new(),
    };
    let client_id = principal.map(|p| p.client_id.as_str()).unwrap_or("");
    let jti = principal.and_then(|p| p.jti.as_deref()).unwrap_or("");
    let auth_method = decision.auth_method().map(|m| m.as_str()).unwrap_or("");
    // Refusals at info; allows at debug, since they run on every request and API Gateway's
    // access logs can carry the same context ($context.authorizer.client_id, .jti).
    match decision {
        Decision::Allow(_) => tracing::debug!(
            shape = event.shape.as_str(),
            outcome = decision.outcome(),
            method = %event.method,
            path = %event.path,
            client_id,
            jti,
            auth_method,
            "authorization decided"
        ),
        _ => tracing::info!(
            shape = event.shape.as_str(),
            outcome = decision.outcome(),
            reason,
            detail,
            method = %event.method,
            path = %event.path,
            client_id,
            jti,
            auth_method,
            "authorization decided"
        ),
    }
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

    #[test]
    fn the_unauthorized_failure_carries_exactly_the_message_api_gateway_looks_for() {
        let diagnostic = Diagnostic::from(AuthorizerFailure::Unauthorized);
        assert_eq!(diagnostic.error_message, "Unauthorized");
        let other = Diagnostic::from(AuthorizerFailure::Internal);
        assert_ne!(other.error_message, "Unauthorized");
    }

    #[test]
    fn responses_serialize_to_the_shapes_api_gateway_reads() {
        let context = AuthorizerContext {
            sub: "c".into(),
            client_id: "c".into(),
            access_level: "labelpartner",
            labelpartner: Some("lp-1".into()),
            scope: "".into(),
            jti: Some("j".into()),
            auth_method: "oauth2",
        };
        let simple = AuthorizerResponse::Simple(SimpleResponse {
            is_authorized: true,
            context: Some(context.clone()),
        });
        assert_eq!(
            serde_json::to_value(&simple).unwrap(),
            json!({"isAuthorized": true, "context": {"sub": "c", "client_id": "c",
                "access_level": "labelpartner", "labelpartner": "lp-1", "scope": "",
                "jti": "j", "auth_method": "oauth2"}})
        );
        let deny = AuthorizerResponse::policy("anonymous".into(), false, "arn:x".into(), None);
        assert_eq!(
            serde_json::to_value(&deny).unwrap(),
            json!({"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny",
                "Resource": "arn:x"}]}})
        );
    }
}
