//! The one translation layer between the Lambda runtime and the logic: API Gateway proxy events
//! ([`proxy`]), authorizer events ([`authorizer`]) and Secrets Manager's rotation events
//! ([`key_rotation`]) in, their responses out. Each other module serves one function.

pub mod authorizer;
pub mod discovery;
pub mod key_rotation;
pub mod logging;
pub mod proxy;
pub mod token;
pub mod user_token;
pub mod whoami;

use lambda_runtime::{LambdaEvent, service_fn};
use std::convert::Infallible;

use crate::http::HttpResponse;
use proxy::{ProxyRequest, ProxyResponse};

/// Serves API Gateway proxy events with `handler` until the runtime stops: one event at a time,
/// every outcome (failures included) already an HTTP response.
pub async fn serve_proxy_events<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(ProxyRequest) -> Fut,
    Fut: Future<Output = HttpResponse>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<ProxyRequest>| {
        let payload_v2 = event.payload.payload_v2;
        let answer = handler(event.payload);
        async move {
            let response = answer.await;
            Ok::<_, Infallible>(ProxyResponse {
                response,
                payload_v2,
            })
        }
    }))
    .await
}
