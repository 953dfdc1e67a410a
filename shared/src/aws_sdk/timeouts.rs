//! How long an AWS call may take. The SDK's own defaults bound only the connection (3.1 s) and
//! leave a call that connected but gets no answer to hang until Lambda kills the invocation at
//! its timeout (3–10 s here), and with it every invocation sharing the process. These bounds end
//! such a call first, so the request fails with the adapter's error, is logged, and answers
//! 5xx.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SDK_CONNECT_TIMEOUT_MS` | `1000` | one connection: TCP and TLS handshake |
//! | `SDK_ATTEMPT_TIMEOUT_MS` | `1500` | one attempt: connecting, sending, the whole response |
//! | `SDK_OPERATION_TIMEOUT_MS` | `3000` | one call, every attempt and the back-off between them |
//!
//! Each is 1 to 900000 (Lambda's longest timeout), and connect ≤ attempt ≤ operation. Retries
//! stay the SDK's standard ones (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE` still apply): a timed-out
//! attempt is retried, but never past the operation timeout. The operation timeout should stay
//! well under the function's own timeout, leaving it time to answer.
//!
//! No read timeout is set: the SDK's HTTP read timeout spans the same connect-send-receive as
//! the attempt timeout, so it would only be a second name for it.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

use crate::config::{ConfigError, env_var};

const MAX_MS: u64 = 900_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for SdkTimeouts {
    fn default() -> Self {
        SdkTimeouts {
            connect: Duration::from_millis(1000),
            attempt: Duration::from_millis(1500),
            operation: Duration::from_millis(3000),
        }
    }
}

impl SdkTimeouts {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_var)
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = SdkTimeouts::default();
        let millis = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(s) => s
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_MS).contains(n))
                    .map(Duration::from_millis)
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "{name} must be a number of milliseconds from 1 to {MAX_MS}, not {s:?}"
                        ))
                    }),
            }
        };
        let timeouts = SdkTimeouts {
            connect: millis("SDK_CONNECT_TIMEOUT_MS", defaults.connect)?,
            attempt: millis("SDK_ATTEMPT_TIMEOUT_MS", defaults.attempt)?,
            operation: millis("SDK_OPERATION_TIMEOUT_MS", defaults.operation)?,
        };
        // Out of order, the longer bound could never be reached: a sign of a typo, not intent.
        if timeouts.connect > timeouts.attempt || timeouts.attempt > timeouts.operation {
            return Err(ConfigError(format!(
                "SDK timeouts must be SDK_CONNECT_TIMEOUT_MS ({}) <= SDK_ATTEMPT_TIMEOUT_MS ({}) \
                 <= SDK_OPERATION_TIMEOUT_MS ({})",
                timeouts.connect.as_millis(),
                timeouts.attempt.as_millis(),
                timeouts.operation.as_millis()
            )));
        }
        Ok(timeouts)
    }

    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    fn timeouts(vars: &[(&str, &str)]) -> Result<SdkTimeouts, ConfigError> {
        SdkTimeouts::from_lookup(env(vars))
    }

    #[test]
    fn defaults_end_a_call_well_inside_a_three_second_function() {
        let t = timeouts(&[]).unwrap();
        assert_eq!(t, SdkTimeouts::default());
        assert_eq!(t.connect, Duration::from_secs(1));
        assert_eq!(t.attempt, Duration::from_millis(1500));
        assert_eq!(t.operation, Duration::from_secs(3));
        let config = t.timeout_config();
        assert_eq!(config.connect_timeout(), Some(Duration::from_secs(1)));
        assert_eq!(
            config.operation_attempt_timeout(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(config.operation_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(config.read_timeout(), None);
    }

    #[test]
    fn each_bound_is_set_in_milliseconds() {
        let t = timeouts(&[
            ("SDK_CONNECT_TIMEOUT_MS", "200"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "400"),
            ("SDK_OPERATION_TIMEOUT_MS", "9000"),
        ])
        .unwrap();
        assert_eq!(t.connect, Duration::from_millis(200));
        assert_eq!(t.attempt, Duration::from_millis(400));
        assert_eq!(t.operation, Duration::from_millis(9000));
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        for (name, value) in [
            ("SDK_CONNECT_TIMEOUT_MS", "soon"),
            ("SDK_CONNECT_TIMEOUT_MS", "0"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "-1"),
            ("SDK_OPERATION_TIMEOUT_MS", "1.5"),
            ("SDK_OPERATION_TIMEOUT_MS", "900001"),
        ] {
            let error = timeouts(&[(name, value)]).unwrap_err();
            assert!(error.0.contains(name), "{error}");
        }
    }

    #[test]
    fn bounds_out_of_order_are_refused() {
        assert!(timeouts(&[("SDK_CONNECT_TIMEOUT_MS", "2000")]).is_err());
        assert!(timeouts(&[("SDK_ATTEMPT_TIMEOUT_MS", "5000")]).is_err());
        assert!(timeouts(&[("SDK_OPERATION_TIMEOUT_MS", "1000")]).is_err());
        assert!(
            timeouts(&[
                ("SDK_ATTEMPT_TIMEOUT_MS", "5000"),
                ("SDK_OPERATION_TIMEOUT_MS", "5000")
            ])
            .is_ok()
        );
    }
}
