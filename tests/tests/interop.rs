//! Interoperability: a standard OAuth 2.0 client library (the `oauth2` crate) obtains tokens
//! from the running service with both client authentication methods, signs an end user in,
//! and refreshes, and a JWT library other than ours (`jwt-simple`, on its own crypto)
//! validates the access tokens and id_tokens against the served JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::e2e_store::register_e2e_client;
use integration_tests::lambda_endpoint;
use jwt_simple::prelude::*;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use std::collections::HashSet;
use token_service::admin::clients::NewClient;
use token_service::domain::time::now_unix;
use token_service::keys::SigningAlgorithm;
use token_service::testing::{client, key_cache};
use token_service::tokens::{TokenSettings, mint_access_token};

#[derive(Debug, Serialize, Deserialize)]
struct OurClaims {
    client_id: String,
    access_level: String,
    #[serde(default)]
    labelpartner: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

fn b64(value: &serde_json::Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value.as_str().unwrap()).unwrap()
}

fn options(issuer: &str, audience: &str, kid: &str) -> VerificationOptions {
    VerificationOptions {
        required_signature_type: Some("at+jwt".into()),
        required_key_id: Some(kid.into()),
        allowed_issuers: Some(HashSet::from([issuer.to_string()])),
        allowed_audiences: Some(HashSet::from([audience.to_string()])),
        time_tolerance: Some(Duration::from_secs(60)),
        ..Default::default()
    }
}

fn kid_of(token: &str) -> String {
    Token::decode_metadata(token)
        .unwrap()
        .key_id()
        .unwrap()
        .to_string()
}

/// The served JWKS's RS256 key for the token's kid, and the kid.
async fn served_key_of(base: &str, token: &str) -> (RS256PublicKey, String) {
    let jwks: serde_json::Value = reqwest::get(format!("{base}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = kid_of(token);
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the token's kid is in the JWKS");
    let key = RS256PublicKey::from_components(&b64(&jwk["n"]), &b64(&jwk["e"])).unwrap();
    (key, kid)
}

/// Verifies an RS256 token with jwt-simple against the JWKS the service serves.
async fn verify_against_served_jwks(base: &str, token: &str) -> JWTClaims<OurClaims> {
    let (key, kid) = served_key_of(base, token).await;
    key.verify_token::<OurClaims>(token, Some(options(base, "am-api", &kid)))
        .expect("jwt-simple accepts the token")
}

#[tokio::test]
async fn oauth2_crate_obtains_tokens_with_basic_and_post_auth_that_jwt_simple_validates() {
    let base = lambda_endpoint();
    let issued = register_e2e_client(
        NewClient::labelpartner("lp-interop").with_scopes(&["accounts:read", "accounts:write"]),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (auth_type, path) in [
        (AuthType::BasicAuth, "/oauth/v2/token"),
        (AuthType::RequestBody, "/v1/token"),
    ] {
        let client = BasicClient::new(ClientId::new(issued.client.client_id.clone()))
            .set_client_secret(ClientSecret::new(issued.client_secret.clone()))
            .set_token_uri(TokenUrl::new(format!("{base}{path}")).unwrap())
            .set_auth_type(auth_type.clone());
        let response = client
            .exchange_client_credentials()
            .add_scope(Scope::new("accounts:read".into()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{auth_type:?} on {path}: {e:?}"));
        assert_eq!(response.token_type().as_ref(), "bearer");
        assert_eq!(
            response.expires_in(),
            Some(std::time::Duration::from_secs(3600))
        );
        assert!(response.refresh_token().is_none());
        assert_eq!(
            response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            Some(vec!["accounts:read".to_string()])
        );
        let claims = verify_against_served_jwks(&base, response.access_token().secret()).await;
        assert_eq!(
            claims.subject.as_deref(),
            Some(issued.client.client_id.as_str())
        );
        assert_eq!(claims.custom.client_id, issued.client.client_id);
        assert_eq!(claims.custom.access_level, "labelpartner");
        assert_eq!(claims.custom.labelpartner.as_deref(), Some("lp-interop"));
        assert_eq!(claims.custom.scope.as_deref(), Some("accounts:read"));
        assert!(claims.jwt_id.is_some());
    }
}

#[tokio::test]
async fn oauth2_crate_sees_invalid_client_for_a_wrong_secret() {
    let base = lambda_endpoint();
    let client = BasicClient::new(ClientId::new("not-registered".into()))
        .set_client_secret(ClientSecret::new("wrong".into()))
        .set_token_uri(TokenUrl::new(format!("{base}/oauth/v2/token")).unwrap())
        .set_auth_type(AuthType::BasicAuth);
    let http = reqwest::Client::new();
    let error = client
        .exchange_client_credentials()
        .request_async(&http)
        .await
        .unwrap_err();
    match error {
        oauth2::RequestTokenError::ServerResponse(response) => {
            assert_eq!(response.error().as_ref(), "invalid_client");
        }
        other => panic!("expected an RFC 6749 error response, got {other:?}"),
    }
}

/// ES256 and EdDSA tokens (selectable by configuration) verify with jwt-simple too, from the JWK
/// the key set publishes.
#[tokio::test]
async fn es256_and_eddsa_tokens_verify_with_jwt_simple() {
    let settings = TokenSettings {
        issuer: "https://issuer.test".into(),
        audience: "am-api".into(),
    };
    let admin = client("interop-admin").admin().build();
    for alg in [SigningAlgorithm::ES256, SigningAlgorithm::EdDSA] {
        let keys = key_cache(alg).current().await.unwrap();
        let token = mint_access_token(&settings, &keys, &admin, &[], now_unix())
            .unwrap()
            .token;
        let jwks: serde_json::Value = serde_json::from_str(keys.jwks_json()).unwrap();
        let jwk = &jwks["keys"][0];
        let opts = Some(options(&settings.issuer, "am-api", &kid_of(&token)));
        let claims = match alg {
            SigningAlgorithm::ES256 => {
                let mut point = vec![0x04];
                point.extend(b64(&jwk["x"]));
                point.extend(b64(&jwk["y"]));
                ES256PublicKey::from_bytes(&point)
                    .unwrap()
                    .verify_token::<OurClaims>(&token, opts)
            }
            _ => Ed25519PublicKey::from_bytes(&b64(&jwk["x"]))
                .unwrap()
                .verify_token::<OurClaims>(&token, opts),
        }
        .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(claims.custom.access_level, "admin");
    }
}

/// The ce-api-token response as a standard client library reads it. The reference documents
/// `scope` as a JSON array where RFC 6749 §5.1 has a space-separated string, so the `oauth2`
/// crate's own response type cannot parse it; its documented extension point — a response type
/// of the client's own — can, and everything else is the library's.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CeApiTokenResponse {
    access_token: oauth2::AccessToken,
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: oauth2::basic::BasicTokenType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<oauth2::RefreshToken>,
    #[serde(default)]
    scope: Option<Vec<Scope>>,
    id_token: String,
}

impl TokenResponse for CeApiTokenResponse {
    type TokenType = oauth2::basic::BasicTokenType;
    fn access_token(&self) -> &oauth2::AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &Self::TokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        self.expires_in.map(std::time::Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&oauth2::RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

type CeApiClient = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    CeApiTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

#[derive(Debug, Serialize, Deserialize)]
struct IdClaims {
    auth_time: i64,
    email: String,
}

/// Verifies an RS256 id_token with jwt-simple against the served JWKS: typ JWT, aud the client.
async fn verify_id_token(base: &str, token: &str, client_id: &str) -> JWTClaims<IdClaims> {
    let (key, kid) = served_key_of(base, token).await;
    let options = VerificationOptions {
        required_signature_type: Some("JWT".into()),
        ..options(base, client_id, &kid)
    };
    key.verify_token::<IdClaims>(token, Some(options))
        .expect("jwt-simple accepts the id_token")
}

#[tokio::test]
async fn oauth2_crate_signs_a_user_in_and_refreshes_twice() {
    use integration_tests::e2e_store::{register_e2e_app, register_e2e_user};
    use oauth2::{ResourceOwnerPassword, ResourceOwnerUsername};

    let base = lambda_endpoint();
    let app = register_e2e_app("lp-interop", &["profile"]).await;
    let password = "interop password 1";
    let user = register_e2e_user("lp-interop", password).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client: CeApiClient = oauth2::Client::new(ClientId::new(app.client.client_id.clone()))
        .set_client_secret(ClientSecret::new(app.client_secret.clone()))
        .set_token_uri(TokenUrl::new(format!("{base}/v2/token")).unwrap())
        .set_auth_type(AuthType::RequestBody);

    let signed_in = client
        .exchange_password(
            &ResourceOwnerUsername::new(user.email.clone()),
            &ResourceOwnerPassword::new(password.into()),
        )
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("password grant: {e:?}"));
    assert_eq!(
        signed_in.expires_in(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(
        signed_in.scopes(),
        Some(&vec![Scope::new("profile".into())])
    );
    let access = verify_against_served_jwks(&base, signed_in.access_token().secret()).await;
    assert_eq!(access.subject.as_deref(), Some(user.user_id.as_str()));
    assert_eq!(access.custom.access_level, "user");
    assert_eq!(access.custom.client_id, app.client.client_id);
    assert_eq!(access.custom.labelpartner.as_deref(), Some("lp-interop"));
    let id = verify_id_token(&base, &signed_in.id_token, &app.client.client_id).await;
    assert_eq!(id.subject.as_deref(), Some(user.user_id.as_str()));
    assert_eq!(id.custom.email, user.email);

    let mut refresh_token = signed_in.refresh_token().expect("a refresh token").clone();
    let mut auth_times = vec![id.custom.auth_time];
    for round in 1..=2 {
        let refreshed = client
            .exchange_refresh_token(&refresh_token)
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("refresh {round}: {e:?}"));
        let next = refreshed
            .refresh_token()
            .expect("a rotated refresh token")
            .clone();
        assert_ne!(
            next.secret(),
            refresh_token.secret(),
            "rotated on refresh {round}"
        );
        verify_against_served_jwks(&base, refreshed.access_token().secret()).await;
        auth_times.push(
            verify_id_token(&base, &refreshed.id_token, &app.client.client_id)
                .await
                .custom
                .auth_time,
        );
        refresh_token = next;
    }
    assert!(
        auth_times.windows(2).all(|w| w[0] == w[1]),
        "auth_time stays the sign-in's"
    );

    // The oauth2 crate sends revocations only over https (RFC 7009 §2.1 requires TLS), and the
    // emulator serves http: the revocation is the RFC 7009 form POST, sent by hand.
    let revoked = http
        .post(format!("{base}/v2/revoke"))
        .form(&[
            ("client_id", app.client.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("token", refresh_token.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    let error = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&http)
        .await
        .unwrap_err();
    match error {
        oauth2::RequestTokenError::ServerResponse(response) => {
            assert_eq!(response.error().as_ref(), "invalid_grant");
        }
        other => panic!("expected invalid_grant after revocation, got {other:?}"),
    }
}
