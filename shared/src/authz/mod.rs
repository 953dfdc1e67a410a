//! Authorization of calls to the protected APIs, as plain Rust: who is calling (an OAuth access
//! token or, during the deprecation window, a legacy API key), and may they call this route (the
//! access policy). No Lambda or AWS types appear here; `entrypoints::authorizer` translates API
//! Gateway's events to an [`AccessRequest`] and a [`Decision`] back to API Gateway's responses.
//!
//! - [`presented`]: what the request presents (`Authorization: Bearer`, the API-key header);
//! - [`principal`]: the authenticated caller;
//! - [`caller_status`]: whether a token's client and user are still enabled, cached per container;
//! - [`policy`]: the data-driven access policy and its default;
//! - [`decision`]: presented credentials → [`Principal`] → policy → [`Decision`].

pub mod caller_status;
pub mod decision;
pub mod policy;
pub mod presented;
pub mod principal;

pub use caller_status::{CallerStatus, StatusFreshness};
pub use decision::{
    AccessRequest, AuthzError, Decision, LegacyApiKeyAuth, RequestAuthorizer, Unauthenticated,
};
pub use policy::{AccessPolicy, DenyReason, PolicyDecision, PolicyError};
pub use principal::{CredentialKind, Principal};
