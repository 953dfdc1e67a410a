//! The token endpoint driven through its plain-Rust interface: one test per RFC rule and per row
//! of the error list in the issue. In-memory store and key set; no server, no I/O.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use token_service::admin::clients::{NewClient, register, rotate_secret};
use token_service::domain::client::{AccessLevel, Client, GrantType};
use token_service::domain::time::now_unix;
use token_service::http::HttpResponse;
use token_service::keys::source::InMemoryKeySource;
use token_service::keys::{
    KeyCache, KeyError, KeySetDocument, KeySetSource, SigningAlgorithm, initial_document,
};
use token_service::oauth::{TokenEndpoint, TokenEndpointKind, TokenRequest};
use token_service::store::memory::MemoryClientStore;
use token_service::store::{ClientReader, ClientStore, StoreError};
use token_service::tokens::{AccessTokenVerifier, TokenSettings};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const ISSUER: &str = "https://auth.example.test";
const AUDIENCE: &str = "am-api";

fn keyset(alg: SigningAlgorithm) -> KeySetDocument {
    static RS: OnceLock<KeySetDocument> = OnceLock::new();
    static ES: OnceLock<KeySetDocument> = OnceLock::new();
    static ED: OnceLock<KeySetDocument> = OnceLock::new();
    let cell = match alg {
        SigningAlgorithm::RS256 => &RS,
        SigningAlgorithm::ES256 => &ES,
        SigningAlgorithm::EdDSA => &ED,
    };
    cell.get_or_init(|| initial_document(alg, 0).unwrap())
        .clone()
}

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
        let store = Arc::new(MemoryClientStore::default());
        let keys = Arc::new(KeyCache::new(
            Arc::new(InMemoryKeySource(keyset(alg))),
            Duration::from_secs(300),
        ));
        Harness {
            endpoint: TokenEndpoint::new(store.clone(), keys.clone(), settings()),
            store,
            keys,
        }
    }

    async fn client(
        &self,
        level: AccessLevel,
        scopes: &[&str],
        grants: &[GrantType],
    ) -> (Client, String) {
        let issued = register(
            NewClient {
                client_id: None,
                access_level: level,
                labelpartner: (level == AccessLevel::Labelpartner).then(|| "lp-42".to_string()),
                allowed_scopes: scopes.iter().map(|s| s.to_string()).collect(),
                allowed_grant_types: grants.to_vec(),
                access_token_ttl: None,
            },
            now_unix(),
        )
        .unwrap();
        self.store.create(&issued.client).await.unwrap();
        (issued.client, issued.client_secret)
    }

    async fn labelpartner(&self) -> (String, String) {
        let (c, s) = self
            .client(
                AccessLevel::Labelpartner,
                &["accounts:read", "accounts:write"],
                &[],
            )
            .await;
        (c.client_id, s)
    }

    async fn post(
        &self,
        kind: TokenEndpointKind,
        authorization: Option<&str>,
        body: &str,
    ) -> Reply {
        self.post_with(kind, FORM, authorization, body.as_bytes())
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

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
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
    let r = h
        .post(
            V1,
            None,
            &form(&[("client_id", &id), ("client_secret", &secret)]),
        )
        .await;
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
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]);
    h.post(V2, None, &body).await.token();
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded_before_comparison() {
    let h = Harness::new();
    let issued = register(
        NewClient {
            client_id: Some("partner@acme.example".into()),
            access_level: AccessLevel::Admin,
            labelpartner: None,
            allowed_scopes: vec![],
            allowed_grant_types: vec![],
            access_token_ttl: None,
        },
        now_unix(),
    )
    .unwrap();
    h.store.create(&issued.client).await.unwrap();
    let encoded_id = "partner%40acme.example";
    let r = h
        .post(
            V2,
            Some(&basic(encoded_id, &issued.client_secret)),
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
    let r = h
        .post(
            V1,
            None,
            &form(&[("client_id", &id), ("client_secret", &secret)]),
        )
        .await;
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
    assert_eq!(claims["labelpartner"], "lp-42");
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
    let (client, secret) = h.client(AccessLevel::Admin, &[], &[]).await;
    let r = h
        .post(
            V1,
            None,
            &form(&[("client_id", &client.client_id), ("client_secret", &secret)]),
        )
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
    let body = form(&[("client_id", &id), ("client_secret", &secret)]);
    let a = jwt_part(h.post(V1, None, &body).await.token(), 1);
    let b = jwt_part(h.post(V1, None, &body).await.token(), 1);
    assert_ne!(a["jti"], b["jti"]);
}

#[tokio::test]
async fn a_client_specific_lifetime_sets_exp_and_expires_in() {
    let h = Harness::new();
    let (mut client, secret) = h.client(AccessLevel::Admin, &[], &[]).await;
    client.access_token_ttl = 600;
    h.store.update(&client).await.unwrap();
    let r = h
        .post(
            V1,
            None,
            &form(&[("client_id", &client.client_id), ("client_secret", &secret)]),
        )
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
        let r = h
            .post(
                V1,
                None,
                &form(&[("client_id", &id), ("client_secret", &secret)]),
            )
            .await;
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
    let body = form(&[
        ("client_id", &id),
        ("client_secret", &secret),
        ("scope", "accounts:read"),
    ]);
    let r = h.post(V1, None, &body).await;
    assert_eq!(jwt_part(r.token(), 1)["scope"], "accounts:read");
    assert_eq!(r.json["scope"], "accounts:read");
}

#[tokio::test]
async fn a_scope_outside_the_clients_scopes_is_invalid_scope() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let body = form(&[
        ("client_id", &id),
        ("client_secret", &secret),
        ("scope", "accounts:read admin:all"),
    ]);
    h.post(V1, None, &body)
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
        let body = form(&[
            ("grant_type", grant),
            ("client_id", &id),
            ("client_secret", &secret),
        ]);
        h.post(V1, None, &body)
            .await
            .assert_error(400, "unsupported_grant_type");
        h.post(V2, None, &body)
            .await
            .assert_error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn a_client_not_allowed_client_credentials_is_unauthorized_client() {
    let h = Harness::new();
    let (client, secret) = h
        .client(AccessLevel::Labelpartner, &[], &[GrantType::Password])
        .await;
    let body = form(&[("client_id", &client.client_id), ("client_secret", &secret)]);
    h.post(V1, None, &body)
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
        .post(
            V1,
            None,
            &form(&[("client_id", "nobody-here"), ("client_secret", &secret)]),
        )
        .await;
    let wrong = h
        .post(
            V1,
            None,
            &form(&[("client_id", &id), ("client_secret", "not-the-secret")]),
        )
        .await;
    let off = h
        .post(
            V1,
            None,
            &form(&[
                ("client_id", &disabled),
                ("client_secret", &disabled_secret),
            ]),
        )
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
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]);
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
    let (client, old_secret) = h.client(AccessLevel::Admin, &[], &[]).await;
    let rotated = rotate_secret(&client, now_unix(), 3600).unwrap();
    h.store.update(&rotated.client).await.unwrap();
    for secret in [&old_secret, &rotated.client_secret] {
        h.post(
            V1,
            None,
            &form(&[("client_id", &client.client_id), ("client_secret", secret)]),
        )
        .await
        .token();
    }
    let expired = rotate_secret(&client, now_unix() - 7200, 3600).unwrap();
    h.store.update(&expired.client).await.unwrap();
    h.post(
        V1,
        None,
        &form(&[
            ("client_id", &client.client_id),
            ("client_secret", &old_secret),
        ]),
    )
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
    let body = form(&[("client_id", &id), ("client_secret", &secret)]);
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
    let body = form(&[
        ("client_id", &id),
        ("client_secret", &secret),
        ("client_secret", &secret),
    ]);
    h.post(V1, None, &body)
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_oversized_body_is_invalid_request() {
    let h = Harness::new();
    let (id, secret) = h.labelpartner().await;
    let body = form(&[
        ("client_id", &id),
        ("client_secret", &secret),
        ("scope", &"a".repeat(5000)),
    ]);
    h.post(V1, None, &body)
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

struct BrokenKeys;

#[async_trait]
impl KeySetSource for BrokenKeys {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        Err(KeyError::Source(
            "AccessDeniedException: arn:aws:secretsmanager:detail".into(),
        ))
    }
}

#[tokio::test]
async fn a_store_failure_is_server_error_and_leaks_nothing() {
    let keys = Arc::new(KeyCache::new(
        Arc::new(InMemoryKeySource(keyset(SigningAlgorithm::RS256))),
        Duration::from_secs(300),
    ));
    let endpoint = TokenEndpoint::new(Arc::new(BrokenStore), keys, settings());
    let r = Reply::from(
        endpoint
            .handle(
                V1,
                TokenRequest {
                    content_type: FORM,
                    authorization: None,
                    body: b"client_id=a&client_secret=b",
                },
            )
            .await,
    );
    r.assert_error(500, "server_error");
    assert!(!r.response.body.contains("Provisioned") && !r.response.body.contains("secret-detail"));
}

#[tokio::test]
async fn a_key_failure_is_server_error_and_leaks_nothing() {
    let store = Arc::new(MemoryClientStore::default());
    let endpoint = TokenEndpoint::new(
        store.clone(),
        Arc::new(KeyCache::new(
            Arc::new(BrokenKeys),
            Duration::from_secs(300),
        )),
        settings(),
    );
    let issued = register(
        NewClient {
            client_id: None,
            access_level: AccessLevel::Admin,
            labelpartner: None,
            allowed_scopes: vec![],
            allowed_grant_types: vec![],
            access_token_ttl: None,
        },
        now_unix(),
    )
    .unwrap();
    store.create(&issued.client).await.unwrap();
    let body = form(&[
        ("client_id", &issued.client.client_id),
        ("client_secret", &issued.client_secret),
    ]);
    let r = Reply::from(
        endpoint
            .handle(
                V1,
                TokenRequest {
                    content_type: FORM,
                    authorization: None,
                    body: body.as_bytes(),
                },
            )
            .await,
    );
    r.assert_error(500, "server_error");
    assert!(!r.response.body.contains("arn:aws"));
}
