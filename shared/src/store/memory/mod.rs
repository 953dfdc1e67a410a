//! In memory: the fastest adapters, for tests of the logic above the ports.

mod api_keys;
mod clients;
mod sessions;
mod users;

pub use api_keys::MemoryApiKeyStore;
pub use clients::MemoryClientStore;
pub use sessions::MemorySessionStore;
pub use users::MemoryUserStore;

use std::sync::{Mutex, MutexGuard};

/// A poisoned lock only means another test thread panicked; the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
