//! Adapters of [`super::KeySetSource`] and [`super::KeySetStore`]: a local file (the embedded
//! default), an AWS Secrets Manager secret, and memory.

pub mod file;
pub mod memory;
pub mod secrets_manager;

pub use file::FileKeySource;
pub use memory::InMemoryKeySource;
pub use secrets_manager::{SecretsManagerKeySource, SecretsManagerVersions};
