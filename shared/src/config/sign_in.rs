//! End-user sign-in settings: refresh-token and session lifetimes, the lockout back-off, and the
//! argon2id parameters new password hashes get.

use super::{ConfigError, env_var};
use crate::domain::password::{
    MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM,
};
use crate::domain::{Argon2Params, LockoutPolicy, PasswordHasher, SessionPolicy};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInSettings {
    pub sessions: SessionPolicy,
    pub lockout: LockoutPolicy,
    pub argon2: Argon2Params,
}

impl SignInSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_var)
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = SignInSettings::default();
        let number = |name: &str, default: i64, min: i64, max: i64| -> Result<i64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "{name} must be a number from {min} to {max}, not {s:?}"
                        ))
                    }),
            }
        };
        let day = 86_400;
        let sessions = SessionPolicy {
            refresh_token_ttl: number(
                "REFRESH_TOKEN_TTL_SECONDS",
                defaults.sessions.refresh_token_ttl,
                60,
                365 * day,
            )?,
            max_session: number(
                "SESSION_MAX_SECONDS",
                defaults.sessions.max_session,
                60,
                3 * 365 * day,
            )?,
        };
        if sessions.refresh_token_ttl > sessions.max_session {
            return Err(ConfigError(
                "REFRESH_TOKEN_TTL_SECONDS may not exceed SESSION_MAX_SECONDS".into(),
            ));
        }
        let lockout = LockoutPolicy {
            threshold: number(
                "LOCKOUT_THRESHOLD",
                defaults.lockout.threshold.into(),
                1,
                100,
            )? as u32,
            base_seconds: number(
                "LOCKOUT_BASE_SECONDS",
                defaults.lockout.base_seconds,
                1,
                3600,
            )?,
            max_seconds: number("LOCKOUT_MAX_SECONDS", defaults.lockout.max_seconds, 1, day)?,
        };
        // The bounds of stored hashes (domain::password), so every hash we write reads back;
        // they also keep a typo from making every sign-in take seconds or gigabytes.
        let argon2 = Argon2Params {
            memory_kib: number(
                "ARGON2_MEMORY_KIB",
                defaults.argon2.memory_kib.into(),
                8,
                MAX_ARGON2_MEMORY_KIB.into(),
            )? as u32,
            iterations: number(
                "ARGON2_ITERATIONS",
                defaults.argon2.iterations.into(),
                1,
                MAX_ARGON2_ITERATIONS.into(),
            )? as u32,
            parallelism: number(
                "ARGON2_PARALLELISM",
                defaults.argon2.parallelism.into(),
                1,
                MAX_ARGON2_PARALLELISM.into(),
            )? as u32,
        };
        let settings = SignInSettings {
            sessions,
            lockout,
            argon2,
        };
        settings.password_hasher()?;
        Ok(settings)
    }

    /// The hasher of these parameters; an error, never another hasher, when they are invalid.
    pub fn password_hasher(&self) -> Result<PasswordHasher, ConfigError> {
        PasswordHasher::new(self.argon2).map_err(|e| ConfigError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    #[test]
    fn defaults_are_30_day_tokens_and_cognito_like_lockout() {
        let s = SignInSettings::from_lookup(env(&[])).unwrap();
        assert_eq!(s, SignInSettings::default());
        assert_eq!(s.sessions.refresh_token_ttl, 30 * 86_400);
        assert_eq!(s.lockout.threshold, 5);
        assert_eq!(s.argon2.memory_kib, 19_456);
    }

    #[test]
    fn bad_or_contradicting_values_are_errors() {
        for vars in [
            &[("REFRESH_TOKEN_TTL_SECONDS", "soon")][..],
            &[("LOCKOUT_THRESHOLD", "0")],
            &[("ARGON2_MEMORY_KIB", "99999999")],
            &[
                ("REFRESH_TOKEN_TTL_SECONDS", "7200"),
                ("SESSION_MAX_SECONDS", "3600"),
            ],
        ] {
            assert!(SignInSettings::from_lookup(env(vars)).is_err(), "{vars:?}");
        }
    }
}
