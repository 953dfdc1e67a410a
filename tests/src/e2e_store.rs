//! The SQLite store that the functions under `cargo lambda watch` were started with
//! (E2E_SQLITE_PATH): end-to-end tests register their clients there, as an operator would.

use token_service::admin::clients::{IssuedCredentials, NewClient, register};
use token_service::domain::time::now_unix;
use token_service::store::ClientStore;
use token_service::store::sqlite::SqliteStore;

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
