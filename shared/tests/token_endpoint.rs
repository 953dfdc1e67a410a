//! The token endpoint driven through its plain-Rust interface: one test per RFC rule and per row
//! of the error list in the issue. In-memory store and key set; no server, no I/O.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::sync::Arc;

use token_service::admin::clients::rotate_secret;
use token_service::domain::client::{AccessLevel, Client, GrantType};
use token_service::domain::time::now_unix;
use token_service::http::HttpResponse;
use token_service::keys::{KeyCache, SigningAlgorithm};
use token_service::oauth::{TokenEndpoint, TokenEndpointKind, TokenRequest};
use token_service::store::memory::MemoryClientStore;
use token_service::store::{ClientReader, ClientStore, StoreError};
use token_service::testing::{
    FORM_URLENCODED, FailingKeySource, TokenForm, basic, client, key_cache, registered,
};
use token_service::tokens::{AccessTokenVerifier, TokenSettings};

const ISSUER: &str = "https://auth.example.test";
const AUDIENCE: &str = "am-api";

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
    }
}

struct Harness {
    endpoint: TokenEndpoint,
    store: Arc<MemoryClientStore>,
    keys: Arc<KeyCache>,
}

impl Harness {
    fn new() -> Self {
        Self::with_alg(SigningAlgorithm::RS256)
    }

    fn with_alg(alg: SigningAlgorithm) -> Self {
        Self::with_keys(key_cache(alg))
    }

    fn with_keys(keys: Arc<KeyCache>) -> Self {
        let store = Arc::new(MemoryClientStore::default());
        Harness {
            endpoint: TokenEndpoint::new(store.clone(), keys.clone(), settings()),
            store,
            keys,
        }
    }

    /// An endpoint whose client store fails every read (the harness's own store is unused).
    fn with_broken_store() -> Self {
        let harness = Self::new();
        Harness {
            endpoint: TokenEndpoint::new(Arc::new(BrokenStore), harness.keys.clone(), settings()),
            ..harness
        }
    }

    /// Registers a client of `level` with `scopes`: (the client, its secret).
    async fn client(&self, level: AccessLevel, scopes: &[&str]) -> (Client, String) {
        let issued = registered(self.store.as_ref(), level, scopes).await;
        (issued.client, issued.client_secret)
    }

    /// A labelpartner client with two scopes: (its id, its secret).
    async fn labelpartner(&self) -> (String, String) {
        let (client, secret) = self
            .client(
                AccessLevel::Labelpartner,
                &["accounts:read", "accounts:write"],
            )
            .await;
        (client.client_id, secret)
    }

    /// A form-encoded request without an `Authorization` header.
    async fn post_form(&self, kind: TokenEndpointKind, form: &TokenForm) -> Reply {
        self.post(kind, None, &form.encode()).await
    }

    async fn post(
        &self,
        kind: TokenEndpointKind,
        authorization: Option<&str>,
        body: &str,
    ) -> Reply {
        self.post_with(kind, Some(FORM_URLENCODED), authorization, body.as_bytes())
            .await
    }

    async fn post_with(
        &self,
        kind: TokenEndpointKind,
        content_type: Option<&str>,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let response = self
            .endpoint
            .handle(
                kind,
                TokenRequest {
                    content_type,
                    authorization,
                    body,
                },
            )
            .await;
        Reply::from(response)
    }
}

struct Reply {
    response: HttpResponse,
    json: Value,
}

impl From<HttpResponse> for Reply {
    fn from(response: HttpResponse) -> Self {
        let json = serde_json::from_str(&response.body).expect("every response is JSON");
        Reply { response, json }
    }
}

impl Reply {
    fn status(&self) -> u16 {
        self.response.status
    }
    fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("<none>")
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.response.header(name)
    }
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status(), self.error()),
            (status, code),
            "body: {}",
            self.response.body
        );
        assert!(self.json["error_description"].is_string());
        self.assert_never_cached();
    }
    fn assert_never_cached(&self) {
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert_eq!(self.header("pragma"), Some("no-cache"));
        assert!(
            self.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
    fn token(&self) -> &str {
        assert_eq!(self.status(), 200, "body: {}", self.response.body);
        self.json["access_token"].as_str().unwrap()
    }
}

fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

use TokenEndpointKind::{AccountManagementV1 as V1, OAuthV2 as V2};

// ---- success -------------------------------------------------------------------------------

#[tokio::test]
async fn v1_issues_a_token_with_grant_type_defaulting_to_client_credentials() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let r = h.post_form(V1, &TokenForm::credentials(&id, &secret)).await;
    r.token();
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 3600);
    assert!(
        r.json.get("refresh_token").is_none(),
        "no refresh token for client credentials"
    );
    r.assert_never_cached();
}

#[tokio::test]
async fn v2_issues_a_token_with_http_basic() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let r = h
        .post(
            V2,
            Some(&basic(&id, &secret)),
            "grant_type=client_credentials",
        )
        .await;
    r.token();
    r.assert_never_cached();
}

#[tokio::test]
async fn v2_issues_a_token_with_client_secret_post() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret).grant_type("client_credentials");
    h.post_form(V2, &form).await.token();
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded_before_comparison() {
    let h = Harness::new();
    let partner = client("partner@acme.example")
        .admin()
        .secret("partner-secret")
        .build();
    h.store.create(&partner).await.unwrap();
    let encoded_id = "partner%40acme.example";
    let r = h
        .post(
            V2,
            Some(&basic(encoded_id, "partner-secret")),
            "grant_type=client_credentials",
        )
        .await;
    assert_eq!(jwt_part(r.token(), 1)["sub"], "partner@acme.example");
}

#[tokio::test]
async fn access_token_is_an_rfc9068_jwt_with_the_clients_claims() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let before = now_unix();
    let r = h.post_form(V1, &TokenForm::credentials(&id, &secret)).await;
    let token = r.token();
    let header = jwt_part(token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    let keys = h.keys.current().await.unwrap();
    assert_eq!(header["kid"], keys.signer().kid());
    let claims = jwt_part(token, 1);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["access_level"], "labelpartner");
    assert_eq!(claims["labelpartner"], "lp-1");
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= before && iat <= now_unix());
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 3600);
    assert!(claims["jti"].as_str().unwrap().len() >= 22);
    assert_eq!(claims["scope"], "accounts:read accounts:write");
    let verified = AccessTokenVerifier::new(ISSUER, AUDIENCE, 0)
        .verify(&keys, token)
        .unwrap();
    assert_eq!(verified.client_id, id);
}

#[tokio::test]
async fn admin_tokens_carry_no_labelpartner_claim() {
    let h = Harness::new();
    let (client, secret) = h.client(AccessLevel::Admin, &[]).await;
    let r = h
        .post_form(V1, &TokenForm::credentials(&client.client_id, &secret))
        .await;
    let claims = jwt_part(r.token(), 1);
    assert_eq!(claims["access_level"], "admin");
    assert!(claims.get("labelpartner").is_none());
    assert!(
        claims.get("scope").is_none(),
        "no scope claim when none granted"
    );
    assert!(r.json.get("scope").is_none());
}

#[tokio::test]
async fn every_token_has_its_own_jti() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret);
    let a = jwt_part(h.post_form(V1, &form).await.token(), 1);
    let b = jwt_part(h.post_form(V1, &form).await.token(), 1);
    assert_ne!(a["jti"], b["jti"]);
}

#[tokio::test]
async fn a_client_specific_lifetime_sets_exp_and_expires_in() {
    let h = Harness::new();
    let (mut client, secret) = h.client(AccessLevel::Admin, &[]).await;
    client.access_token_ttl = 600;
    h.store.update(&client).await.unwrap();
    let r = h
        .post_form(V1, &TokenForm::credentials(&client.client_id, &secret))
        .await;
    let claims = jwt_part(r.token(), 1);
    assert_eq!(r.json["expires_in"], 600);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
}

#[tokio::test]
async fn es256_and_eddsa_keys_sign_verifiable_tokens() {
    for alg in [SigningAlgorithm::ES256, SigningAlgorithm::EdDSA] {
        let h = Harness::with_alg(alg);
        let (id, secret) = h.labelpartner().await;
        let r = h.post_form(V1, &TokenForm::credentials(&id, &secret)).await;
        assert_eq!(jwt_part(r.token(), 0)["alg"], alg.as_str());
        let keys = h.keys.current().await.unwrap();
        AccessTokenVerifier::new(ISSUER, AUDIENCE, 0)
            .verify(&keys, r.token())
            .unwrap();
    }
}

// ---- scope (RFC 6749 §3.3) ------------------------------------------------------------------

#[tokio::test]
async fn a_requested_subset_of_scopes_is_granted_and_echoed() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret).scope("accounts:read");
    let r = h.post_form(V1, &form).await;
    assert_eq!(jwt_part(r.token(), 1)["scope"], "accounts:read");
    assert_eq!(r.json["scope"], "accounts:read");
}

#[tokio::test]
async fn a_scope_outside_the_clients_scopes_is_invalid_scope() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret).scope("accounts:read admin:all");
    h.post_form(V1, &form)
        .await
        .assert_error(400, "invalid_scope");
}

// ---- grant type -----------------------------------------------------------------------------

#[tokio::test]
async fn v2_without_grant_type_is_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    h.post(V2, Some(&basic(&id, &secret)), "")
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn other_grant_types_are_unsupported_grant_type() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    for grant in [
        "password",
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "bogus",
    ] {
        let form = TokenForm::credentials(&id, &secret).grant_type(grant);
        h.post_form(V1, &form)
            .await
            .assert_error(400, "unsupported_grant_type");
        h.post_form(V2, &form)
            .await
            .assert_error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn a_client_not_allowed_client_credentials_is_unauthorized_client() {
    let h = Harness::new();
    let password_only = client("password-only")
        .secret("its-secret")
        .grants(&[GrantType::Password])
        .build();
    h.store.create(&password_only).await.unwrap();
    h.post_form(V1, &TokenForm::credentials("password-only", "its-secret"))
        .await
        .assert_error(400, "unauthorized_client");
}

// ---- client authentication (RFC 6749 §2.3) --------------------------------------------------

#[tokio::test]
async fn unknown_client_wrong_secret_and_disabled_client_get_one_identical_401() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let (disabled, disabled_secret) = h.labelpartner().await;
    h.store.disable(&disabled).await.unwrap();
    let unknown = h
        .post_form(V1, &TokenForm::credentials("nobody-here", &secret))
        .await;
    let wrong = h
        .post_form(V1, &TokenForm::credentials(&id, "not-the-secret"))
        .await;
    let off = h
        .post_form(V1, &TokenForm::credentials(&disabled, &disabled_secret))
        .await;
    for r in [&unknown, &wrong, &off] {
        r.assert_error(401, "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            None,
            "no Basic challenge when Basic was not used"
        );
    }
    assert_eq!(unknown.response, wrong.response);
    assert_eq!(wrong.response, off.response);
}

#[tokio::test]
async fn failed_basic_authentication_answers_with_a_basic_challenge() {
    let h = Harness::new();
    let (id, _) = h.labelpartner().await;
    let r = h
        .post(
            V2,
            Some(&basic(&id, "wrong")),
            "grant_type=client_credentials",
        )
        .await;
    r.assert_error(401, "invalid_client");
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=")
    );
}

#[tokio::test]
async fn both_authentication_methods_at_once_are_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let body = TokenForm::credentials(&id, &secret)
        .grant_type("client_credentials")
        .encode();
    h.post(V2, Some(&basic(&id, &secret)), &body)
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn no_client_authentication_is_invalid_client() {
    let h = Harness::new();
    h.post(V2, None, "grant_type=client_credentials")
        .await
        .assert_error(401, "invalid_client");
    h.post(V1, None, "client_id=only-an-id")
        .await
        .assert_error(401, "invalid_client");
}

#[tokio::test]
async fn during_a_rotation_both_secrets_work_and_the_old_one_stops_at_expiry() {
    let h = Harness::new();
    let (client, old_secret) = h.client(AccessLevel::Admin, &[]).await;
    let rotated = rotate_secret(&client, now_unix(), 3600).unwrap();
    h.store.update(&rotated.client).await.unwrap();
    for secret in [&old_secret, &rotated.client_secret] {
        h.post_form(V1, &TokenForm::credentials(&client.client_id, secret))
            .await
            .token();
    }
    // The first rotation again, as if made two hours ago: the overlap is over.
    let expired = rotate_secret(&client, now_unix() - 7200, 3600).unwrap();
    let stored = h.store.get(&client.client_id).await.unwrap().unwrap();
    let expired = Client {
        version: stored.version,
        ..expired.client
    };
    h.store.update(&expired).await.unwrap();
    h.post_form(V1, &TokenForm::credentials(&client.client_id, &old_secret))
        .await
        .assert_error(401, "invalid_client");
}

// ---- request format -------------------------------------------------------------------------

#[tokio::test]
async fn a_body_that_is_not_form_urlencoded_is_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let json = format!(r#"{{"client_id":"{id}","client_secret":"{secret}"}}"#);
    h.post_with(V1, Some("application/json"), None, json.as_bytes())
        .await
        .assert_error(400, "invalid_request");
    h.post_with(V1, None, None, b"client_id=x")
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_charset_parameter_on_the_media_type_is_accepted() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let body = TokenForm::credentials(&id, &secret).encode();
    h.post_with(
        V1,
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        None,
        body.as_bytes(),
    )
    .await
    .token();
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret).param("client_secret", &secret);
    h.post_form(V1, &form)
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_oversized_body_is_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let form = TokenForm::credentials(&id, &secret).scope(&"a".repeat(5000));
    h.post_form(V1, &form)
        .await
        .assert_error(400, "invalid_request");
}

// ---- our own failures -----------------------------------------------------------------------

struct BrokenStore;

#[async_trait]
impl ClientReader for BrokenStore {
    async fn get(&self, _: &str) -> Result<Option<Client>, StoreError> {
        Err(StoreError::Backend(
            "ProvisionedThroughputExceededException: table-name secret-detail".into(),
        ))
    }
}

#[tokio::test]
async fn a_store_failure_is_server_error_and_leaks_nothing() {
    let h = Harness::with_broken_store();
    let r = h.post(V1, None, "client_id=a&client_secret=b").await;
    r.assert_error(500, "server_error");
    assert!(!r.response.body.contains("Provisioned") && !r.response.body.contains("secret-detail"));
}

#[tokio::test]
async fn a_key_failure_is_server_error_and_leaks_nothing() {
    let h = Harness::with_keys(Arc::new(KeyCache::new(
        Arc::new(FailingKeySource),
        std::time::Duration::from_secs(300),
    )));
    let (client, secret) = h.client(AccessLevel::Admin, &[]).await;
    let r = h
        .post_form(V1, &TokenForm::credentials(&client.client_id, &secret))
        .await;
    r.assert_error(500, "server_error");
    assert!(!r.response.body.contains("arn:aws"));
}
