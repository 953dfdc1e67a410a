//! The user-token endpoint over in-memory (or given) stores, with a registered app client of
//! `lp-1` and one user, as the endpoint tests and benchmarks need it.

use serde_json::Value;
use std::sync::Arc;

use super::{FORM_URLENCODED, TokenForm, cheap_argon2, key_cache, user};
use crate::admin::clients::{IssuedCredentials, NewClient, register};
use crate::config::SignInSettings;
use crate::domain::time::now_unix;
use crate::domain::{Argon2Params, GrantType, User};
use crate::http::HttpResponse;
use crate::keys::{KeyCache, SigningAlgorithm};
use crate::oauth::{TokenRequest, UserTokenEndpoint};
use crate::store::memory::{MemoryClientStore, MemorySessionStore, MemoryUserStore};
#[cfg(feature = "sqlite")]
use crate::store::sqlite::SqliteStore;
use crate::store::{ClientStore, SessionStore, UserAccounts, UserStore};
use crate::tokens::TokenSettings;

pub const SIGN_IN_ISSUER: &str = "https://auth.example.test";
pub const SIGN_IN_AUDIENCE: &str = "ce-api";
/// The scopes the world's app client may be granted.
pub const APP_SCOPES: [&str; 2] = ["profile", "devices:read"];

pub struct SignInWorld {
    pub endpoint: UserTokenEndpoint,
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub keys: Arc<KeyCache>,
    /// A labelpartner client of `lp-1` with the password and refresh_token grants.
    pub app: IssuedCredentials,
    /// `ann@example.org` of `lp-1`, password [`super::DEFAULT_PASSWORD`].
    pub ann: User,
}

impl SignInWorld {
    /// In-memory stores, ES256 keys, cheap argon2id.
    pub async fn new() -> Self {
        Self::in_memory(SigningAlgorithm::ES256, cheap_argon2()).await
    }

    /// One SQLite store serving clients, users and sessions; keys of `alg`, cheap argon2id.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(store: Arc<SqliteStore>, alg: SigningAlgorithm) -> Self {
        Self::with_stores(
            store.clone(),
            store.clone(),
            store,
            cheap_sign_in_settings(),
            alg,
        )
        .await
    }

    /// In-memory stores, keys of `alg`, argon2id with `argon2`.
    pub async fn in_memory(alg: SigningAlgorithm, argon2: Argon2Params) -> Self {
        Self::with_stores(
            Arc::new(MemoryClientStore::default()),
            Arc::new(MemoryUserStore::default()),
            Arc::new(MemorySessionStore::default()),
            SignInSettings {
                argon2,
                ..SignInSettings::default()
            },
            alg,
        )
        .await
    }

    /// The given stores and settings, keys of `alg`; registers the app client and ann in them.
    pub async fn with_stores(
        clients: Arc<dyn ClientStore>,
        users: Arc<dyn UserStore>,
        sessions: Arc<dyn SessionStore>,
        settings: SignInSettings,
        alg: SigningAlgorithm,
    ) -> Self {
        let keys = key_cache(alg);
        let hasher = settings.password_hasher().expect("valid argon2 parameters");
        let endpoint = UserTokenEndpoint::new(
            clients.clone(),
            users.clone(),
            sessions.clone(),
            keys.clone(),
            token_settings(),
            settings,
        )
        .expect("valid sign-in settings");
        let world_app = app_client(
            clients.as_ref(),
            NewClient::labelpartner("lp-1").with_scopes(&APP_SCOPES),
        )
        .await;
        let ann = user("lp-1", "ann@example.org")
            .hash(
                hasher
                    .hash(super::DEFAULT_PASSWORD)
                    .expect("hashing ann's password"),
            )
            .build();
        users.create_user(&ann).await.expect("storing ann");
        SignInWorld {
            endpoint,
            clients,
            users,
            sessions,
            keys,
            app: world_app,
            ann,
        }
    }

    /// Registers and stores `new` as it is (no grants added): (client, secret).
    pub async fn register(&self, new: NewClient) -> IssuedCredentials {
        let issued = register(new, now_unix()).expect("a valid client");
        self.clients
            .create(&issued.client)
            .await
            .expect("storing the client");
        issued
    }

    /// Another endpoint over this world's clients, sessions and keys, with other users and
    /// settings.
    pub fn endpoint_with(
        &self,
        users: Arc<dyn UserAccounts>,
        settings: SignInSettings,
    ) -> UserTokenEndpoint {
        UserTokenEndpoint::new(
            self.clients.clone(),
            users,
            self.sessions.clone(),
            self.keys.clone(),
            token_settings(),
            settings,
        )
        .expect("valid sign-in settings")
    }

    /// The app's credentials in the body.
    pub fn app_form(&self) -> TokenForm {
        TokenForm::credentials(&self.app.client.client_id, &self.app.client_secret)
    }

    pub async fn post_token(&self, form: &TokenForm) -> HttpResponse {
        let body = form.encode();
        self.endpoint.token(form_request(&body)).await
    }

    pub async fn post_revoke(&self, form: &TokenForm) -> HttpResponse {
        let body = form.encode();
        self.endpoint.revoke(form_request(&body)).await
    }

    /// The app's password grant for `email` and `password`.
    pub async fn post_password_grant(&self, email: &str, password: &str) -> HttpResponse {
        self.post_token(&self.app_form().password_grant(email, password))
            .await
    }

    /// Ann signs in through the app; the response body, which must be a 200.
    pub async fn sign_in(&self) -> Value {
        let response = self
            .post_password_grant(&self.ann.email, super::DEFAULT_PASSWORD)
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        serde_json::from_str(&response.body).expect("JSON token response")
    }

    /// The app refreshes with `refresh_token`.
    pub async fn refresh(&self, refresh_token: &str) -> HttpResponse {
        self.post_token(&self.app_form().refresh_grant(refresh_token))
            .await
    }
}

fn form_request(body: &str) -> TokenRequest<'_> {
    TokenRequest {
        content_type: Some(FORM_URLENCODED),
        authorization: None,
        body: body.as_bytes(),
    }
}

/// The default sign-in settings with cheap argon2id.
pub fn cheap_sign_in_settings() -> SignInSettings {
    SignInSettings {
        argon2: cheap_argon2(),
        ..SignInSettings::default()
    }
}

/// `client_secret_post` credentials of a registered client.
pub fn credentials_of(issued: &IssuedCredentials) -> TokenForm {
    TokenForm::credentials(&issued.client.client_id, &issued.client_secret)
}

pub fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: SIGN_IN_ISSUER.into(),
        audience: SIGN_IN_AUDIENCE.into(),
    }
}

/// Registers and stores `new` with the password and refresh_token grants.
pub async fn app_client(clients: &dyn ClientStore, new: NewClient) -> IssuedCredentials {
    let issued = register(
        new.with_grants(&[GrantType::Password, GrantType::RefreshToken]),
        now_unix(),
    )
    .expect("a valid app client");
    clients
        .create(&issued.client)
        .await
        .expect("storing the app client");
    issued
}
