//! What every function does around its handler, whatever the event: how many invocations it
//! serves at once and on which tokio runtime, and the invocation's deadline.
//!
//! `lambda_runtime` serves one event at a time unless Lambda Managed Instances sets
//! `AWS_LAMBDA_MAX_CONCURRENCY` above 1; then `run_concurrent` polls that many events at once.
//! The runtime flavour follows: one thread for one event at a time (worker threads would only
//! add wake-ups across threads, docs/benchmarks.md), worker threads for several.

use std::fmt::Display;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Set by Lambda Managed Instances: how many invocations one execution environment serves at
/// once.
pub const MAX_CONCURRENCY_VAR: &str = "AWS_LAMBDA_MAX_CONCURRENCY";

/// How much of an invocation's time is kept back to answer: when the handler has not finished
/// this long before the deadline, the invocation answers that it ran out of time, so that the
/// caller gets a response of ours instead of a Lambda timeout.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationMode {
    /// Classic Lambda: one event at a time per execution environment.
    OneAtATime,
    /// Lambda Managed Instances: up to this many events in flight at once.
    Concurrent(u32),
}

impl InvocationMode {
    pub fn from_env() -> Self {
        Self::from_max_concurrency(std::env::var(MAX_CONCURRENCY_VAR).ok().as_deref())
    }

    /// As `lambda_runtime` reads the variable: unset, unreadable or at most 1 is one at a time.
    pub fn from_max_concurrency(value: Option<&str>) -> Self {
        match value.and_then(|v| v.trim().parse::<u32>().ok()) {
            Some(limit) if limit > 1 => InvocationMode::Concurrent(limit),
            _ => InvocationMode::OneAtATime,
        }
    }

    /// The tokio runtime the function's start-up, its handlers and the AWS SDK run on.
    pub fn tokio_runtime(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            InvocationMode::OneAtATime => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            InvocationMode::Concurrent(_) => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        }
    }
}

/// Runs the function's start-up (configuration, SDK clients, keys); a failure is logged
/// before `main` returns it and the process ends (Lambda reports `Runtime.ExitError`).
pub async fn start<T, E: Display>(start_up: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    start_up.await.inspect_err(|error| {
        tracing::error!(error = %error, "the function could not start");
    })
}

/// The invocation ran out of time before its handler finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the invocation's deadline came before its handler finished")]
pub struct DeadlineReached;

/// How long a handler may run: until [`DEADLINE_MARGIN`] before `deadline_ms` (milliseconds
/// since the epoch, as the Runtime API's `Lambda-Runtime-Deadline-Ms`). `None` when the
/// invocation names no deadline (0).
pub fn time_to_answer(deadline_ms: u64, now: SystemTime) -> Option<Duration> {
    if deadline_ms == 0 {
        return None;
    }
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let left = deadline.duration_since(now).unwrap_or(Duration::ZERO);
    Some(left.saturating_sub(DEADLINE_MARGIN))
}

/// Runs `work`, but not past the invocation's deadline (see [`time_to_answer`]).
pub async fn within_deadline<F: Future>(
    deadline_ms: u64,
    work: F,
) -> Result<F::Output, DeadlineReached> {
    match time_to_answer(deadline_ms, SystemTime::now()) {
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .map_err(|_| DeadlineReached),
        None => Ok(work.await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_read_as_lambda_runtime_reads_it() {
        assert_eq!(
            InvocationMode::from_max_concurrency(None),
            InvocationMode::OneAtATime
        );
        for one in ["", "0", "1", "-4", "many"] {
            assert_eq!(
                InvocationMode::from_max_concurrency(Some(one)),
                InvocationMode::OneAtATime,
                "{one:?}"
            );
        }
        assert_eq!(
            InvocationMode::from_max_concurrency(Some("16")),
            InvocationMode::Concurrent(16)
        );
    }

    #[test]
    fn each_mode_gets_its_runtime_flavour() {
        use tokio::runtime::RuntimeFlavor;
        let flavour =
            |mode: InvocationMode| mode.tokio_runtime().unwrap().handle().runtime_flavor();
        assert_eq!(
            flavour(InvocationMode::OneAtATime),
            RuntimeFlavor::CurrentThread
        );
        assert_eq!(
            flavour(InvocationMode::Concurrent(4)),
            RuntimeFlavor::MultiThread
        );
    }

    #[test]
    fn the_time_to_answer_keeps_the_margin_back() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let deadline = |after: Duration| (now + after).duration_since(UNIX_EPOCH).unwrap();
        let ms = |d: Duration| d.as_millis() as u64;
        assert_eq!(time_to_answer(0, now), None);
        assert_eq!(
            time_to_answer(ms(deadline(Duration::from_secs(3))), now),
            Some(Duration::from_secs(3) - DEADLINE_MARGIN)
        );
        assert_eq!(
            time_to_answer(ms(deadline(Duration::from_millis(100))), now),
            Some(Duration::ZERO)
        );
        assert_eq!(time_to_answer(1, now), Some(Duration::ZERO), "long past");
    }

    #[tokio::test]
    async fn work_that_outlives_the_deadline_is_cut_short() {
        let soon = SystemTime::now() + DEADLINE_MARGIN + Duration::from_millis(100);
        let deadline_ms = soon.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let started = std::time::Instant::now();
        let outcome = within_deadline(deadline_ms, std::future::pending::<()>()).await;
        assert_eq!(outcome, Err(DeadlineReached));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(within_deadline(0, async { 7 }).await, Ok(7));
    }
}
