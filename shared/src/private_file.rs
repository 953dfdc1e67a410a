//! Local files that hold secrets (the key file of the embedded default, `authctl demo`'s
//! credentials): readable only by their owner, and replaced whole, so a reader never sees half
//! a document.
//!
//! The file is written under a fresh random name created exclusively (`O_CREAT | O_EXCL`, which
//! never follows a symbolic link), so nothing planted beside it (a file of another mode, a link
//! to another file) can receive the secret; its mode is then set to 0600 whatever the umask, and
//! it is renamed over the destination. A destination that is a symbolic link is refused: the
//! caller named a file, and replacing a link someone put there is not what they asked for.

use std::io::{Error, ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::domain::secret::random_hex;

/// Attempts at a free temporary name; a collision of 64 random bits means something is wrong.
const TEMP_NAME_ATTEMPTS: usize = 4;

/// Writes `bytes` to `path` with mode 0600, replacing any file there whole. Creates the parent
/// folder if needed; refuses when `path` is a symbolic link.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    refuse_symlink(path)?;
    let (tmp, mut file) = create_temp_file(dir, path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| owner_only(&file))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn refuse_symlink(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link: refusing to replace it",
                path.display()
            ),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A new, empty, owner-only file beside `path` under a random name no one could have prepared.
fn create_temp_file(dir: &Path, path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last_error = Error::new(ErrorKind::AlreadyExists, "no free temporary name");
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let tmp = dir.join(format!(".{stem}.{}.tmp", random_suffix()?));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last_error = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_error)
}

fn random_suffix() -> std::io::Result<String> {
    random_hex::<8>().map_err(|e| Error::other(e.to_string()))
}

/// 0600 exactly: the mode given at creation is narrowed by the umask, never widened, but a
/// umask such as 0277 would leave the owner unable to replace the file next time.
fn owner_only(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn world_readable(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    #[test]
    fn a_pre_existing_world_readable_file_ends_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyset.json");
        world_readable(&path, "old");
        write_private_file(&path, b"secret").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_file_planted_at_a_guessable_temporary_name_never_receives_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyset.json");
        let planted = dir.path().join("keyset.tmp");
        world_readable(&planted, "planted");
        write_private_file(&path, b"secret").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&planted).unwrap(), b"planted");
    }

    #[test]
    fn a_symlink_destination_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        world_readable(&victim, "victim");
        let path = dir.path().join("keyset.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let error = write_private_file(&path, b"secret").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(std::fs::read(&victim).unwrap(), b"victim");
        assert_eq!(mode(&victim), 0o644);
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_symlink_at_a_guessable_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        world_readable(&victim, "victim");
        let path = dir.path().join("keyset.json");
        std::os::unix::fs::symlink(&victim, dir.path().join("keyset.tmp")).unwrap();
        write_private_file(&path, b"secret").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"victim");
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
    }

    #[test]
    fn temporary_names_differ_and_none_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyset.json");
        let (first, _) = create_temp_file(dir.path(), &path).unwrap();
        let (second, _) = create_temp_file(dir.path(), &path).unwrap();
        assert_ne!(first, second);
        std::fs::remove_file(first).unwrap();
        std::fs::remove_file(second).unwrap();
        write_private_file(&path, b"one").unwrap();
        write_private_file(&path, b"two").unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the file itself remains");
    }
}
