//! The token service's logic and its adapters. Each folder is one kind of thing:
//!
//! - [`domain`]: clients, secrets, legacy API keys, time; plain data and rules;
//! - [`admin`]: operator actions on the domain (what `authctl` does);
//! - [`oauth`]: the token endpoint as plain Rust: form, grant, client authentication, scopes,
//!   the RFC 6749 error JSON, the server metadata;
//! - [`authz`]: the API Gateway authorizer's logic: presented credentials → principal →
//!   access policy → decision;
//! - [`tokens`]: JWT access-token claims, minting and verification;
//! - [`keys`]: the signing key set, its cache, and its sources (file, Secrets Manager, memory);
//! - [`store`]: the storage ports and their adapters (SQLite with feature `sqlite`, DynamoDB,
//!   memory);
//! - [`config`]: settings from the environment; [`bootstrap`]: each function's wiring;
//!   [`aws_sdk`]: the AWS SDK configuration and clients it wires in (timeouts, trace ids);
//! - [`http`]: the framework-neutral response every entrypoint returns; [`private_file`]:
//!   owner-only local files for secrets; [`log_safe`]: attacker-supplied values capped and
//!   escaped for a log line;
//! - [`entrypoints`]: the one translation layer between the Lambda runtime (API Gateway proxy
//!   and authorizer events) and the logic above;
//! - `testing` (feature `test-support`): builders and doubles shared by every test crate.

pub mod admin;
pub mod authz;
pub mod aws_sdk;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod entrypoints;
pub mod http;
pub mod keys;
pub mod log_safe;
pub mod oauth;
pub mod private_file;
pub mod store;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod tokens;
