//! The key set in a local JSON file: the embedded default for `make run` and the CLI.

use async_trait::async_trait;
use std::path::{Path, PathBuf};

use crate::keys::{KeyError, KeySetDocument, KeySetSource, KeySetStore};
use crate::private_file::write_private_file;

pub struct FileKeySource {
    path: PathBuf,
}

impl FileKeySource {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileKeySource { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl KeySetSource for FileKeySource {
    async fn load(&self) -> Result<KeySetDocument, KeyError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing),
            Err(e) => return Err(KeyError::Source(format!("{}: {e}", self.path.display()))),
        };
        KeySetDocument::from_json(&bytes, &self.path.display().to_string())
    }
}

#[async_trait]
impl KeySetStore for FileKeySource {
    /// Owner-only, replaced whole: a reader never sees half a key set.
    async fn save(&self, document: &KeySetDocument) -> Result<(), KeyError> {
        let json =
            serde_json::to_vec_pretty(document).map_err(|e| KeyError::Invalid(e.to_string()))?;
        write_private_file(&self.path, &json)
            .map_err(|e| KeyError::Source(format!("{}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, initial_document};

    #[tokio::test]
    async fn a_saved_key_set_loads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKeySource::new(dir.path().join("keys/keyset.json"));
        assert!(matches!(source.load().await, Err(KeyError::Missing)));
        let doc = initial_document(SigningAlgorithm::ES256, 7).unwrap();
        source.save(&doc).await.unwrap();
        assert_eq!(source.load().await.unwrap(), doc);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(source.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
