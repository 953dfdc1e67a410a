//! The SQLite store that the functions under `cargo lambda watch` were started with
//! (E2E_SQLITE_PATH): end-to-end tests register their clients and users there, as an operator
//! would.

use token_service::admin::clients::{IssuedCredentials, NewClient, register};
use token_service::config::SignInSettings;
use token_service::domain::time::now_unix;
use token_service::domain::user::new_user_id;
use token_service::domain::{GrantType, User};
use token_service::store::sqlite::SqliteStore;
use token_service::store::{ClientStore, UserStore};

use crate::required_env;

/// The store the emulated functions read.
pub fn e2e_store() -> SqliteStore {
    SqliteStore::open(required_env("E2E_SQLITE_PATH")).expect("the E2E SQLite store opens")
}

/// Registers `new` (generated secret, and id unless chosen) in the store the emulated
/// functions read; the returned credentials are the only copy of the secret.
pub async fn register_e2e_client(new: NewClient) -> IssuedCredentials {
    let issued = register(new, now_unix()).expect("a valid new client");
    e2e_store()
        .create(&issued.client)
        .await
        .expect("storing the client");
    issued
}

/// A labelpartner app client with the password and refresh_token grants, in the store the
/// emulated functions read.
pub async fn register_e2e_app(labelpartner: &str, scopes: &[&str]) -> IssuedCredentials {
    register_e2e_client(
        NewClient::labelpartner(labelpartner)
            .with_scopes(scopes)
            .with_grants(&[GrantType::Password, GrantType::RefreshToken]),
    )
    .await
}

/// A user of `labelpartner` with a unique e-mail and `password`, hashed as `authctl user
/// create` would (the service's argon2id parameters), in the store the emulated functions read.
pub async fn register_e2e_user(labelpartner: &str, password: &str) -> User {
    let hash = SignInSettings::default()
        .password_hasher()
        .expect("the default argon2 parameters")
        .hash(password)
        .expect("hashing the password");
    let email = format!(
        "user-{}@example.org",
        new_user_id().expect("randomness for a unique e-mail")
    );
    let user = User::new(labelpartner, &email, hash, now_unix()).expect("a valid user");
    e2e_store()
        .create_user(&user)
        .await
        .expect("storing the user");
    user
}
