//! Bad input at scale, as properties (proptest): the parsers that read what a caller sends (the
//! token request form, `Authorization: Basic`, access tokens, the authorizer's and the proxy
//! functions' events) never panic whatever they are given, and keep their promises on
//! well-formed input. Each property runs a bounded number of cases so `make check` stays fast.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use token_service::config::HttpApiResponse;
use token_service::domain::time::now_unix;
use token_service::entrypoints::authorizer::AuthorizerFailure;
use token_service::entrypoints::authorizer::{AuthorizerEvent, method_and_path};
use token_service::entrypoints::http_function::HttpRequest;
use token_service::keys::{KeySet, SigningAlgorithm};
use token_service::oauth::client_auth::{ClientAuthMethod, presented_credentials};
use token_service::oauth::form::{Form, MAX_BODY_BYTES};
use token_service::testing::authorizer::{
    API_KEY_HEADER, AUDIENCE, ISSUER, answer, handler, request_authorizer_for, token_settings,
};
use token_service::testing::events::{ALL_SHAPES, Shape, event};
use token_service::testing::{FORM_URLENCODED, TokenForm, basic, client, key_cache, key_document};
use token_service::tokens::{AccessTokenVerifier, mint_access_token};

const CASES: u32 = 512;

// ---- the token request form ----------------------------------------------------------------

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just(FORM_URLENCODED.to_string()),
        "[a-zA-Z/;=\\- ]{0,40}",
        any::<String>(),
    ])
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..MAX_BODY_BYTES + 64),
        "[a-z_=&%+0-9A-F]{0,400}".prop_map(String::into_bytes),
    ]
}

/// Parameter values with the characters the encoding has to get right.
fn text(max: usize) -> impl Strategy<Value = String> {
    let pattern = |chars: &str| {
        proptest::string::string_regex(&format!("{chars}{{1,{max}}}")).expect("a valid pattern")
    };
    prop_oneof![pattern("[a-z:%+ &=/;]"), pattern("\\PC")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn the_form_parser_never_panics_and_accepts_only_small_form_bodies(
        content_type in content_type(),
        body in body(),
    ) {
        if Form::parse(content_type.as_deref(), &body).is_ok() {
            prop_assert!(body.len() <= MAX_BODY_BYTES);
            prop_assert!(std::str::from_utf8(&body).is_ok());
            let essence = content_type.as_deref().unwrap_or("").split(';').next().unwrap_or("");
            prop_assert!(essence.trim().eq_ignore_ascii_case(FORM_URLENCODED));
        }
    }

    #[test]
    fn a_form_round_trips_through_its_encoding(
        params in prop::collection::btree_map(text(12), text(24), 0..8),
    ) {
        let form = params
            .iter()
            .fold(TokenForm::new(), |form, (name, value)| form.param(name, value));
        let parsed = Form::parse(Some(FORM_URLENCODED), form.encode().as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}", form.encode());
        let parsed = parsed.unwrap();
        for (name, value) in &params {
            prop_assert_eq!(parsed.get(name), Some(value.as_str()));
        }
    }
}

// ---- Authorization: Basic ------------------------------------------------------------------

/// `application/x-www-form-urlencoded`, as RFC 6749 §2.3.1 encodes id and secret before base64.
fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn authorization_header() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        any::<String>().prop_map(|s| format!("Basic {s}")),
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|bytes| format!("Basic {}", STANDARD.encode(bytes))),
        "[a-z%+:]{0,30}".prop_map(|s| format!("Basic {}", STANDARD.encode(s))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn the_basic_parser_never_panics(header in authorization_header()) {
        if let Ok(presented) = presented_credentials(Some(&header), &Form::default()) {
            prop_assert_eq!(presented.method, ClientAuthMethod::ClientSecretBasic);
            prop_assert!(!presented.client_id.is_empty() && !presented.secret.is_empty());
        }
    }

    #[test]
    fn basic_credentials_round_trip_padded_or_not(id in text(40), secret in text(40)) {
        let padded = basic(&form_encode(&id), &form_encode(&secret));
        let unpadded = padded.trim_end_matches('=').to_string();
        for header in [padded, unpadded] {
            let presented = presented_credentials(Some(&header), &Form::default());
            prop_assert!(presented.is_ok(), "{}", header);
            let presented = presented.unwrap();
            prop_assert_eq!(&presented.client_id, &id);
            prop_assert_eq!(&presented.secret, &secret);
        }
    }
}

// ---- access tokens -------------------------------------------------------------------------

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        KeySet::from_document(&key_document(SigningAlgorithm::ES256)).expect("the key set parses")
    })
}

fn verifier() -> AccessTokenVerifier {
    AccessTokenVerifier::new(ISSUER, AUDIENCE, 30)
}

/// A valid access token, minted once for the whole run (valid for an hour).
/// The client of [`valid_token`], stored where the authorizer reads callers' status.
fn token_client() -> token_service::domain::Client {
    client("lp1-client").labelpartner("lp-1").build()
}

fn valid_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        mint_access_token(&token_settings(), keys(), &token_client(), &[], now_unix())
            .expect("minting")
            .token
    })
}

/// Three base64url parts of arbitrary JSON or bytes: shaped enough to reach the JSON and
/// signature code, never signed by us.
fn token_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        prop::collection::vec(any::<u8>(), 0..96).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "[A-Za-z0-9_\\-]{0,40}",
    ];
    prop_oneof![
        any::<String>(),
        (part.clone(), part.clone(), part).prop_map(|(h, p, s)| format!("{h}.{p}.{s}")),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(prop::sample::Index, char),
    Insert(prop::sample::Index, char),
    Remove(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token_char = prop_oneof![
        prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
                .chars()
                .collect::<Vec<_>>()
        ),
        any::<char>(),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), token_char.clone())
            .prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<prop::sample::Index>(), token_char).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
    ]
}

fn mutate(token: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    match mutation {
        Mutation::Replace(at, c) => {
            let i = at.index(chars.len());
            chars[i] = *c;
        }
        Mutation::Insert(at, c) => {
            let i = at.index(chars.len() + 1);
            chars.insert(i, *c);
        }
        Mutation::Remove(at) => {
            let i = at.index(chars.len());
            chars.remove(i);
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn arbitrary_tokens_never_verify(token in token_like()) {
        prop_assert!(verifier().verify(keys(), &token).is_err());
    }

    #[test]
    fn a_changed_token_never_verifies(mutations in prop::collection::vec(mutation(), 1..4)) {
        let original = valid_token();
        prop_assert!(verifier().verify(keys(), original).is_ok());
        let changed = mutations.iter().fold(original.to_string(), |t, m| mutate(&t, m));
        if changed != original {
            prop_assert!(
                verifier().verify(keys(), &changed).is_err(),
                "{:?} verified",
                changed
            );
        }
    }
}

// ---- the authorizer's events ---------------------------------------------------------------

/// Keys the event parsers look at, so that generated objects reach them: the authorizer's and
/// the proxy events'.
const EVENT_KEYS: &[&str] = &[
    "version",
    "type",
    "rawPath",
    "path",
    "httpMethod",
    "http",
    "method",
    "body",
    "isBase64Encoded",
    "authorizer",
    "lambda",
    "content-type",
    "routeArn",
    "methodArn",
    "headers",
    "authorization",
    "authorizationToken",
    "x-api-key",
    "identitySource",
    "requestContext",
    "multiValueHeaders",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec![
            "2.0",
            "1.0",
            "REQUEST",
            "TOKEN",
            "Bearer x",
            "arn:aws:execute-api:eu-west-1:1:api/stage/GET/v1/whoami",
            "arn:aws:execute-api:::/",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(EVENT_KEYS).prop_map(String::from),
            any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A real event of each shape with one of its fields replaced by anything at all.
fn damaged_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(ALL_SHAPES.to_vec()),
        prop::sample::select(EVENT_KEYS),
        json_value(),
    )
        .prop_map(|(shape, key, value)| {
            // TOKEN events carry no headers, so no API key.
            let api_key = (shape != Shape::RestToken).then_some("k");
            let mut e = event(shape, "GET", "/v1/whoami", Some("Bearer x"), api_key);
            e[key] = value;
            e
        })
}

/// The whole authorizer's answer to `event`, with the default policy and a token nobody signed.
fn authorizer_answer(event: Value) -> Result<Value, AuthorizerFailure> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    });
    runtime.block_on(async {
        let authorizer =
            request_authorizer_for(key_cache(SigningAlgorithm::ES256), &[token_client()]).await;
        answer(&handler(authorizer, HttpApiResponse::Simple), event).await
    })
}

fn is_allow(answer: &Value) -> bool {
    answer["isAuthorized"] == Value::Bool(true) || answer.to_string().contains("\"Allow\"")
}

/// An event read as `lambda_http` reads it, then as the endpoints do.
fn http_request(event: &Value) -> Option<HttpRequest> {
    lambda_http::request::from_str(&event.to_string())
        .ok()
        .map(HttpRequest::from_lambda)
}

fn parse_every_way(event: &Value) -> Result<(), TestCaseError> {
    if let Ok(parsed) = AuthorizerEvent::from_json(event.to_string().as_bytes(), API_KEY_HEADER) {
        prop_assert!(parsed.path.starts_with('/'));
        prop_assert_eq!(
            method_and_path(&parsed.arn),
            Some((parsed.method.as_str(), parsed.path.clone()))
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn arbitrary_json_never_panics_the_event_parsers(value in json_value()) {
        parse_every_way(&value)?;
        let _ = http_request(&value);
    }

    /// What an HTTP event carries is what the functions read, plain or base64-encoded, from a
    /// REST API or an HTTP API, whatever the header names' case.
    #[test]
    fn an_http_event_gives_back_its_method_path_headers_and_body(
        method in "(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)",
        // No dot-only segments: lambda_http normalises them away, as a URL parser does.
        path in "/([A-Za-z0-9_~-][A-Za-z0-9._~-]{0,8}/?){0,4}",
        content_type in prop::option::of("[!-~]([ -~]{0,38}[!-~])?"),
        authorization in prop::option::of("[!-~]([ -~]{0,58}[!-~])?"),
        body in body(),
        base64 in any::<bool>(),
        rest in any::<bool>(),
        upper_case_names in any::<bool>(),
    ) {
        let name = |n: &str| if upper_case_names { n.to_uppercase() } else { n.to_string() };
        let mut headers = Map::new();
        headers.insert("x-other".into(), Value::from("1"));
        if let Some(v) = &content_type {
            headers.insert(name("content-type"), Value::from(v.as_str()));
        }
        if let Some(v) = &authorization {
            headers.insert(name("authorization"), Value::from(v.as_str()));
        }
        // JSON carries text: a body that is not UTF-8 always comes base64-encoded.
        let encoded = base64 || std::str::from_utf8(&body).is_err();
        let text = if encoded {
            STANDARD.encode(&body)
        } else {
            String::from_utf8(body.clone()).expect("UTF-8")
        };
        let event = if rest {
            serde_json::json!({"resource": path, "path": path, "httpMethod": method,
                               "headers": headers, "multiValueHeaders": {},
                               "requestContext": {"httpMethod": method, "stage": "prod",
                                                  "resourcePath": path},
                               "body": text, "isBase64Encoded": encoded})
        } else {
            serde_json::json!({"version": "2.0", "rawPath": path, "rawQueryString": "",
                               "headers": headers,
                               "requestContext": {"http": {"method": method, "path": path}},
                               "body": text, "isBase64Encoded": encoded})
        };
        let parsed = http_request(&event).expect("an HTTP event");
        // lambda_http puts a REST API's stage before the path; the functions route by suffix.
        let path = if rest { format!("/prod{path}") } else { path };
        prop_assert_eq!(parsed, HttpRequest {
            method, path, content_type, authorization, body, authorizer: None,
        });
    }

    #[test]
    fn damaged_events_never_panic_the_event_parsers(value in damaged_event()) {
        parse_every_way(&value)?;
    }

    #[test]
    fn the_authorizer_never_panics_on_and_never_allows_events_without_a_valid_token(
        value in prop_oneof![json_value(), damaged_event()],
    ) {
        if let Ok(answer) = authorizer_answer(value) {
            prop_assert!(!is_allow(&answer), "{}", answer);
        }
    }

    #[test]
    fn arbitrary_arns_never_panic_the_arn_reader(arn in any::<String>()) {
        if let Some((method, path)) = method_and_path(&arn) {
            prop_assert!(path.starts_with('/'));
            prop_assert!(!method.is_empty());
        }
    }

    #[test]
    fn a_route_arn_yields_its_method_and_path(
        stage in "[a-zA-Z0-9$_\\-]{1,12}",
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path in "(/[a-zA-Z0-9%;.\\-]{0,12}){0,5}",
    ) {
        let arn = format!("arn:aws:execute-api:eu-west-1:123456789012:api-id/{stage}/{method}{path}");
        let expected = if path.is_empty() { "/".to_string() } else { path.clone() };
        prop_assert_eq!(method_and_path(&arn), Some((method, expected)));
    }
}

/// The property above would see an allow: a real token on an allowed route is one.
#[test]
fn an_allow_is_recognised_as_one() {
    let bearer = format!("Bearer {}", valid_token());
    for shape in ALL_SHAPES {
        let e = event(shape, "GET", "/v1/whoami", Some(&bearer), None);
        let answer = authorizer_answer(e).expect("an answer");
        assert!(is_allow(&answer), "{shape:?}: {answer}");
    }
}
