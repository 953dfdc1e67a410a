//! The authorizer's own settings, read once per container. Issuer, audience, store and key
//! source come from [`crate::config::Settings`]; every variable is listed in docs/authorizer.md.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `ACCESS_POLICY` | – | the access policy as JSON |
//! | `ACCESS_POLICY_FILE` | – | a file holding the access policy (not with `ACCESS_POLICY`) |
//! | (neither) | `shared/policies/default.json` | the default policy, built in |
//! | `API_KEY_HEADER` | `X-Api-Key` | the header a legacy API key comes in |
//! | `API_KEY_SUNSET` | – (no API keys) | end of the API-key window: RFC 3339 (`2026-06-30T00:00:00Z`) or Unix seconds |
//! | `HTTP_API_RESPONSE` | `simple` | HTTP API answers: `simple` (`isAuthorized`) or `iam` (policy) |
//! | `TOKEN_LEEWAY_SECONDS` | `30` | clock skew allowed on `exp`/`nbf`, at most 60 |

use super::policy::{AccessPolicy, PolicyError};
use crate::config::ConfigError;
use crate::tokens::verify::MAX_LEEWAY_SECONDS;

pub const DEFAULT_API_KEY_HEADER: &str = "X-Api-Key";
pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;

/// How the authorizer answers HTTP API (payload format 2.0) events; the authorizer's
/// `EnableSimpleResponses` in API Gateway must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpApiResponse {
    /// `{"isAuthorized": …, "context": …}`.
    Simple,
    /// An IAM policy for the route ARN, as for REST APIs.
    Iam,
}

#[derive(Debug, Clone)]
pub struct AuthorizerSettings {
    pub policy: AccessPolicy,
    /// Lower-case, as header lookups compare case-insensitively.
    pub api_key_header: String,
    /// Unix seconds; `None`: API keys are not accepted at all.
    pub api_key_sunset: Option<i64>,
    pub http_api_response: HttpApiResponse,
    pub leeway_seconds: u64,
}

impl AuthorizerSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let policy_error = |e: PolicyError| ConfigError(e.to_string());
        let policy = match (var("ACCESS_POLICY"), var("ACCESS_POLICY_FILE")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "set ACCESS_POLICY or ACCESS_POLICY_FILE, not both".into(),
                ));
            }
            (Some(json), None) => AccessPolicy::from_json(&json).map_err(policy_error)?,
            (None, Some(path)) => {
                let json = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError(format!("ACCESS_POLICY_FILE {path}: {e}")))?;
                AccessPolicy::from_json(&json)
                    .map_err(|e| ConfigError(format!("ACCESS_POLICY_FILE {path}: {e}")))?
            }
            (None, None) => AccessPolicy::default_policy().map_err(policy_error)?,
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
        Ok(AuthorizerSettings {
            policy,
            api_key_header: api_key_header.to_ascii_lowercase(),
            api_key_sunset,
            http_api_response,
            leeway_seconds,
        })
    }
}

/// Unix seconds, or RFC 3339 date-time (`2026-06-30T00:00:00Z`, `2026-06-30T02:00:00+02:00`,
/// fractional seconds ignored).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let r = rest.as_bytes();
            if r.len() != 6 || !matches!(r[0], b'+' | b'-') || r[3] != b':' {
                return None;
            }
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if r[0] == b'-' { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<AuthorizerSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuthorizerSettings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_the_built_in_policy_and_accept_no_api_keys() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.api_key_header, "x-api-key");
        assert_eq!(s.api_key_sunset, None);
        assert_eq!(s.http_api_response, HttpApiResponse::Simple);
        assert_eq!(s.leeway_seconds, 30);
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
        ])
        .unwrap();
        assert_eq!(s.api_key_header, "x-legacy-key");
        assert_eq!(s.api_key_sunset, Some(1_782_777_600));
        assert_eq!(s.http_api_response, HttpApiResponse::Iam);
        assert_eq!(s.leeway_seconds, 60);
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
        ] {
            assert!(settings(&vars).is_err(), "{vars:?}");
        }
    }

    #[test]
    fn timestamps_parse_as_rfc3339_or_unix_seconds() {
        assert_eq!(parse_timestamp("0"), Some(0));
        assert_eq!(parse_timestamp("1782777600"), Some(1_782_777_600));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_timestamp("2026-06-30T02:00:00+02:00"),
            Some(1_782_777_600)
        );
        assert_eq!(
            parse_timestamp("2026-06-29T19:00:00.123-05:00"),
            Some(1_782_777_600)
        );
        assert_eq!(parse_timestamp("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        for bad in [
            "",
            "2026-06-30",
            "2026-06-30T00:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-06-30T24:00:00Z",
            "2026-06-30T00:00:00+2:00",
            "2026-06-30T00:00:00.Z",
            "2026-06-3XT00:00:00Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
