//! The authorizer's handler fed real API Gateway event shapes (`shared/tests/fixtures/`), with
//! tokens minted by the token endpoint itself: exact responses per shape, the 401/403 split, end
//! users' tokens (their own resources only; id_tokens and inconsistent claims refused), and the
//! attack table (RFC 6750, RFC 8725, RFC 9068), each with its exact outcome.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::Arc;
use token_service::admin::clients::revoke_tokens;
use token_service::authz::{AccessRequest, Decision, DenyReason, Unauthenticated};
use token_service::config::HttpApiResponse;
use token_service::domain::User;
use token_service::domain::time::now_unix;
use token_service::entrypoints::authorizer::{AuthorizerFailure, AuthorizerHandler};
use token_service::entrypoints::whoami::Whoami;
use token_service::keys::{KeyState, SigningAlgorithm};
use token_service::store::{ClientStore, UserStore};
use token_service::testing::authorizer::{
    AUDIENCE, AuthorizerWorld, FailingCallerStore, ISSUER, answer, get_request, handler,
    request_authorizer, request_authorizer_over, token_claims, unavailable_keys,
};
use token_service::testing::events::{
    ALL_SHAPES, Shape, event, event_with_token, fixture_text, iam_policy, route_arn,
    set_authorization,
};
use token_service::testing::{HttpInvoker, client, response_json, user};
use token_service::tokens::{TokenSettings, VerifyError, sign_jwt};

/// A labelpartner client of `lp-1` that may read accounts (also the app `lp-1`'s end users sign
/// in through), and an admin client.
async fn world(alg: SigningAlgorithm) -> AuthorizerWorld {
    AuthorizerWorld::builder(alg)
        .client(client("lp1-client").scopes(&["accounts:read"]))
        .client(client("admin-client").admin())
        .build()
        .await
}

/// A token minted by the same code at another time or for another issuer/audience.
fn token_at(w: &AuthorizerWorld, now: i64, issuer: &str, audience: &str) -> String {
    let settings = TokenSettings {
        issuer: issuer.into(),
        audience: audience.into(),
    };
    w.mint_for(&settings, "lp1-client", now)
}

/// The signing key's public half as PEM (SubjectPublicKeyInfo), as an attacker could build it
/// from the published JWKS.
fn public_key_pem(w: &AuthorizerWorld) -> String {
    let entry = w
        .document
        .keys
        .iter()
        .find(|k| k.state == KeyState::Current)
        .unwrap();
    let der = pem::parse(entry.private_key_pem.as_bytes()).unwrap();
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.contents()).unwrap();
    let spki = AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(pair.public_key()).unwrap();
    pem::encode(&pem::Pem::new("PUBLIC KEY", spki.as_ref().to_vec()))
}

/// What each shape answers (in simple mode) when no credentials check out: a 401 where API
/// Gateway allows one (REST APIs), a refusal (403) on HTTP APIs.
fn unauthenticated_answer(shape: Shape, e: &Value) -> Result<Value, AuthorizerFailure> {
    match shape {
        Shape::RestToken | Shape::RestRequest => Err(AuthorizerFailure::Unauthorized),
        Shape::HttpApiV2 => Ok(json!({"isAuthorized": false})),
        Shape::HttpApiV1 => Ok(iam_policy("anonymous", "Deny", &route_arn(shape, e))),
    }
}

/// `token` in each shape's event: `handler` answers what `expected` says for that event.
async fn assert_each_shape_answers(
    handler: &AuthorizerHandler,
    token: &str,
    expected: impl Fn(Shape, &Value) -> Result<Value, AuthorizerFailure>,
) {
    for shape in ALL_SHAPES {
        let e = event_with_token(shape, token);
        let want = expected(shape, &e);
        assert_eq!(answer(handler, e).await, want, "{shape:?}");
    }
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// An end user of `lp-1`.
fn lp1_user(email: &str) -> User {
    user("lp-1", email).build()
}

/// A fresh access token of `u`, signed in through `lp1-client`.
async fn user_access_token(w: &AuthorizerWorld, u: &User) -> String {
    w.mint_user("lp1-client", u, &[], now_unix())
        .await
        .access_token
}

/// `claims` signed with the world's own key as an access token: what only a bug of ours or a
/// stolen key could produce, so the claims alone decide.
fn signed_access_token(w: &AuthorizerWorld, claims: &Value) -> String {
    sign_jwt(w.keys.access_token_header(), w.keys.signer(), claims).unwrap()
}

/// Whether the handler's answer lets the request through.
fn is_allow(answer: &Result<Value, AuthorizerFailure>) -> bool {
    matches!(answer, Ok(r) if r["isAuthorized"] == true
        || r["policyDocument"]["Statement"][0]["Effect"] == "Allow")
}

// ---- every shape, happy path ------------------------------------------------------------

#[tokio::test]
async fn every_shape_allows_a_valid_token_on_whoami_and_passes_the_context() {
    let w = world(SigningAlgorithm::RS256).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let token = w.token("lp1-client").await;
    let context = json!({
        "sub": "lp1-client",
        "client_id": "lp1-client",
        "access_level": "labelpartner",
        "labelpartner": "lp-1",
        "scope": "accounts:read",
        "jti": token_claims(&token)["jti"],
        "auth_method": "oauth2",
    });
    for shape in ALL_SHAPES {
        let e = event_with_token(shape, &token);
        let arn = route_arn(shape, &e);
        let expected = match shape {
            Shape::HttpApiV2 => json!({"isAuthorized": true, "context": context}),
            _ => {
                let mut p = iam_policy("lp1-client", "Allow", &arn);
                p["context"] = context.clone();
                p
            }
        };
        assert_eq!(answer(&handler, e).await, Ok(expected), "{shape:?}");
    }
}

#[tokio::test]
async fn http_api_answers_with_a_route_policy_in_iam_mode() {
    let w = world(SigningAlgorithm::RS256).await;
    let handler = w.handler(HttpApiResponse::Iam);
    let token = w.token("admin-client").await;
    let e = event_with_token(Shape::HttpApiV2, &token);
    let mut expected = iam_policy(
        "admin-client",
        "Allow",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/GET/v1/whoami",
    );
    expected["context"] = json!({
        "sub": "admin-client", "client_id": "admin-client", "access_level": "admin",
        "scope": "", "jti": token_claims(&token)["jti"], "auth_method": "oauth2",
    });
    assert_eq!(answer(&handler, e).await, Ok(expected));
    let denied = event(Shape::HttpApiV2, "GET", "/v1/whoami", None, None);
    assert_eq!(
        answer(&handler, denied.clone()).await,
        Ok(iam_policy(
            "anonymous",
            "Deny",
            &route_arn(Shape::HttpApiV2, &denied)
        ))
    );
}

// ---- the 401/403 split ------------------------------------------------------------------

#[tokio::test]
async fn a_labelpartner_token_on_another_labelpartners_resource_is_403_on_every_shape() {
    let w = world(SigningAlgorithm::RS256).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let bearer = format!("Bearer {}", w.token("lp1-client").await);
    for shape in ALL_SHAPES {
        let own = event(
            shape,
            "GET",
            "/v1/labelpartners/lp-1/accounts",
            Some(&bearer),
            None,
        );
        assert!(
            matches!(answer(&handler, own).await, Ok(ref r) if r["isAuthorized"] == true
                || r["policyDocument"]["Statement"][0]["Effect"] == "Allow"),
            "{shape:?}: own labelpartner"
        );
        let other = event(
            shape,
            "DELETE",
            "/v1/labelpartners/lp-2/accounts/a1",
            Some(&bearer),
            None,
        );
        let arn = route_arn(shape, &other);
        let expected = match shape {
            Shape::HttpApiV2 => json!({"isAuthorized": false}),
            _ => iam_policy("lp1-client", "Deny", &arn),
        };
        assert_eq!(answer(&handler, other).await, Ok(expected), "{shape:?}");
    }
}

#[tokio::test]
async fn a_labelpartner_token_on_an_admin_route_or_an_unknown_route_is_403() {
    let w = world(SigningAlgorithm::ES256).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let bearer = format!("Bearer {}", w.token("lp1-client").await);
    for path in [
        "/v1/labelpartners",
        "/v2/anything",
        "/v1/whoami/../labelpartners",
    ] {
        let e = event(Shape::RestRequest, "GET", path, Some(&bearer), None);
        let arn = route_arn(Shape::RestRequest, &e);
        assert_eq!(
            answer(&handler, e).await,
            Ok(iam_policy("lp1-client", "Deny", &arn)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_admin_token_passes_every_route() {
    let w = world(SigningAlgorithm::EdDSA).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let bearer = format!("Bearer {}", w.token("admin-client").await);
    for (method, path) in [
        ("GET", "/v1/labelpartners"),
        ("DELETE", "/v1/labelpartners/lp-9/accounts/a1"),
        ("POST", "/v1/account"),
        ("GET", "/internal/metrics"),
    ] {
        let e = event(Shape::HttpApiV2, method, path, Some(&bearer), None);
        let r = answer(&handler, e).await.unwrap();
        assert_eq!(r["isAuthorized"], true, "{method} {path}");
        assert_eq!(r["context"]["access_level"], "admin");
    }
}

#[tokio::test]
async fn missing_credentials_are_401_on_rest_apis_and_403_on_http_apis() {
    let w = world(SigningAlgorithm::RS256).await;
    let handler = w.handler(HttpApiResponse::Simple);
    for shape in ALL_SHAPES {
        let e = event(shape, "GET", "/v1/whoami", None, None);
        let expected = unauthenticated_answer(shape, &e);
        assert_eq!(answer(&handler, e).await, expected, "{shape:?}");
    }
}

#[tokio::test]
async fn unavailable_keys_fail_the_invocation_with_a_500_never_a_401_or_an_allow() {
    let w = world(SigningAlgorithm::RS256).await;
    let token = w.token("lp1-client").await;
    let handler = handler(
        request_authorizer(unavailable_keys()),
        HttpApiResponse::Simple,
    );
    assert_each_shape_answers(&handler, &token, |_, _| Err(AuthorizerFailure::Internal)).await;
}

// ---- the caller's status: disabled clients and users ------------------------------------

#[tokio::test]
async fn a_disabled_clients_token_is_401_on_every_shape() {
    let w = world(SigningAlgorithm::RS256).await;
    let token = w.token("lp1-client").await;
    w.clients.disable("lp1-client").await.unwrap();
    let handler = w.handler(HttpApiResponse::Simple);
    assert_each_shape_answers(&handler, &token, unauthenticated_answer).await;
}

#[tokio::test]
async fn a_deleted_or_unknown_clients_token_is_401() {
    let w = world(SigningAlgorithm::RS256).await;
    let token = w.token("lp1-client").await;
    let authorizer = request_authorizer(w.cache.clone());
    let bearer = format!("Bearer {token}");
    let decision = authorizer
        .authorize(&get_request("/v1/whoami", Some(&bearer), None), now_unix())
        .await
        .unwrap();
    assert_eq!(
        decision,
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
}

#[tokio::test]
async fn a_disable_takes_effect_once_the_status_cache_expires_and_not_later() {
    let w = world(SigningAlgorithm::RS256).await;
    let now = now_unix();
    let bearer = format!("Bearer {}", w.mint("lp1-client", now));
    let authorizer = w.authorizer();
    let request = get_request("/v1/whoami", Some(&bearer), None);
    let decide = |at: i64| authorizer.authorize(&request, at);
    assert!(matches!(decide(now).await.unwrap(), Decision::Allow(_)));
    w.clients.disable("lp1-client").await.unwrap();
    assert!(
        matches!(decide(now + 59).await.unwrap(), Decision::Allow(_)),
        "within the cache's 60 s the status read before still counts"
    );
    assert_eq!(
        decide(now + 60).await.unwrap(),
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
}

#[tokio::test]
async fn revoke_tokens_refuses_the_clients_earlier_tokens_and_passes_later_ones() {
    let w = world(SigningAlgorithm::RS256).await;
    let now = now_unix();
    let earlier = format!("Bearer {}", w.mint("lp1-client", now - 1));
    let later = format!("Bearer {}", w.mint("lp1-client", now));
    let admin = format!("Bearer {}", w.mint("admin-client", now - 1));
    revoke_tokens(w.clients.as_ref(), "lp1-client", now)
        .await
        .unwrap();
    let authorizer = w.authorizer();
    let decide = |bearer: &str| {
        let bearer = bearer.to_string();
        let authorizer = &authorizer;
        async move {
            authorizer
                .authorize(&get_request("/v1/whoami", Some(&bearer), None), now)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        decide(&earlier).await,
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
    assert!(matches!(decide(&later).await, Decision::Allow(_)));
    assert!(
        matches!(decide(&admin).await, Decision::Allow(_)),
        "another client's tokens are untouched"
    );
}

#[tokio::test]
async fn a_users_revoke_tokens_refuses_their_earlier_tokens_and_passes_later_ones() {
    let w = world(SigningAlgorithm::RS256).await;
    let now = now_unix();
    let alice = lp1_user("alice@example.com");
    let earlier = w.mint_user("lp1-client", &alice, &[], now - 1).await;
    let later = w.mint_user("lp1-client", &alice, &[], now).await;
    w.users.revoke_tokens(&alice.user_id, now).await.unwrap();
    let path = format!("/v2/users/{}/devices", alice.user_id);
    let decide = |token: String| {
        let (w, path) = (&w, &path);
        async move {
            w.decide(path, Some(&format!("Bearer {token}")), None, now)
                .await
        }
    };
    assert_eq!(
        decide(earlier.access_token).await,
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
    assert!(matches!(
        decide(later.access_token).await,
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn a_disabled_users_token_is_401_though_the_app_is_enabled() {
    let w = world(SigningAlgorithm::RS256).await;
    let alice = lp1_user("alice@example.com");
    let bearer = format!("Bearer {}", user_access_token(&w, &alice).await);
    let path = format!("/v2/users/{}/devices", alice.user_id);
    let before = w.decide(&path, Some(&bearer), None, now_unix()).await;
    assert!(matches!(before, Decision::Allow(_)), "{before:?}");
    w.users.set_enabled(&alice.user_id, false).await.unwrap();
    let after = w.decide(&path, Some(&bearer), None, now_unix()).await;
    assert_eq!(
        after,
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
}

#[tokio::test]
async fn a_users_token_is_401_when_its_app_is_disabled() {
    let w = world(SigningAlgorithm::RS256).await;
    let alice = lp1_user("alice@example.com");
    let bearer = format!("Bearer {}", user_access_token(&w, &alice).await);
    w.clients.disable("lp1-client").await.unwrap();
    let path = format!("/v2/users/{}/devices", alice.user_id);
    let decision = w.decide(&path, Some(&bearer), None, now_unix()).await;
    assert_eq!(
        decision,
        Decision::Unauthorized(Unauthenticated::CallerDisabled)
    );
}

#[tokio::test]
async fn a_failing_status_store_with_nothing_cached_is_a_500_never_an_allow() {
    let w = world(SigningAlgorithm::RS256).await;
    let token = w.token("lp1-client").await;
    let down = Arc::new(FailingCallerStore);
    let handler = handler(
        request_authorizer_over(w.cache.clone(), down.clone(), down),
        HttpApiResponse::Simple,
    );
    assert_each_shape_answers(&handler, &token, |_, _| Err(AuthorizerFailure::Internal)).await;
}

#[tokio::test]
async fn unreadable_events_fail_the_invocation() {
    let w = world(SigningAlgorithm::EdDSA).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let mut no_arn = event(
        Shape::RestToken,
        "GET",
        "/v1/whoami",
        Some("Bearer x"),
        None,
    );
    no_arn.as_object_mut().unwrap().remove("methodArn");
    let mut bad_arn = event(
        Shape::HttpApiV2,
        "GET",
        "/v1/whoami",
        Some("Bearer x"),
        None,
    );
    bad_arn["routeArn"] = json!("arn:aws:lambda:eu-west-1:1:function:x");
    for e in [
        json!({}),
        json!({"type": "COGNITO"}),
        json!({"version": "3.0"}),
        json!({"version": "2.0", "headers": "not a map"}),
        no_arn,
        bad_arn,
    ] {
        assert_eq!(
            answer(&handler, e.clone()).await,
            Err(AuthorizerFailure::Internal),
            "{e}"
        );
    }
}

// ---- end users --------------------------------------------------------------------------

#[tokio::test]
async fn a_user_token_reaches_its_own_resources_on_every_shape_with_its_user_id_in_the_context() {
    let w = world(SigningAlgorithm::RS256).await;
    let handler = w.handler(HttpApiResponse::Simple);
    let alice = lp1_user("alice@example.test");
    let tokens = w
        .mint_user("lp1-client", &alice, &["profile:read"], now_unix())
        .await;
    let bearer = format!("Bearer {}", tokens.access_token);
    let context = json!({
        "sub": alice.user_id,
        "client_id": "lp1-client",
        "access_level": "user",
        "user_id": alice.user_id,
        "labelpartner": "lp-1",
        "scope": "profile:read",
        "jti": tokens.access_claims.jti,
        "auth_method": "oauth2",
    });
    let path = format!("/v2/users/{}/devices", alice.user_id);
    for shape in ALL_SHAPES {
        let e = event(shape, "GET", &path, Some(&bearer), None);
        let expected = match shape {
            Shape::HttpApiV2 => json!({"isAuthorized": true, "context": context}),
            _ => {
                let mut p = iam_policy(&alice.user_id, "Allow", &route_arn(shape, &e));
                p["context"] = context.clone();
                p
            }
        };
        assert_eq!(answer(&handler, e).await, Ok(expected), "{shape:?}");
    }
    let whoami = event(Shape::HttpApiV2, "GET", "/v1/whoami", Some(&bearer), None);
    assert!(is_allow(&answer(&handler, whoami).await));
}

#[tokio::test]
async fn a_user_token_on_another_users_or_its_labelpartners_resources_is_403() {
    let w = world(SigningAlgorithm::ES256).await;
    let authorizer = w.authorizer();
    let handler = w.handler(HttpApiResponse::Simple);
    let alice = lp1_user("alice@example.test");
    let bob = lp1_user("bob@example.test");
    let bearer = format!("Bearer {}", user_access_token(&w, &alice).await);
    for (method, path, reason) in [
        (
            "GET",
            format!("/v2/users/{}", bob.user_id),
            DenyReason::SubjectMismatch,
        ),
        (
            "DELETE",
            format!("/v2/users/{}/devices/d1", bob.user_id),
            DenyReason::SubjectMismatch,
        ),
        (
            "GET",
            "/v1/labelpartners/lp-1/accounts".to_string(),
            DenyReason::CallerNotAllowed,
        ),
        (
            "GET",
            format!("/v1/labelpartners/lp-1/users/{}", alice.user_id),
            DenyReason::CallerNotAllowed,
        ),
        (
            "GET",
            "/v1/account/a1".to_string(),
            DenyReason::CallerNotAllowed,
        ),
        (
            "GET",
            "/v1/labelpartners".to_string(),
            DenyReason::CallerNotAllowed,
        ),
    ] {
        let request = AccessRequest {
            method,
            path: &path,
            authorization: Some(&bearer),
            api_key: None,
        };
        let decision = authorizer.authorize(&request, now_unix()).await.unwrap();
        assert!(
            matches!(decision, Decision::Deny { reason: r, .. } if r == reason),
            "{method} {path}: {decision:?}"
        );
        for shape in ALL_SHAPES {
            let e = event(shape, method, &path, Some(&bearer), None);
            let expected = match shape {
                Shape::HttpApiV2 => json!({"isAuthorized": false}),
                _ => iam_policy(&alice.user_id, "Deny", &route_arn(shape, &e)),
            };
            assert_eq!(
                answer(&handler, e).await,
                Ok(expected),
                "{method} {path} on {shape:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_labelpartner_client_reaches_users_only_under_its_own_labelpartner() {
    let w = world(SigningAlgorithm::EdDSA).await;
    let alice = lp1_user("alice@example.test");
    let bearer = format!("Bearer {}", w.token("lp1-client").await);
    let under_own = format!("/v1/labelpartners/lp-1/users/{}", alice.user_id);
    let decision = w.decide(&under_own, Some(&bearer), None, now_unix()).await;
    assert!(matches!(decision, Decision::Allow(_)), "{decision:?}");
    // `/v2/users/{sub}` names no labelpartner: the user could be any labelpartner's.
    let by_sub_alone = format!("/v2/users/{}", alice.user_id);
    let decision = w
        .decide(&by_sub_alone, Some(&bearer), None, now_unix())
        .await;
    assert!(
        matches!(
            decision,
            Decision::Deny {
                reason: DenyReason::UnboundSubject,
                ..
            }
        ),
        "{decision:?}"
    );
}

#[tokio::test]
async fn an_id_token_is_401_even_on_the_users_own_resources() {
    let w = world(SigningAlgorithm::RS256).await;
    let authorizer = w.authorizer();
    let handler = w.handler(HttpApiResponse::Simple);
    let alice = lp1_user("alice@example.test");
    let tokens = w.mint_user("lp1-client", &alice, &[], now_unix()).await;
    let path = format!("/v2/users/{}", alice.user_id);
    // The id_token's header relabelled at+jwt breaks its signature; its claims signed as an
    // access token (a bug of ours) still name the app as audience and carry no access level.
    let [_, id_payload, id_signature]: [&str; 3] = tokens
        .id_token
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let relabelled = format!(
        "{}.{id_payload}.{id_signature}",
        w.keys.access_token_header()
    );
    let resigned = signed_access_token(&w, &token_claims(&tokens.id_token));
    let invalid = |e: VerifyError| Unauthenticated::InvalidToken(e);
    for (name, token, expected) in [
        (
            "id_token",
            &tokens.id_token,
            invalid(VerifyError::WrongType),
        ),
        (
            "relabelled id_token",
            &relabelled,
            invalid(VerifyError::BadSignature),
        ),
        (
            "re-signed id_token claims",
            &resigned,
            invalid(VerifyError::InvalidClaims),
        ),
    ] {
        let bearer = format!("Bearer {token}");
        let request = get_request(&path, Some(&bearer), None);
        assert_eq!(
            authorizer.authorize(&request, now_unix()).await.unwrap(),
            Decision::Unauthorized(expected),
            "{name}"
        );
        for shape in ALL_SHAPES {
            let e = event(shape, "GET", &path, Some(&bearer), None);
            let expected = unauthenticated_answer(shape, &e);
            assert_eq!(answer(&handler, e).await, expected, "{name} on {shape:?}");
        }
    }
    // The access token of the same sign-in passes, so each refusal is the token's kind.
    let bearer = format!("Bearer {}", tokens.access_token);
    let request = get_request(&path, Some(&bearer), None);
    assert!(matches!(
        authorizer.authorize(&request, now_unix()).await.unwrap(),
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn a_user_token_with_tampered_or_inconsistent_claims_is_401() {
    let w = world(SigningAlgorithm::RS256).await;
    let authorizer = w.authorizer();
    let handler = w.handler(HttpApiResponse::Simple);
    let alice = lp1_user("alice@example.test");
    let valid = user_access_token(&w, &alice).await;
    let path = format!("/v2/users/{}", alice.user_id);
    let claims = token_claims(&valid);
    let with = |changes: Value| {
        let mut c = claims.clone();
        for (key, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => c.as_object_mut().unwrap().remove(key),
                v => c.as_object_mut().unwrap().insert(key.clone(), v.clone()),
            };
        }
        c
    };
    let [header, _, signature]: [&str; 3] =
        valid.split('.').collect::<Vec<_>>().try_into().unwrap();
    let promoted_unsigned = format!(
        "{header}.{}.{signature}",
        b64(&with(
            json!({"access_level": "admin", "labelpartner": null})
        ))
    );
    let inconsistent = Unauthenticated::InconsistentToken;
    let table: Vec<(&str, String, Unauthenticated)> = vec![
        (
            "access_level changed to admin, old signature",
            promoted_unsigned,
            Unauthenticated::InvalidToken(VerifyError::BadSignature),
        ),
        (
            "signed: a user's sub as admin",
            signed_access_token(
                &w,
                &with(json!({"access_level": "admin", "labelpartner": null})),
            ),
            inconsistent.clone(),
        ),
        (
            "signed: a user's sub as labelpartner",
            signed_access_token(&w, &with(json!({"access_level": "labelpartner"}))),
            inconsistent.clone(),
        ),
        (
            "signed: a user without a labelpartner",
            signed_access_token(&w, &with(json!({"labelpartner": null}))),
            inconsistent.clone(),
        ),
        (
            "signed: a user whose sub is the client",
            signed_access_token(&w, &with(json!({"sub": "lp1-client"}))),
            inconsistent.clone(),
        ),
        (
            "signed: a user whose sub is no user id",
            signed_access_token(&w, &with(json!({"sub": alice.user_id.to_uppercase()}))),
            inconsistent.clone(),
        ),
        (
            "signed: an unknown access level",
            signed_access_token(&w, &with(json!({"access_level": "superuser"}))),
            Unauthenticated::InvalidToken(VerifyError::InvalidClaims),
        ),
    ];
    for (name, token, expected) in table {
        let bearer = format!("Bearer {token}");
        let request = get_request(&path, Some(&bearer), None);
        assert_eq!(
            authorizer.authorize(&request, now_unix()).await.unwrap(),
            Decision::Unauthorized(expected),
            "{name}"
        );
        for shape in ALL_SHAPES {
            let e = event(shape, "GET", &path, Some(&bearer), None);
            let expected = unauthenticated_answer(shape, &e);
            assert_eq!(answer(&handler, e).await, expected, "{name} on {shape:?}");
        }
    }
    // Re-signed unchanged, the claims pass: every refusal above is the change's doing.
    let resigned = format!("Bearer {}", signed_access_token(&w, &claims));
    let request = get_request(&path, Some(&resigned), None);
    assert!(matches!(
        authorizer.authorize(&request, now_unix()).await.unwrap(),
        Decision::Allow(_)
    ));
}

// ---- the attack table -------------------------------------------------------------------

#[tokio::test]
async fn attack_table() {
    let w = world(SigningAlgorithm::RS256).await;
    let authorizer = w.authorizer();
    let handler = w.handler(HttpApiResponse::Simple);
    let valid = w.token("lp1-client").await;
    let [header, payload, signature]: [&str; 3] =
        valid.split('.').collect::<Vec<_>>().try_into().unwrap();
    let kid = w.keys.signer().kid().to_string();
    let now = now_unix();

    let alg_none = format!(
        "{}.{payload}.",
        b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid}))
    );
    let hs256_with_public_key = {
        let h = b64(&json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}));
        let input = format!("{h}.{payload}");
        let key =
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public_key_pem(&w).as_bytes());
        let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    };
    let es256_header_on_rsa_key = format!(
        "{}.{payload}.{signature}",
        b64(&json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}))
    );
    let unknown_kid = format!(
        "{}.{payload}.{signature}",
        b64(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "k-NoSuchKeyAtAll0000"}))
    );
    let kid_with_path = format!(
        "{}.{payload}.{signature}",
        b64(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "../../../../etc/passwd"}))
    );
    let tampered_payload = {
        let mut claims = token_claims(&valid);
        claims["labelpartner"] = json!("lp-2");
        format!("{header}.{}.{signature}", b64(&claims))
    };
    let tampered_signature = {
        let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
        sig[17] ^= 0x01;
        format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let expired = token_at(&w, now - 2 * 3600, ISSUER, AUDIENCE);
    let not_yet_valid = token_at(&w, now + 600, ISSUER, AUDIENCE);
    let wrong_iss = token_at(&w, now, "https://evil.example.test", AUDIENCE);
    let wrong_aud = token_at(&w, now, ISSUER, "another-api");
    let id_token = {
        // An OpenID Connect id_token, signed with our own key: `typ` JWT, aud = the client.
        let h = b64(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}));
        let claims = json!({"iss": ISSUER, "sub": "lp1-client", "aud": AUDIENCE,
            "iat": now, "nbf": now, "exp": now + 3600, "jti": "id-1", "client_id": "lp1-client",
            "access_level": "admin", "nonce": "n-0S6_WzA2Mj"});
        sign_jwt(&h, w.keys.signer(), &claims).unwrap()
    };
    let untyped_token = {
        let h = b64(&json!({"alg": "RS256", "kid": kid}));
        sign_jwt(&h, w.keys.signer(), &token_claims(&valid)).unwrap()
    };
    let oversized = {
        let mut claims = token_claims(&valid);
        claims["padding"] = json!("a".repeat(9 * 1024));
        sign_jwt(w.keys.access_token_header(), w.keys.signer(), &claims).unwrap()
    };
    let two_parts = format!("{header}.{payload}");

    let invalid = |e: VerifyError| Unauthenticated::InvalidToken(e);
    let table: Vec<(&str, String, Unauthenticated)> = vec![
        (
            "alg none",
            format!("Bearer {alg_none}"),
            invalid(VerifyError::Malformed),
        ),
        (
            "HS256 signed with the RSA public key",
            format!("Bearer {hs256_with_public_key}"),
            invalid(VerifyError::AlgorithmMismatch),
        ),
        (
            "ES256 header on an RS256 key",
            format!("Bearer {es256_header_on_rsa_key}"),
            invalid(VerifyError::AlgorithmMismatch),
        ),
        (
            "unknown kid",
            format!("Bearer {unknown_kid}"),
            invalid(VerifyError::UnknownKey),
        ),
        (
            "kid with path characters",
            format!("Bearer {kid_with_path}"),
            invalid(VerifyError::UnknownKey),
        ),
        (
            "tampered payload",
            format!("Bearer {tampered_payload}"),
            invalid(VerifyError::BadSignature),
        ),
        (
            "tampered signature",
            format!("Bearer {tampered_signature}"),
            invalid(VerifyError::BadSignature),
        ),
        (
            "expired",
            format!("Bearer {expired}"),
            invalid(VerifyError::Expired),
        ),
        (
            "not yet valid",
            format!("Bearer {not_yet_valid}"),
            invalid(VerifyError::NotYetValid),
        ),
        (
            "wrong iss",
            format!("Bearer {wrong_iss}"),
            invalid(VerifyError::WrongIssuer),
        ),
        (
            "wrong aud",
            format!("Bearer {wrong_aud}"),
            invalid(VerifyError::WrongAudience),
        ),
        (
            "id_token as access token",
            format!("Bearer {id_token}"),
            invalid(VerifyError::WrongType),
        ),
        (
            "JWT without typ",
            format!("Bearer {untyped_token}"),
            invalid(VerifyError::WrongType),
        ),
        (
            "oversized token",
            format!("Bearer {oversized}"),
            invalid(VerifyError::TooLarge),
        ),
        (
            "two-part token",
            format!("Bearer {two_parts}"),
            invalid(VerifyError::Malformed),
        ),
        (
            "garbage token",
            "Bearer not-a-jwt".into(),
            invalid(VerifyError::Malformed),
        ),
        (
            "wrong scheme",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("lp1-client:x")
            ),
            Unauthenticated::MissingCredentials,
        ),
        (
            "token without scheme",
            valid.clone(),
            Unauthenticated::MissingCredentials,
        ),
        (
            "empty bearer",
            "Bearer ".into(),
            Unauthenticated::MissingCredentials,
        ),
        (
            "bare bearer",
            "Bearer".into(),
            Unauthenticated::MissingCredentials,
        ),
    ];
    assert!(oversized.len() > 8 * 1024);
    for (name, authorization, expected) in table {
        let request = get_request("/v1/whoami", Some(&authorization), None);
        assert_eq!(
            authorizer.authorize(&request, now).await.unwrap(),
            Decision::Unauthorized(expected),
            "{name}"
        );
        for shape in ALL_SHAPES {
            let mut e = event_with_token(shape, "x");
            set_authorization(shape, &mut e, Some(&authorization));
            let expected = unauthenticated_answer(shape, &e);
            assert_eq!(answer(&handler, e).await, expected, "{name} on {shape:?}");
        }
    }
    // The valid token itself passes, so every refusal above is the attack's doing.
    let bearer = format!("Bearer {valid}");
    let request = get_request("/v1/whoami", Some(&bearer), None);
    assert!(matches!(
        authorizer.authorize(&request, now).await.unwrap(),
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn unknown_kids_cannot_hammer_the_key_source() {
    let w = world(SigningAlgorithm::EdDSA).await;
    let authorizer = w.authorizer();
    let valid = w.token("lp1-client").await;
    let loads_before = w.source.loads();
    let payload = valid.split('.').nth(1).unwrap();
    // A flood of random, well-formed kids: one forced refresh in the whole flood.
    for i in 0..200 {
        let token = format!(
            "{}.{payload}.c2ln",
            b64(&json!({"alg": "EdDSA", "typ": "at+jwt", "kid": format!("k-random{i:05}")}))
        );
        let authorization = format!("Bearer {token}");
        let request = get_request("/v1/whoami", Some(&authorization), None);
        assert_eq!(
            authorizer.authorize(&request, now_unix()).await.unwrap(),
            Decision::Unauthorized(Unauthenticated::InvalidToken(VerifyError::UnknownKey))
        );
    }
    assert_eq!(w.source.loads(), loads_before + 1);
    // Kids we could never have issued do not even spend that refresh.
    let w = world(SigningAlgorithm::EdDSA).await;
    let authorizer = w.authorizer();
    let _ = w.token("lp1-client").await;
    let loads_before = w.source.loads();
    for kid in ["../../etc/passwd", "k/../../x", "k?x=1", &"k".repeat(65)] {
        let authorization = format!(
            "Bearer {}.{payload}.c2ln",
            b64(&json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid}))
        );
        let request = get_request("/v1/whoami", Some(&authorization), None);
        assert_eq!(
            authorizer.authorize(&request, now_unix()).await.unwrap(),
            Decision::Unauthorized(Unauthenticated::InvalidToken(VerifyError::UnknownKey)),
            "{kid}"
        );
    }
    assert_eq!(w.source.loads(), loads_before);
}

// ---- whoami -----------------------------------------------------------------------------

/// whoami's answer to an event, as `lambda_http` reads and writes it.
async fn whoami(event: &str) -> Value {
    HttpInvoker::new(Whoami).answer(event).await
}

#[tokio::test]
async fn whoami_echoes_the_authorizer_context_of_an_http_api_request() {
    let text = fixture_text("whoami-http-api-v2.json").replace("{{TOKEN}}", "x");
    let response = whoami(&text).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(
        response_json(&response),
        json!({"sub": "lp-demo-client", "client_id": "lp-demo-client",
            "access_level": "labelpartner", "labelpartner": "lp-demo", "scope": "accounts:read",
            "jti": "q3mX0b1Y2c3Z4d5W6e7V8f", "auth_method": "oauth2"})
    );
}

#[tokio::test]
async fn whoami_echoes_the_context_the_authorizer_passed_for_an_end_user() {
    let w = world(SigningAlgorithm::EdDSA).await;
    let alice = lp1_user("alice@example.test");
    let bearer = format!("Bearer {}", user_access_token(&w, &alice).await);
    let authorized = event(Shape::HttpApiV2, "GET", "/v1/whoami", Some(&bearer), None);
    let context = answer(&w.handler(HttpApiResponse::Simple), authorized)
        .await
        .unwrap()["context"]
        .clone();
    let mut e: Value = serde_json::from_str(&fixture_text("whoami-http-api-v2.json")).unwrap();
    e["requestContext"]["authorizer"]["lambda"] = context.clone();
    let response = whoami(&e.to_string()).await;
    assert_eq!(response["statusCode"], 200);
    let echoed = response_json(&response);
    assert_eq!(echoed, context);
    assert_eq!(echoed["user_id"], json!(alice.user_id));
    assert_eq!(echoed["access_level"], "user");
}

#[tokio::test]
async fn whoami_without_an_authorizer_context_says_it_is_misconfigured() {
    let mut e: Value = serde_json::from_str(&fixture_text("whoami-http-api-v2.json")).unwrap();
    e["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let response = whoami(&e.to_string()).await;
    assert_eq!(response["statusCode"], 500);
}
