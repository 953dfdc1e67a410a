//! Log lines captured through the subscriber every function installs
//! ([`log_subscriber`]), for tests that assert what a line says or must never say.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::entrypoints::logging::{LogSettings, log_subscriber};

/// Everything the subscriber wrote; clones share one buffer.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Runs `work` with the functions' subscriber at `settings`, writing here; returns what
    /// `work` returned.
    pub fn during<T>(&self, settings: &LogSettings, work: impl FnOnce() -> T) -> T {
        let writer = self.clone();
        let subscriber = log_subscriber(settings, move || writer.clone());
        tracing::subscriber::with_default(subscriber, work)
    }

    /// [`during`](Self::during) for async work: the subscriber stays set until it completes.
    pub async fn during_async<T>(
        &self,
        settings: &LogSettings,
        work: impl Future<Output = T>,
    ) -> T {
        let writer = self.clone();
        let subscriber = log_subscriber(settings, move || writer.clone());
        let guard = tracing::subscriber::set_default(subscriber);
        let outcome = work.await;
        drop(guard);
        outcome
    }
}

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
