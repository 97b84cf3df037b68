//! Files that hold tokens: readable by their owner only, written atomically.

use crate::error::CliError;
use std::io::Write as _;
use std::path::Path;

/// Refuses a file that group or others may read or write (Unix); says how to fix it.
pub fn check_private(path: &Path) -> Result<(), CliError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        CliError::usage_hint(
            format!("cannot read {}: {e}", path.display()),
            "store a token with `latchkey login --profile NAME --url URL`",
        )
    })?;
    match loose_mode(&meta) {
        Some(mode) => Err(shared_token_file(path, mode)),
        None => Ok(()),
    }
}

/// A file holding a token that others may read: refused, with the fix.
fn shared_token_file(path: &Path, mode: u32) -> CliError {
    CliError::usage_hint(
        format!(
            "{} holds a token but is accessible to group or others (mode {mode:04o}); refusing to use it",
            path.display()
        ),
        format!(
            "make it private with `chmod 600 {}`, and replace the token if others may have read it",
            path.display()
        ),
    )
}

/// Refuses a config file others could change: whoever edits it chooses where the token in
/// the profile's token file is sent.
pub fn check_not_shared_writable(path: &Path) -> Result<(), CliError> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    match loose_mode(&meta).filter(|mode| mode & 0o022 != 0) {
        Some(mode) => Err(CliError::usage_hint(
            format!(
                "{} can be changed by group or others (mode {mode:04o}); refusing to send its profile's token",
                path.display()
            ),
            format!("make it private with `chmod 600 {}`", path.display()),
        )),
        None => Ok(()),
    }
}

/// Reads a token file through one handle: its mode is checked on the file that is read, so
/// swapping the file between a check and a read changes nothing.
pub fn read_private(path: &Path) -> Result<String, CliError> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| {
        CliError::usage_hint(
            format!("cannot read the token file {}: {e}", path.display()),
            "store a token with `latchkey login --profile NAME --url URL`",
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if let Some(mode) = loose_mode(&meta) {
        return Err(shared_token_file(path, mode));
    }
    let mut text = String::new();
    file.take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    Ok(text)
}

#[cfg(unix)]
fn loose_mode(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn loose_mode(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Writes `bytes` to `path` through a new mode-0600 file renamed over it, so the file is
/// never readable by others, not even for a moment, and never half written. Missing
/// directories are created mode 0700.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |what: &str, e: std::io::Error| {
        CliError::failed(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|e| fail("create the directory of", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let result = (|| {
        let mut file = private_options().open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(fail("write", e));
    }
    Ok(())
}

#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
