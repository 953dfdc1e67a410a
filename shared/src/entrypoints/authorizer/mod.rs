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

mod event;
mod response;

pub use event::{AuthorizerEvent, EventError, EventShape, method_and_path};
pub use response::{
    ANONYMOUS, AuthorizerContext, AuthorizerFailure, AuthorizerResponse, IamPolicy, IamStatement,
    PolicyResponse, SimpleResponse,
};

use lambda_runtime::{Diagnostic, LambdaEvent, Service, service_fn};
use serde_json::value::RawValue;
use std::sync::Arc;

use super::invocation::within_deadline;
use crate::authz::{AccessRequest, Decision, Principal, RequestAuthorizer, Unauthenticated};
use crate::aws_sdk::with_trace_id;
use crate::config::HttpApiResponse;
use crate::domain::time::now_unix;
use crate::log_safe::untrusted;

/// Per container: the authorizer and how to answer. Header lookups ignore case.
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
            api_key_header: api_key_header.into(),
            http_api_response,
        }
    }

    /// Reads an invocation's JSON; an event it cannot read fails the invocation (a 500, never
    /// an allow).
    pub fn read_event(&self, json: &[u8]) -> Result<AuthorizerEvent, AuthorizerFailure> {
        AuthorizerEvent::from_json(json, &self.api_key_header).map_err(|error| {
            tracing::error!(%error, "unreadable authorizer event");
            AuthorizerFailure::Internal
        })
    }

    /// Answers one authorizer invocation given as JSON.
    pub async fn handle_json(&self, json: &[u8]) -> Result<AuthorizerResponse, AuthorizerFailure> {
        self.handle(self.read_event(json)?).await
    }

    /// Answers one authorizer invocation.
    pub async fn handle(
        &self,
        parsed: AuthorizerEvent,
    ) -> Result<AuthorizerResponse, AuthorizerFailure> {
        let shape = parsed.shape;
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
        AuthorizerResponse::for_decision(shape, self.http_api_response, parsed.arn, decision)
    }
}

/// The event as `lambda_runtime` hands it over: the invocation's JSON, unread, for
/// [`AuthorizerHandler::read_event`] to read in one pass.
pub type RawAuthorizerEvent = LambdaEvent<Box<RawValue>>;

/// `handler` as the service `lambda_runtime::run` and `run_concurrent` drive. An invocation
/// that reaches its deadline fails closed (a 500, never an allow), before Lambda would time it
/// out.
pub fn authorizer_service(
    handler: AuthorizerHandler,
) -> impl Service<
    RawAuthorizerEvent,
    Response = AuthorizerResponse,
    Error = Diagnostic,
    Future: Send + 'static,
> + Clone
+ Send
+ 'static {
    let handler = Arc::new(handler);
    service_fn(move |invocation: RawAuthorizerEvent| {
        let handler = Arc::clone(&handler);
        async move {
            let answer = handler.handle_json(invocation.payload.get().as_bytes());
            let answer = within_deadline(invocation.context.deadline, answer);
            match with_trace_id(invocation.context.xray_trace_id.clone(), answer).await {
                Ok(answer) => answer.map_err(Diagnostic::from),
                Err(deadline) => {
                    tracing::error!(error = %deadline, "authorization could not be decided");
                    Err(AuthorizerFailure::Internal.into())
                }
            }
        }
    })
}

fn log_decision(event: &AuthorizerEvent, decision: &Decision) {
    let principal = decision.principal();
    let reason = match decision {
        Decision::Allow(_) => "",
        Decision::Deny { reason, .. } => reason.as_str(),
        Decision::Unauthorized(why) => why.as_str(),
    };
    let detail = match decision {
        Decision::Unauthorized(Unauthenticated::InvalidToken(error)) => error.to_string(),
        _ => String::new(),
    };
    let client_id = principal.map(|p| p.client_id.as_str()).unwrap_or("");
    let user_id = principal.and_then(Principal::user_id).unwrap_or("");
    let jti = principal.and_then(|p| p.jti.as_deref()).unwrap_or("");
    let auth_method = decision.auth_method().map(|m| m.as_str()).unwrap_or("");
    macro_rules! decided {
        ($level:ident $(, $field:ident)*) => {
            tracing::$level!(
                shape = event.shape.as_str(),
                outcome = decision.outcome(),
                $($field,)*
                method = %untrusted(&event.method),
                path = %untrusted(&event.path),
                client_id,
                user_id,
                jti,
                auth_method,
                "authorization decided"
            )
        };
    }
    // Refusals at info; allows at debug, since they run on every request and API Gateway's
    // access logs can carry the same context ($context.authorizer.client_id, .jti).
    match decision {
        Decision::Allow(_) => decided!(debug),
        _ => decided!(info, reason, detail),
    }
}
