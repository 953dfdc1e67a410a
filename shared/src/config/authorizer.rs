//! The authorizer's own settings, read once per container. Issuer, audience, store and key
//! source come from [`super::Settings`]; every variable is listed in docs/authorizer.md.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `ACCESS_POLICY` | – | the access policy as JSON |
//! | `ACCESS_POLICY_FILE` | – | a file holding the access policy (not with `ACCESS_POLICY`) |
//! | (neither) | `shared/policies/default.json` | the default policy, built in |
//! | `API_KEY_HEADER` | `X-Api-Key` | the header a legacy API key comes in |
//! | `CALLER_STATUS_CACHE_SECONDS` | `60` | how long a token's client/user status is reused before it is read again (0-300; 0: every request) |
//! | `CALLER_STATUS_MAX_STALE_SECONDS` | `300` | while the store fails, a status read this recently is still used (0-3600) |
//! | `API_KEY_SUNSET` | – (no API keys) | end of the API-key window: RFC 3339 (`2026-06-30T00:00:00Z`) or Unix seconds |
//! | `HTTP_API_RESPONSE` | `simple` | HTTP API answers: `simple` (`isAuthorized`) or `iam` (policy) |
//! | `TOKEN_LEEWAY_SECONDS` | `30` | clock skew allowed on `exp`/`nbf`, at most 60 |

use std::path::PathBuf;

use super::{ConfigError, env_var};
use crate::authz::{AccessPolicy, PolicyError, StatusFreshness};
use crate::domain::time::parse_timestamp;
use crate::tokens::verify::MAX_LEEWAY_SECONDS;

const DEFAULT_API_KEY_HEADER: &str = "X-Api-Key";
const DEFAULT_LEEWAY_SECONDS: u64 = 30;
/// A `disable` takes effect within this many seconds by default (the promise of docs/security.md, Revocation).
const DEFAULT_CALLER_STATUS_CACHE_SECONDS: i64 = 60;
/// Longer would make a disable a matter of minutes: keep the bound a user can rely on short.
const MAX_CALLER_STATUS_CACHE_SECONDS: i64 = 300;
const DEFAULT_CALLER_STATUS_MAX_STALE_SECONDS: i64 = 300;
const MAX_CALLER_STATUS_MAX_STALE_SECONDS: i64 = 3600;

/// How the authorizer answers HTTP API (payload format 2.0) events; the authorizer's
/// `EnableSimpleResponses` in API Gateway must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpApiResponse {
    /// `{"isAuthorized": …, "context": …}`.
    Simple,
    /// An IAM policy for the route ARN, as for REST APIs.
    Iam,
}

/// Where the access policy comes from. Inline and built-in policies are parsed with the
/// settings; a policy file is read by [`PolicySource::load`], at wiring time.
#[derive(Debug, Clone)]
pub enum PolicySource {
    Parsed(AccessPolicy),
    File(PathBuf),
}

impl PolicySource {
    pub fn load(&self) -> Result<AccessPolicy, ConfigError> {
        match self {
            PolicySource::Parsed(policy) => Ok(policy.clone()),
            PolicySource::File(path) => {
                let failed = |e: &dyn std::fmt::Display| {
                    ConfigError(format!("ACCESS_POLICY_FILE {}: {e}", path.display()))
                };
                let json = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
                AccessPolicy::from_json(&json).map_err(|e| failed(&e))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthorizerSettings {
    pub policy: PolicySource,
    /// Lower-case, as header lookups compare case-insensitively.
    pub api_key_header: String,
    /// Unix seconds; `None`: API keys are not accepted at all.
    pub api_key_sunset: Option<i64>,
    pub http_api_response: HttpApiResponse,
    pub leeway_seconds: u64,
    pub caller_status: StatusFreshness,
}

impl AuthorizerSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_var)
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let policy_error = |e: PolicyError| ConfigError(e.to_string());
        let policy = match (var("ACCESS_POLICY"), var("ACCESS_POLICY_FILE")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "set ACCESS_POLICY or ACCESS_POLICY_FILE, not both".into(),
                ));
            }
            (Some(json), None) => {
                PolicySource::Parsed(AccessPolicy::from_json(&json).map_err(policy_error)?)
            }
            (None, Some(path)) => PolicySource::File(path.into()),
            (None, None) => {
                PolicySource::Parsed(AccessPolicy::default_policy().map_err(policy_error)?)
            }
        };
        let api_key_header = var("API_KEY_HEADER").unwrap_or_else(|| DEFAULT_API_KEY_HEADER.into());
        let header_ok = api_key_header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !header_ok || api_key_header.eq_ignore_ascii_case("authorization") {
            return Err(ConfigError(format!(
                "API_KEY_HEADER {api_key_header:?} is not a usable header name"
            )));
        }
        let api_key_sunset = match var("API_KEY_SUNSET") {
            Some(s) => Some(parse_timestamp(&s).ok_or_else(|| {
                ConfigError(format!(
                    "API_KEY_SUNSET {s:?} is neither RFC 3339 (2026-06-30T00:00:00Z) nor Unix seconds"
                ))
            })?),
            None => None,
        };
        let http_api_response = match var("HTTP_API_RESPONSE").as_deref().unwrap_or("simple") {
            "simple" => HttpApiResponse::Simple,
            "iam" => HttpApiResponse::Iam,
            other => {
                return Err(ConfigError(format!(
                    "HTTP_API_RESPONSE must be simple or iam, not {other:?}"
                )));
            }
        };
        let leeway_seconds = match var("TOKEN_LEEWAY_SECONDS") {
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n <= MAX_LEEWAY_SECONDS => n,
                _ => {
                    return Err(ConfigError(format!(
                        "TOKEN_LEEWAY_SECONDS must be 0-{MAX_LEEWAY_SECONDS}, not {s:?}"
                    )));
                }
            },
            None => DEFAULT_LEEWAY_SECONDS,
        };
        let caller_status = StatusFreshness {
            fresh_seconds: seconds(
                &var,
                "CALLER_STATUS_CACHE_SECONDS",
                DEFAULT_CALLER_STATUS_CACHE_SECONDS,
                MAX_CALLER_STATUS_CACHE_SECONDS,
            )?,
            max_stale_seconds: seconds(
                &var,
                "CALLER_STATUS_MAX_STALE_SECONDS",
                DEFAULT_CALLER_STATUS_MAX_STALE_SECONDS,
                MAX_CALLER_STATUS_MAX_STALE_SECONDS,
            )?,
        };
        Ok(AuthorizerSettings {
            policy,
            caller_status,
            api_key_header: api_key_header.to_ascii_lowercase(),
            api_key_sunset,
            http_api_response,
            leeway_seconds,
        })
    }
}

/// The variable `name` as seconds from 0 to `max`, `default` when unset.
fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => Ok(n),
            _ => Err(ConfigError(format!("{name} must be 0-{max}, not {s:?}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    /// The settings with their policy loaded, as the authorizer's wiring does.
    fn settings(vars: &[(&str, &str)]) -> Result<AuthorizerSettings, ConfigError> {
        let settings = AuthorizerSettings::from_lookup(env(vars))?;
        settings.policy.load()?;
        Ok(settings)
    }

    #[test]
    fn defaults_use_the_built_in_policy_and_accept_no_api_keys() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.api_key_header, "x-api-key");
        assert_eq!(s.api_key_sunset, None);
        assert_eq!(s.http_api_response, HttpApiResponse::Simple);
        assert_eq!(s.leeway_seconds, 30);
        assert_eq!(s.caller_status.fresh_seconds, 60);
        assert_eq!(s.caller_status.max_stale_seconds, 300);
    }

    #[test]
    fn every_variable_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(
            &file,
            r#"{"rules": [{"method": "GET", "path": "/x", "allow": "any"}]}"#,
        )
        .unwrap();
        let s = settings(&[
            ("ACCESS_POLICY_FILE", file.to_str().unwrap()),
            ("API_KEY_HEADER", "X-Legacy-Key"),
            ("API_KEY_SUNSET", "2026-06-30T00:00:00Z"),
            ("HTTP_API_RESPONSE", "iam"),
            ("TOKEN_LEEWAY_SECONDS", "60"),
            ("CALLER_STATUS_CACHE_SECONDS", "0"),
            ("CALLER_STATUS_MAX_STALE_SECONDS", "30"),
        ])
        .unwrap();
        assert_eq!(s.api_key_header, "x-legacy-key");
        assert_eq!(s.api_key_sunset, Some(1_782_777_600));
        assert_eq!(s.http_api_response, HttpApiResponse::Iam);
        assert_eq!(s.leeway_seconds, 60);
        assert_eq!(s.caller_status.fresh_seconds, 0);
        assert_eq!(s.caller_status.max_stale_seconds, 30);
        let inline = settings(&[(
            "ACCESS_POLICY",
            r#"{"rules": [{"method": "GET", "path": "/y", "allow": "admin"}]}"#,
        )]);
        assert!(inline.is_ok());
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        let policy = r#"{"rules": [{"method": "GET", "path": "/y", "allow": "admin"}]}"#;
        for vars in [
            vec![("ACCESS_POLICY", "{}")],
            vec![("ACCESS_POLICY", policy), ("ACCESS_POLICY_FILE", "/p.json")],
            vec![("ACCESS_POLICY_FILE", "/nonexistent/policy.json")],
            vec![("API_KEY_HEADER", "X Api Key")],
            vec![("API_KEY_HEADER", "Authorization")],
            vec![("API_KEY_SUNSET", "next summer")],
            vec![("HTTP_API_RESPONSE", "json")],
            vec![("TOKEN_LEEWAY_SECONDS", "61")],
            vec![("TOKEN_LEEWAY_SECONDS", "-1")],
            vec![("CALLER_STATUS_CACHE_SECONDS", "301")],
            vec![("CALLER_STATUS_CACHE_SECONDS", "-1")],
            vec![("CALLER_STATUS_MAX_STALE_SECONDS", "3601")],
            vec![("CALLER_STATUS_MAX_STALE_SECONDS", "forever")],
        ] {
            assert!(settings(&vars).is_err(), "{vars:?}");
        }
    }
}
