//! Local files that hold secrets (the key file of the embedded default, `authctl demo`'s
//! credentials): readable only by their owner, and replaced whole, so a reader never sees half
//! a document.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary owner-only file beside `path`, syncs it, then renames it into
/// place. Creates the parent folder if needed.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
