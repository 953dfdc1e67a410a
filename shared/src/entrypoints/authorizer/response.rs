//! What the authorizer answers API Gateway: a simple response (HTTP API), an IAM policy, or a
//! failed invocation whose message API Gateway reads.

use serde::Serialize;

use super::event::EventShape;
use crate::authz::{Decision, Principal};
use crate::config::HttpApiResponse;
use lambda_runtime::Diagnostic;

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

/// The failed invocation as Lambda reports it: `errorType` and `errorMessage`.
impl From<AuthorizerFailure> for Diagnostic {
    fn from(failure: AuthorizerFailure) -> Self {
        let error_type = match failure {
            AuthorizerFailure::Unauthorized => "Unauthorized",
            AuthorizerFailure::Internal => "AuthorizerError",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: failure.message().into(),
        }
    }
}

/// What the routes behind the authorizer receive (`$context.authorizer.<key>` on REST APIs,
/// `requestContext.authorizer.lambda` on HTTP APIs). Values are strings, as REST APIs require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizerContext {
    /// The client's id, or the end user's id.
    pub sub: String,
    pub client_id: String,
    /// `admin`, `labelpartner` or `user`.
    pub access_level: &'static str,
    /// Present exactly for end users: a backend that reads its user from here can never
    /// mistake a client for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labelpartner: Option<String>,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub auth_method: &'static str,
}

impl AuthorizerContext {
    /// Every key the context may carry: what the routes behind the authorizer can read.
    pub const KEYS: [&'static str; 8] = [
        "sub",
        "client_id",
        "access_level",
        "user_id",
        "labelpartner",
        "scope",
        "jti",
        "auth_method",
    ];

    pub fn new(principal: Principal) -> Self {
        AuthorizerContext {
            user_id: principal.user_id().map(String::from),
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
pub struct IamStatement {
    #[serde(rename = "Action")]
    pub action: &'static str,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Resource")]
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IamPolicy {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: [IamStatement; 1],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResponse {
    pub principal_id: String,
    pub policy_document: IamPolicy,
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
    pub fn policy(
        principal_id: String,
        allow: bool,
        arn: String,
        context: Option<AuthorizerContext>,
    ) -> Self {
        AuthorizerResponse::Policy(PolicyResponse {
            principal_id,
            policy_document: IamPolicy {
                version: "2012-10-17",
                statement: [IamStatement {
                    action: "execute-api:Invoke",
                    effect: if allow { "Allow" } else { "Deny" },
                    resource: arn,
                }],
            },
            context,
        })
    }

    /// The answer to a decision: what API Gateway must receive so that the caller sees the
    /// allow, the 403 or (where the API type has one) the 401.
    pub fn for_decision(
        shape: EventShape,
        http_api_response: HttpApiResponse,
        arn: String,
        decision: Decision,
    ) -> Result<Self, AuthorizerFailure> {
        let simple = shape == EventShape::HttpApiV2 && http_api_response == HttpApiResponse::Simple;
        let rest = matches!(shape, EventShape::RestToken | EventShape::RestRequest);
        Ok(match decision {
            Decision::Allow(principal) if simple => Self::Simple(SimpleResponse {
                is_authorized: true,
                context: Some(AuthorizerContext::new(principal)),
            }),
            Decision::Allow(principal) => Self::policy(
                principal.sub.clone(),
                true,
                arn,
                Some(AuthorizerContext::new(principal)),
            ),
            Decision::Deny { .. } | Decision::Unauthorized(_) if simple => {
                Self::Simple(SimpleResponse {
                    is_authorized: false,
                    context: None,
                })
            }
            Decision::Deny { principal, .. } => Self::policy(principal.sub, false, arn, None),
            Decision::Unauthorized(_) if rest => return Err(AuthorizerFailure::Unauthorized),
            Decision::Unauthorized(_) => Self::policy(ANONYMOUS.into(), false, arn, None),
        })
    }
}

/// The principal id of a Deny policy for a caller we could not identify.
pub const ANONYMOUS: &str = "anonymous";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_unauthorized_failure_carries_exactly_the_message_api_gateway_looks_for() {
        let unauthorized = Diagnostic::from(AuthorizerFailure::Unauthorized);
        assert_eq!(unauthorized.error_message, "Unauthorized");
        let other = Diagnostic::from(AuthorizerFailure::Internal);
        assert_ne!(other.error_message, "Unauthorized");
    }

    #[test]
    fn responses_serialize_to_the_shapes_api_gateway_reads() {
        let context = AuthorizerContext {
            sub: "c".into(),
            client_id: "c".into(),
            access_level: "labelpartner",
            user_id: None,
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

    #[test]
    fn the_declared_context_keys_are_exactly_the_keys_a_full_context_serializes() {
        // An end user's context has every key: a user id, a labelpartner and a jti.
        let full = AuthorizerContext::new(Principal::user_for_test(
            "0123456789abcdef0123456789abcdef",
            "lp-1",
            "a",
        ));
        let value = serde_json::to_value(&full).unwrap();
        let mut serialized: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut declared = AuthorizerContext::KEYS.to_vec();
        serialized.sort_unstable();
        declared.sort_unstable();
        assert_eq!(serialized, declared);
    }

    #[test]
    fn only_an_end_users_context_carries_a_user_id() {
        let user_id = "0123456789abcdef0123456789abcdef";
        let user = AuthorizerContext::new(Principal::user_for_test(user_id, "lp-1", ""));
        assert_eq!(user.user_id.as_deref(), Some(user_id));
        assert_eq!(user.sub, user_id);
        assert_eq!(user.access_level, "user");
        for level in [
            crate::domain::AccessLevel::Labelpartner,
            crate::domain::AccessLevel::Admin,
        ] {
            let labelpartner =
                (level == crate::domain::AccessLevel::Labelpartner).then_some("lp-1");
            let client = AuthorizerContext::new(Principal::for_test(level, labelpartner, ""));
            assert_eq!(client.user_id, None, "{level}");
            let value = serde_json::to_value(&client).unwrap();
            assert!(value.get("user_id").is_none(), "{level}");
        }
    }
}
