//! The reference agent's provider: the file system under one root directory.
//!
//! - A directory with one file per key (how Docker and Kubernetes mount secrets): `ref` = the
//!   directory's path relative to the root (`.` for the root itself), key names = its file
//!   names. Hidden entries (`.x`, Kubernetes' `..data`) are not keys.
//! - A `.env` file (`.env`, `.env.<x>`, `<x>.env`): `ref` = its path relative to the root, key
//!   names = its variable names.
//!
//! Discovery reads names only. A read reads the named keys' values; a patch sets the named
//! keys and leaves the others alone, writing every file atomically (a temp file in the same
//! directory, fsync, rename, mode 0600, then the directory is synced).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use zeroize::Zeroizing;

/// How deep discovery looks under the root, and how much it reports.
const MAX_DEPTH: usize = 8;
pub const MAX_SECRETS: usize = 500;
const MAX_KEYS: usize = 100;
/// A value (one key file, one `.env` file) larger than this is not read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One discovered secret: where it is and its key names (never a value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub reference: String,
    pub key_names: Vec<String>,
}

/// Values read or to be written, wiped when dropped.
pub type Values = BTreeMap<String, Zeroizing<String>>;

pub fn is_env_file(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4)
}

/// A key name that can be a file name: no separators, not hidden, no control characters.
pub fn is_file_key(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// A `.env` variable name: `[A-Za-z_][A-Za-z0-9_.-]*`.
pub fn is_env_key(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= 253
}

/// Everything under `root`, sorted by reference.
pub fn discover(root: &Path) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    walk(root, root, 0, &mut found)?;
    found.sort();
    found.truncate(MAX_SECRETS);
    Ok(found)
}

fn relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<Found>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut keys = Vec::new();
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        // Follows symlinks (a Kubernetes key is a link into `..data`).
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if !name.starts_with('.') && !entry.file_type().is_ok_and(|t| t.is_symlink()) {
                subdirs.push(path);
            }
        } else if meta.is_file() {
            if is_env_file(&name) {
                if let Ok(text) = read_limited(&path) {
                    let names: Vec<String> = parse_env(&text)
                        .into_iter()
                        .map(|(k, _)| k)
                        .take(MAX_KEYS)
                        .collect();
                    found.push(Found {
                        reference: relative(root, &path),
                        key_names: names,
                    });
                }
            } else if is_file_key(&name) {
                keys.push(name);
            }
        }
    }
    if !keys.is_empty() {
        keys.sort();
        keys.truncate(MAX_KEYS);
        found.push(Found {
            reference: relative(root, dir),
            key_names: keys,
        });
    }
    if depth < MAX_DEPTH {
        subdirs.sort();
        for sub in subdirs {
            walk(root, &sub, depth + 1, found)?;
        }
    }
    Ok(())
}

fn read_limited(path: &Path) -> Result<Zeroizing<String>, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("{} is larger than 1 MiB", path.display()));
    }
    let bytes =
        Zeroizing::new(fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?);
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(format!("{} is not UTF-8 text", path.display())),
    }
}

/// `reference` resolved under `root`: relative, without `..`, and still under the root once
/// symlinks are followed.
pub fn resolve(root: &Path, reference: &str) -> Result<PathBuf, String> {
    let rel = Path::new(reference);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "ref '{reference}' is not a path under the agent's root"
        ));
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("the root {}: {e}", root.display()))?;
    let path = root.join(rel);
    // The target may not exist yet (a new .env file): check its directory.
    let (check, _) = match path.canonicalize() {
        Ok(p) => (p, ()),
        Err(_) => {
            let parent = path
                .parent()
                .ok_or_else(|| format!("ref '{reference}' has no directory"))?;
            (
                parent
                    .canonicalize()
                    .map_err(|e| format!("ref '{reference}': {e}"))?,
                (),
            )
        }
    };
    if !check.starts_with(&root) {
        return Err(format!("ref '{reference}' leads outside the agent's root"));
    }
    Ok(path)
}

/// The values of `keys` in the secret at `reference` (all its keys when `keys` is empty).
pub fn read(root: &Path, reference: &str, keys: &[String]) -> Result<Values, String> {
    let path = resolve(root, reference)?;
    let mut out = Values::new();
    if path.is_dir() {
        let names: Vec<String> = if keys.is_empty() {
            discover_dir_keys(&path)?
        } else {
            keys.to_vec()
        };
        for key in names {
            if !is_file_key(&key) {
                return Err(format!("'{key}' cannot be a file name"));
            }
            let value = read_limited(&path.join(&key))
                .map_err(|_| format!("key '{key}' is not in {reference}"))?;
            out.insert(key, value);
        }
        return Ok(out);
    }
    let text = read_limited(&path)?;
    let mut all: BTreeMap<String, Zeroizing<String>> = parse_env(&text).into_iter().collect();
    if keys.is_empty() {
        return Ok(all);
    }
    for key in keys {
        let value = all
            .remove(key)
            .ok_or_else(|| format!("key '{key}' is not in {reference}"))?;
        out.insert(key.clone(), value);
    }
    Ok(out)
}

fn discover_dir_keys(dir: &Path) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .filter(|e| fs::metadata(e.path()).is_ok_and(|m| m.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_file_key(n) && !is_env_file(n))
        .collect();
    keys.sort();
    Ok(keys)
}

/// Sets `values` in the secret at `reference`; other keys are left alone.
pub fn patch(root: &Path, reference: &str, values: &Values) -> Result<(), String> {
    if values.is_empty() {
        return Err("the patch names no key".to_owned());
    }
    let path = resolve(root, reference)?;
    if path.is_dir() {
        for key in values.keys() {
            if !is_file_key(key) {
                return Err(format!("'{key}' cannot be a file name"));
            }
        }
        for (key, value) in values {
            write_atomically(&path.join(key), value.as_bytes())?;
        }
        return Ok(());
    }
    for key in values.keys() {
        if !is_env_key(key) {
            return Err(format!("'{key}' is not a .env variable name"));
        }
    }
    let text = if path.exists() {
        read_limited(&path)?
    } else {
        Zeroizing::new(String::new())
    };
    let updated = set_env(&text, values);
    write_atomically(&path, updated.as_bytes())
}

/// Replaces `path` with `bytes`: temp file in the same directory (0600), fsync, rename,
/// fsync of the directory. A crash leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = crate::agent::envelope::random::<6>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let temp = dir.join(format!(".{name}.latchkey-{suffix}.tmp"));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options
            .open(&temp)
            .map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        fs::rename(&temp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// One `.env` line's variable, when it has one: `(name, value)`.
fn env_line(line: &str) -> Option<(String, Zeroizing<String>)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.is_empty() {
        return None;
    }
    let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
    let (name, raw) = body.split_once('=')?;
    let name = name.trim();
    if !is_env_key(name) {
        return None;
    }
    Some((name.to_owned(), Zeroizing::new(unquote(raw.trim()))))
}

fn unquote(raw: &str) -> String {
    if let Some(inner) = raw
        .strip_prefix('"')
        .and_then(|r| r.rfind('"').map(|i| &r[..i]))
    {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    if let Some(inner) = raw
        .strip_prefix('\'')
        .and_then(|r| r.rfind('\'').map(|i| &r[..i]))
    {
        return inner.to_owned();
    }
    // Unquoted: a ` #` starts a comment.
    match raw.find(" #") {
        Some(i) => raw.get(..i).unwrap_or(raw).trim_end().to_owned(),
        None => raw.to_owned(),
    }
}

/// A `.env` file's variables, in order (a repeated name: the last one wins).
pub fn parse_env(text: &str) -> Vec<(String, Zeroizing<String>)> {
    let mut out: Vec<(String, Zeroizing<String>)> = Vec::new();
    for line in text.lines() {
        if let Some((name, value)) = env_line(line) {
            out.retain(|(n, _)| *n != name);
            out.push((name, value));
        }
    }
    out
}

/// A value as a `.env` file writes it: bare when it is plain, else double-quoted with `\`
/// escapes (so a newline stays on one line).
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@+,%".contains(c));
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '$' => out.push_str("\\$"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// `text` with `values` set: a line that sets a named key is replaced in place (its
/// `export ` kept), the others stay as they are, new keys are appended.
pub fn set_env(text: &str, values: &Values) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 64));
    let mut done: Vec<&str> = Vec::new();
    for line in text.lines() {
        match env_line(line) {
            Some((name, _)) if values.contains_key(&name) => {
                let Some((key, value)) = values.get_key_value(&name) else {
                    continue;
                };
                if done.contains(&key.as_str()) {
                    // A repeated line of a patched key: dropped, the value is set once.
                    continue;
                }
                let export = if line.trim_start().starts_with("export ") {
                    "export "
                } else {
                    ""
                };
                out.push_str(&format!("{export}{key}={}\n", quote(value)));
                done.push(key);
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (key, value) in values {
        if !done.contains(&key.as_str()) {
            out.push_str(&format!("{key}={}\n", quote(value)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Dir {
        fn new(label: &str) -> Dir {
            let suffix: String = crate::agent::envelope::random::<8>()
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let dir = std::env::temp_dir().join(format!("latchkey-agent-{label}-{suffix}"));
            fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Zeroizing::new((*v).to_owned())))
            .collect()
    }

    fn plain(v: &Values) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
    }

    #[test]
    fn discover_mounts_and_env_files_reports_names_only() {
        let dir = Dir::new("discover");
        let root = &dir.0;
        fs::create_dir_all(root.join("db/..data")).unwrap();
        fs::write(root.join("db/username"), "admin").unwrap();
        fs::write(root.join("db/password"), "hunter2").unwrap();
        fs::write(root.join("db/..data/password"), "x").unwrap();
        fs::write(root.join("db/.hidden"), "x").unwrap();
        fs::create_dir_all(root.join("app")).unwrap();
        fs::write(
            root.join("app/.env"),
            "# c\nexport API_KEY=abc\nDB_URL=\"postgres://x\"\n\nbad line\n",
        )
        .unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".git/config"), "x").unwrap();
        let found = discover(root).unwrap();
        assert_eq!(
            found,
            vec![
                Found {
                    reference: "app/.env".into(),
                    key_names: vec!["API_KEY".into(), "DB_URL".into()],
                },
                Found {
                    reference: "db".into(),
                    key_names: vec!["password".into(), "username".into()],
                },
            ]
        );
        let text = format!("{found:?}");
        assert!(!text.contains("hunter2") && !text.contains("abc"));
    }

    #[test]
    fn read_gives_the_named_keys_and_names_a_missing_one() {
        let dir = Dir::new("read");
        let root = &dir.0;
        fs::create_dir_all(root.join("db")).unwrap();
        fs::write(root.join("db/password"), "hunter2").unwrap();
        fs::write(root.join("db/user"), "admin").unwrap();
        fs::write(
            root.join("app.env"),
            "A=1\nB='two words'\nC=\"x\\ny\" # c\n",
        )
        .unwrap();
        assert_eq!(
            plain(&read(root, "db", &["password".into()]).unwrap()),
            [("password".to_owned(), "hunter2".to_owned())]
        );
        assert_eq!(read(root, "db", &[]).unwrap().len(), 2);
        assert_eq!(
            plain(&read(root, "app.env", &[]).unwrap()),
            [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "two words".to_owned()),
                ("C".to_owned(), "x\ny".to_owned())
            ]
        );
        let missing = read(root, "db", &["nope".into()]).unwrap_err();
        assert!(missing.contains("nope"), "{missing}");
        assert!(!missing.contains("hunter2"));
        assert!(read(root, "../etc", &[]).is_err());
        assert!(read(root, "/etc/passwd", &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn patch_writes_atomically_with_mode_0600_and_keeps_other_keys() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = Dir::new("patch");
        let root = &dir.0;
        fs::create_dir_all(root.join("db")).unwrap();
        fs::write(root.join("db/password"), "old").unwrap();
        fs::write(root.join("db/user"), "admin").unwrap();
        fs::write(root.join(".env"), "# top\nexport A=1\nB=2\nA=dup\nC=keep\n").unwrap();
        patch(root, "db", &values(&[("password", "new pass")])).unwrap();
        assert_eq!(
            fs::read_to_string(root.join("db/password")).unwrap(),
            "new pass"
        );
        assert_eq!(fs::read_to_string(root.join("db/user")).unwrap(), "admin");
        let mode = fs::metadata(root.join("db/password"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        patch(root, ".env", &values(&[("A", "x y\"z"), ("D", "new")])).unwrap();
        let text = fs::read_to_string(root.join(".env")).unwrap();
        assert_eq!(text, "# top\nexport A=\"x y\\\"z\"\nB=2\nC=keep\nD=new\n");
        let back = read(root, ".env", &[]).unwrap();
        assert_eq!(back["A"].as_str(), "x y\"z");
        assert_eq!(back["C"].as_str(), "keep");
        let mode = fs::metadata(root.join(".env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temp file is left behind.
        let names: Vec<String> = fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn patch_refuses_unsafe_names_and_paths_and_changes_nothing() {
        let dir = Dir::new("refuse");
        let root = &dir.0;
        fs::create_dir_all(root.join("db")).unwrap();
        fs::write(root.join("db/password"), "old").unwrap();
        for key in ["../x", ".hidden", "a/b"] {
            assert!(patch(root, "db", &values(&[("password", "new"), (key, "v")])).is_err());
        }
        assert_eq!(fs::read_to_string(root.join("db/password")).unwrap(), "old");
        assert!(patch(root, "../db", &values(&[("a", "b")])).is_err());
        fs::write(root.join(".env"), "A=1\n").unwrap();
        assert!(patch(root, ".env", &values(&[("1BAD", "v")])).is_err());
        assert_eq!(fs::read_to_string(root.join(".env")).unwrap(), "A=1\n");
    }

    #[test]
    fn env_values_round_trip_through_quoting() {
        for value in [
            "plain",
            "with space",
            "q\"uote",
            "back\\slash",
            "multi\nline",
            "$HOME",
            "",
        ] {
            let text = set_env("", &values(&[("K", value)]));
            let parsed = parse_env(&text);
            assert_eq!(parsed[0].1.as_str(), value, "{}", text.as_str());
        }
    }
}
