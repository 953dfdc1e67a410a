//! The authorizer reads its events in one pass with a reader of its own
//! (`AuthorizerEvent::from_json`, docs/benchmarks.md). Each recorded event shape is read here
//! through it and through `aws_lambda_events`' authorizer types, the official ones, and both
//! must see the same ARN and the same credentials, with and without a legacy API key.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV1Request, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::http::HeaderMap;
use serde_json::Value;
use token_service::entrypoints::authorizer::{AuthorizerEvent, EventShape};

const API_KEY_HEADER: &str = "x-api-key";
const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjIn0.c2lnbmF0dXJl";
const API_KEY: &str = "ak_live_0123456789abcdef";

fn fixture(name: &str, with_api_key: bool) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("a fixture");
    let mut event: Value = serde_json::from_str(&text.replace("{{TOKEN}}", TOKEN)).expect("JSON");
    if with_api_key && event.get("headers").is_some() {
        event["headers"][API_KEY_HEADER] = Value::from(API_KEY);
    }
    event.to_string()
}

/// What the official types give: the ARN, the `Authorization` credential and the API key.
struct Official {
    arn: Option<String>,
    authorization: Option<String>,
    api_key: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().map(str::to_owned),
        _ => None,
    }
}

fn official(shape: EventShape, json: &str) -> Official {
    match shape {
        EventShape::HttpApiV2 => {
            let event: ApiGatewayV2CustomAuthorizerV2Request =
                serde_json::from_str(json).expect("an HTTP API 2.0 authorizer event");
            Official {
                arn: event.route_arn,
                authorization: header(&event.headers, "authorization"),
                api_key: header(&event.headers, API_KEY_HEADER),
            }
        }
        EventShape::HttpApiV1 => {
            let event: ApiGatewayV2CustomAuthorizerV1Request =
                serde_json::from_str(json).expect("an HTTP API 1.0 authorizer event");
            Official {
                arn: event.method_arn,
                authorization: header(&event.headers, "authorization"),
                api_key: header(&event.headers, API_KEY_HEADER),
            }
        }
        EventShape::RestToken => {
            let event: ApiGatewayCustomAuthorizerRequest =
                serde_json::from_str(json).expect("a REST TOKEN authorizer event");
            Official {
                arn: event.method_arn,
                authorization: event.authorization_token,
                api_key: None,
            }
        }
        EventShape::RestRequest => {
            let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
                serde_json::from_str(json).expect("a REST REQUEST authorizer event");
            Official {
                arn: event.method_arn,
                authorization: header(&event.headers, "authorization"),
                api_key: header(&event.headers, API_KEY_HEADER),
            }
        }
    }
}

#[test]
fn every_shape_reads_the_same_through_our_reader_and_the_official_types() {
    let shapes = [
        ("authorizer-http-api-v2.json", EventShape::HttpApiV2),
        ("authorizer-http-api-v1.json", EventShape::HttpApiV1),
        ("authorizer-rest-token.json", EventShape::RestToken),
        ("authorizer-rest-request.json", EventShape::RestRequest),
    ];
    for (name, shape) in shapes {
        for with_api_key in [false, true] {
            let json = fixture(name, with_api_key);
            let ours = AuthorizerEvent::from_json(json.as_bytes(), API_KEY_HEADER)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            let theirs = official(shape, &json);
            assert_eq!(ours.shape, shape, "{name}");
            assert_eq!(Some(ours.arn.clone()), theirs.arn, "{name}: the ARN");
            assert_eq!(
                ours.authorization, theirs.authorization,
                "{name}: the credential"
            );
            assert!(
                ours.authorization
                    .as_deref()
                    .is_some_and(|credential| credential.ends_with(TOKEN)),
                "{name}: {:?}",
                ours.authorization
            );
            assert_eq!(ours.api_key, theirs.api_key, "{name}: the API key");
        }
    }
}
