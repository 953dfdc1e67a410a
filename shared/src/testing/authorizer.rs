//! The authorizer as tests drive it: a "world" of in-memory clients and legacy API keys, a
//! generated key set behind a load-counting cache, and the token endpoint over the same store, so
//! tests can get tokens the way clients do or mint them at any time (end users' tokens too); plus
//! the authorizer over other keys, the request it reads, and the handler's answer as JSON.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::clients::DEFAULT_SECRET;
use super::form::{TokenForm, post_v1_token};
use super::keys::{CountingKeySource, FailingKeySource, key_document};
use crate::authz::{
    AccessPolicy, AccessRequest, CallerStatus, Decision, LegacyApiKeyAuth, RequestAuthorizer,
    StatusFreshness,
};
use crate::config::HttpApiResponse;
use crate::domain::{Client, LegacyApiKey, User};
use crate::entrypoints::authorizer::{AuthorizerFailure, AuthorizerHandler};
use crate::keys::{KeyCache, KeySet, KeySetDocument, SigningAlgorithm};
use crate::oauth::TokenEndpoint;
use crate::store::memory::{MemoryApiKeyStore, MemoryClientStore, MemoryUserStore};
use crate::store::{ApiKeyStore, ClientReader, ClientStore, StoreError, UserAccounts, UserStore};
use crate::tokens::{
    AccessTokenVerifier, IssuedUserTokens, TokenSettings, UserSubject, mint_access_token,
    mint_user_tokens,
};

pub const ISSUER: &str = "https://auth.example.test";
pub const AUDIENCE: &str = "am-api";
/// The header legacy API keys come in, as the deployment names it by default.
pub const API_KEY_HEADER: &str = "X-Api-Key";

/// How long the cache keeps a key set before it reloads it, as deployed.
const KEY_REFRESH: Duration = Duration::from_secs(300);

/// The issuer and audience the authorizers built here expect.
pub fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
    }
}

/// The caller-status cache as deployed by default: 60 s fresh, 300 s stale on store failure.
pub const DEFAULT_FRESHNESS: StatusFreshness = StatusFreshness {
    fresh_seconds: 60,
    max_stale_seconds: 300,
};

/// Tokens for [`ISSUER`] and [`AUDIENCE`] with 30 seconds of clock leeway, keys from `keys`,
/// the default access policy; no legacy API keys accepted. No client or user is stored, so
/// every valid token is refused as its caller's: for tests of what happens before that check
/// (see [`request_authorizer_for`] otherwise).
pub fn request_authorizer(keys: Arc<KeyCache>) -> RequestAuthorizer {
    request_authorizer_over(
        keys,
        Arc::new(MemoryClientStore::default()),
        Arc::new(MemoryUserStore::default()),
    )
}

/// [`request_authorizer`] with `clients` stored (enabled as built), so their tokens pass.
pub async fn request_authorizer_for(keys: Arc<KeyCache>, clients: &[Client]) -> RequestAuthorizer {
    let store = Arc::new(MemoryClientStore::default());
    for client in clients {
        store.create(client).await.expect("storing a client");
    }
    request_authorizer_over(keys, store, Arc::new(MemoryUserStore::default()))
}

/// [`request_authorizer`] reading callers' status from these stores, with [`DEFAULT_FRESHNESS`].
pub fn request_authorizer_over(
    keys: Arc<KeyCache>,
    clients: Arc<dyn ClientReader>,
    users: Arc<dyn UserAccounts>,
) -> RequestAuthorizer {
    RequestAuthorizer::new(
        AccessTokenVerifier::new(ISSUER, AUDIENCE, 30),
        keys,
        AccessPolicy::default_policy().expect("the default policy loads"),
        CallerStatus::new(clients, users, DEFAULT_FRESHNESS),
    )
}

/// A client and user store whose every read fails, as during a DynamoDB outage.
pub struct FailingCallerStore;

#[async_trait::async_trait]
impl ClientReader for FailingCallerStore {
    async fn get(&self, _client_id: &str) -> Result<Option<Client>, StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }
}

#[async_trait::async_trait]
impl UserAccounts for FailingCallerStore {
    async fn get_user(&self, _user_id: &str) -> Result<Option<User>, StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }

    async fn find_by_email(&self, _: &str, _: &str) -> Result<Option<User>, StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }

    async fn record_login_failure(
        &self,
        _: &str,
        _: i64,
    ) -> Result<crate::domain::LoginFailures, StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }

    async fn reset_login_failures(&self, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }

    async fn upgrade_password_hash(
        &self,
        _: &str,
        _: &crate::domain::PasswordHash,
        _: &crate::domain::PasswordHash,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Backend("the store is down".into()))
    }
}

/// A cache whose every load fails: the signing keys are unavailable.
pub fn unavailable_keys() -> Arc<KeyCache> {
    Arc::new(KeyCache::new(Arc::new(FailingKeySource), KEY_REFRESH))
}

/// The handler over `authorizer`, reading API keys from [`API_KEY_HEADER`].
pub fn handler(authorizer: RequestAuthorizer, mode: HttpApiResponse) -> AuthorizerHandler {
    AuthorizerHandler::new(authorizer, API_KEY_HEADER, mode)
}

/// `GET path` with exactly these credentials (`None`: the header is absent).
pub fn get_request<'a>(
    path: &'a str,
    authorization: Option<&'a str>,
    api_key: Option<&'a str>,
) -> AccessRequest<'a> {
    AccessRequest {
        method: "GET",
        path,
        authorization,
        api_key,
    }
}

/// The handler's answer to `event` as the JSON API Gateway reads, or its failure.
pub async fn answer(handler: &AuthorizerHandler, event: Value) -> Result<Value, AuthorizerFailure> {
    handler
        .handle_json(event.to_string().as_bytes())
        .await
        .map(|response| serde_json::to_value(response).expect("responses serialize"))
}

/// The claims of a JWT, read without verifying it.
pub fn token_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("the payload is base64url");
    serde_json::from_slice(&json).expect("the payload is JSON")
}

/// Clients, legacy API keys and a key set in memory, wired as the deployed authorizer and
/// token endpoint wire them.
pub struct AuthorizerWorld {
    /// The key set document the source serves (private keys included).
    pub document: KeySetDocument,
    /// The same key set in hand, to mint tokens without the endpoint.
    pub keys: KeySet,
    /// The source behind [`Self::cache`], counting its loads.
    pub source: Arc<CountingKeySource>,
    pub cache: Arc<KeyCache>,
    pub clients: Arc<MemoryClientStore>,
    /// The end users whose tokens [`Self::mint_user`] mints (it stores them).
    pub users: Arc<MemoryUserStore>,
    pub api_keys: Arc<MemoryApiKeyStore>,
    /// When legacy API keys stop counting; `None`: this authorizer accepts none.
    api_key_sunset: Option<i64>,
    /// The clients as stored when the world was built, by id.
    stored: HashMap<String, Client>,
}

pub struct AuthorizerWorldBuilder {
    alg: SigningAlgorithm,
    clients: Vec<Client>,
    legacy_api_keys: Vec<LegacyApiKey>,
    api_key_sunset: Option<i64>,
}

impl AuthorizerWorld {
    /// A world signing with `alg` (the key set of [`key_document`]), no clients, no API keys.
    pub fn builder(alg: SigningAlgorithm) -> AuthorizerWorldBuilder {
        AuthorizerWorldBuilder {
            alg,
            clients: Vec::new(),
            legacy_api_keys: Vec::new(),
            api_key_sunset: None,
        }
    }

    /// The authorizer over this world's keys, clients and users (and API keys, when the builder
    /// accepted them), with a caller-status cache of its own.
    pub fn authorizer(&self) -> RequestAuthorizer {
        let authorizer =
            request_authorizer_over(self.cache.clone(), self.clients.clone(), self.users.clone());
        match self.api_key_sunset {
            Some(sunset) => authorizer.with_api_keys(LegacyApiKeyAuth {
                keys: self.api_keys.clone(),
                clients: self.clients.clone(),
                sunset,
            }),
            None => authorizer,
        }
    }

    pub fn handler(&self, mode: HttpApiResponse) -> AuthorizerHandler {
        handler(self.authorizer(), mode)
    }

    /// This world's decision on `GET path` with these credentials at `now`.
    pub async fn decide(
        &self,
        path: &str,
        authorization: Option<&str>,
        api_key: Option<&str>,
        now: i64,
    ) -> Decision {
        self.authorizer()
            .authorize(&get_request(path, authorization, api_key), now)
            .await
            .expect("keys and stores are available")
    }

    /// `POST /v1/token` over this world's clients and keys.
    pub fn token_endpoint(&self) -> TokenEndpoint {
        TokenEndpoint::new(self.clients.clone(), self.cache.clone(), token_settings())
    }

    /// A token from `POST /v1/token` with the client's credentials (every client of a world
    /// has the default secret of [`super::client`]), the way a client gets one.
    pub async fn token(&self, client_id: &str) -> String {
        let form =
            TokenForm::credentials(client_id, DEFAULT_SECRET).grant_type("client_credentials");
        let response = post_v1_token(&self.token_endpoint(), &form).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let json: Value = serde_json::from_str(&response.body).expect("a JSON token response");
        json["access_token"]
            .as_str()
            .expect("an access_token")
            .to_string()
    }

    /// A token for the client as stored at build time, minted by the endpoint's own code at
    /// `now`, without scopes.
    pub fn mint(&self, client_id: &str, now: i64) -> String {
        self.mint_for(&token_settings(), client_id, now)
    }

    /// [`Self::mint`] for another issuer or audience.
    pub fn mint_for(&self, settings: &TokenSettings, client_id: &str, now: i64) -> String {
        mint_access_token(
            settings,
            &self.keys,
            self.stored_client(client_id),
            &[],
            now,
        )
        .expect("minting")
        .token
    }

    /// The access token and id_token of `user` signed in at `now` through the app `client_id`
    /// (a client as stored at build time), minted by the sign-in's own code, with `scopes`.
    /// Stores `user` in [`Self::users`] unless a user with its id is stored already, as the
    /// authorizer checks the user of every user token.
    pub async fn mint_user(
        &self,
        client_id: &str,
        user: &User,
        scopes: &[&str],
        now: i64,
    ) -> IssuedUserTokens {
        match self.users.create_user(user).await {
            Ok(()) | Err(StoreError::AlreadyExists) => {}
            Err(error) => panic!("storing a user: {error}"),
        }
        let subject = UserSubject {
            user_id: &user.user_id,
            email: &user.email,
            labelpartner: &user.labelpartner,
            auth_time: now,
        };
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let client = self.stored_client(client_id);
        mint_user_tokens(&token_settings(), &self.keys, client, subject, &scopes, now)
            .expect("minting")
    }

    fn stored_client(&self, client_id: &str) -> &Client {
        self.stored
            .get(client_id)
            .unwrap_or_else(|| panic!("no client {client_id} in this world"))
    }
}

impl AuthorizerWorldBuilder {
    /// Stores this client (built with [`super::client`], so it has the default secret).
    pub fn client(mut self, client: impl Into<Client>) -> Self {
        self.clients.push(client.into());
        self
    }

    /// Stores the legacy API key `key` of `client_id`, imported at 0.
    pub fn legacy_api_key(mut self, key: &str, client_id: &str) -> Self {
        self.legacy_api_keys
            .push(LegacyApiKey::from_key(key, client_id, 0).expect("a valid legacy API key"));
        self
    }

    /// Makes the authorizer accept legacy API keys until `sunset` (exclusive).
    pub fn api_keys_until(mut self, sunset: i64) -> Self {
        self.api_key_sunset = Some(sunset);
        self
    }

    pub async fn build(self) -> AuthorizerWorld {
        let document = key_document(self.alg);
        let keys = KeySet::from_document(&document).expect("a usable key set");
        let source = Arc::new(CountingKeySource::new(document.clone()));
        let cache = Arc::new(KeyCache::new(source.clone(), KEY_REFRESH));
        let clients = Arc::new(MemoryClientStore::default());
        let mut stored = HashMap::new();
        for client in self.clients {
            clients.create(&client).await.expect("storing a client");
            stored.insert(client.client_id.clone(), client);
        }
        let api_keys = Arc::new(MemoryApiKeyStore::new(clients.clone()));
        for key in &self.legacy_api_keys {
            api_keys.import_key(key).await.expect("storing an API key");
        }
        AuthorizerWorld {
            document,
            keys,
            source,
            cache,
            clients,
            users: Arc::new(MemoryUserStore::default()),
            api_keys,
            api_key_sunset: self.api_key_sunset,
            stored,
        }
    }
}
