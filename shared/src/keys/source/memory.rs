//! A key set held in memory: for tests and benchmarks, and for callers that already hold the
//! document.

use async_trait::async_trait;

use crate::keys::{KeyError, KeySetDocument, KeySetSource};

pub struct InMemoryKeySource(pub KeySetDocument);

#[async_trait]
impl KeySetSource for InMemoryKeySource {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        Ok(self.0.clone())
    }
}
