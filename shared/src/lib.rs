//! The token service's logic and its adapters.
//!
//! The folders mirror the architecture:
//! - [`clients`] and [`credentials`]: the domain of OAuth clients and their secrets;
//! - [`oauth`]: the token endpoint as plain Rust (request parsing, client authentication, grants,
//!   the RFC 6749 error JSON);
//! - [`tokens`]: JWT access-token claims, minting and verification;
//! - [`keys`]: the signing key set, its port ([`keys::KeySetSource`]) and adapters (file, Secrets
//!   Manager), and the per-container cache;
//! - [`store`]: the storage ports and adapters (SQLite, DynamoDB);
//! - [`discovery`]: the authorization-server metadata document and JWKS;
//! - [`entrypoints`]: the one translation layer between API Gateway (via `lambda_http`) and the
//!   logic above;
//! - [`authz`]: the API Gateway authorizer's logic: credentials, access policy, decision;
//! - [`config`] and [`bootstrap`]: settings from the environment and wiring of adapters.

pub mod authz;
pub mod bootstrap;
pub mod client_admin;
pub mod clients;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod discovery;
pub mod entrypoints;
pub mod keys;
pub mod oauth;
pub mod store;
pub mod tokens;
