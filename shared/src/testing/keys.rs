//! Key sets and key sources for tests: one generated document per algorithm per test binary
//! (RSA generation is slow), a source that fails, and one that counts its loads.

use async_trait::async_trait;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::keys::source::InMemoryKeySource;
use crate::keys::{KeyCache, KeyError, KeySetDocument, KeySetSource, SigningAlgorithm};

/// A freshly generated key set with one current key of `alg`, the same for the whole process.
pub fn key_document(alg: SigningAlgorithm) -> KeySetDocument {
    static RS: OnceLock<KeySetDocument> = OnceLock::new();
    static ES: OnceLock<KeySetDocument> = OnceLock::new();
    static ED: OnceLock<KeySetDocument> = OnceLock::new();
    let cell = match alg {
        SigningAlgorithm::RS256 => &RS,
        SigningAlgorithm::ES256 => &ES,
        SigningAlgorithm::EdDSA => &ED,
    };
    cell.get_or_init(|| crate::keys::initial_document(alg, 0).expect("key generation"))
        .clone()
}

/// A cache over [`key_document`] of `alg`, refreshed every five minutes.
pub fn key_cache(alg: SigningAlgorithm) -> Arc<KeyCache> {
    Arc::new(KeyCache::new(
        Arc::new(InMemoryKeySource(key_document(alg))),
        Duration::from_secs(300),
    ))
}

/// A source whose every load fails, with a message that must never reach a client.
pub struct FailingKeySource;

#[async_trait]
impl KeySetSource for FailingKeySource {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        Err(KeyError::Source(
            "AccessDeniedException: arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys"
                .into(),
        ))
    }
}

/// Serves a document and counts the loads; fails the loads whose index (from 0) is in `failing`.
pub struct CountingKeySource {
    document: KeySetDocument,
    loads: AtomicUsize,
    failing: Range<usize>,
}

impl CountingKeySource {
    pub fn new(document: KeySetDocument) -> Self {
        Self::failing_after(document, usize::MAX)
    }

    /// Fails every load from the `fail_after`-th (counted from 0) on.
    pub fn failing_after(document: KeySetDocument, fail_after: usize) -> Self {
        Self::failing_loads(document, fail_after..usize::MAX)
    }

    /// Fails the loads numbered `failing` (from 0), then recovers.
    pub fn failing_loads(document: KeySetDocument, failing: Range<usize>) -> Self {
        CountingKeySource {
            document,
            loads: AtomicUsize::new(0),
            failing,
        }
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl KeySetSource for CountingKeySource {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst);
        if self.failing.contains(&n) {
            return Err(KeyError::Source("down".into()));
        }
        Ok(self.document.clone())
    }
}
