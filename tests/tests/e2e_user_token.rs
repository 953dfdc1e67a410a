//! End-user sign-in end to end through `cargo lambda watch` (started by `make test`): the real
//! user-token function on `POST /v2/token` and `POST /v2/revoke`, the SQLite store and key file
//! the functions were started with. (The authorizer's side, with the user's tokens, is in
//! authorizer_e2e.rs.)

use integration_tests::e2e_store::{register_e2e_app, register_e2e_user};
use integration_tests::lambda_endpoint;
use serde_json::Value;
use token_service::testing::basic;

mod support;
use support::{header, http, send};

const PASSWORD: &str = "a long enough password";

async fn post_form(path: &str, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    send(
        http()
            .post(format!("{}{path}", lambda_endpoint()))
            .form(form),
    )
    .await
}

#[tokio::test]
async fn password_then_refresh_then_revoke_on_the_production_paths() {
    let app = register_e2e_app("lp-e2e-users", &["profile"]).await;
    let user = register_e2e_user("lp-e2e-users", PASSWORD).await;
    let (id, secret) = (app.client.client_id.as_str(), app.client_secret.as_str());

    let (status, headers, signed_in) = post_form(
        "/v2/token",
        &[
            ("client_id", id),
            ("client_secret", secret),
            ("username", &user.email.to_uppercase()),
            ("password", PASSWORD),
            ("grant_type", "password"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(signed_in["expires_in"], 3600);
    assert_eq!(signed_in["token_type"], "Bearer");
    assert_eq!(signed_in["scope"], serde_json::json!(["profile"]));
    for field in ["access_token", "refresh_token", "id_token"] {
        assert!(signed_in[field].is_string(), "{field}: {signed_in}");
    }

    // HTTP Basic works here as on the other token endpoints.
    let first = signed_in["refresh_token"].as_str().unwrap();
    let (status, _, refreshed) = send(
        http()
            .post(format!("{}/v2/token", lambda_endpoint()))
            .header("authorization", basic(id, secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", first)]),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let second = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);

    let (status, headers, body) = post_form(
        "/v2/revoke",
        &[
            ("client_id", id),
            ("client_secret", secret),
            ("token", second),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));

    let (status, _, body) = post_form(
        "/v2/token",
        &[
            ("client_id", id),
            ("client_secret", secret),
            ("refresh_token", second),
            ("grant_type", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = register_e2e_app("lp-e2e-users", &[]).await;
    let user = register_e2e_user("lp-e2e-users", PASSWORD).await;
    let mut bodies = Vec::new();
    for (email, password) in [
        (user.email.as_str(), "not the password"),
        ("nobody-at-all@example.org", PASSWORD),
    ] {
        let (status, _, body) = post_form(
            "/v2/token",
            &[
                ("client_id", &app.client.client_id),
                ("client_secret", &app.client_secret),
                ("username", email),
                ("password", password),
                ("grant_type", "password"),
            ],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0]["error"], "invalid_grant");
}

#[tokio::test]
async fn reuse_of_a_rotated_refresh_token_revokes_the_session() {
    let app = register_e2e_app("lp-e2e-users", &[]).await;
    let user = register_e2e_user("lp-e2e-users", PASSWORD).await;
    let credentials = [
        ("client_id", app.client.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
    ];
    let grant = |extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(String, String)> = credentials
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        form
    };
    let refresh = |token: String| {
        grant(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", token),
        ])
    };
    let post = |form: Vec<(String, String)>| async move {
        send(
            http()
                .post(format!("{}/v2/token", lambda_endpoint()))
                .form(&form),
        )
        .await
    };
    let (_, _, signed_in) = post(grant(vec![
        ("grant_type", "password".into()),
        ("username", user.email.clone()),
        ("password", PASSWORD.into()),
    ]))
    .await;
    let first = signed_in["refresh_token"].as_str().unwrap().to_string();
    let (status, _, rotated) = post(refresh(first.clone())).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();

    let (status, _, reused) = post(refresh(first)).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _, after) = post(refresh(second)).await;
    assert_eq!(
        (status, after["error"].as_str()),
        (400, Some("invalid_grant")),
        "the newest token of the family is revoked too"
    );
}

#[tokio::test]
async fn only_post_is_served_on_v2_token_and_v2_revoke() {
    for path in ["/v2/token", "/v2/revoke"] {
        let response = http()
            .get(format!("{}{path}", lambda_endpoint()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{path}");
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some("POST")
        );
    }
}
