//! Where the CLI finds the API and its token: `LATCHKEY_URL` / `LATCHKEY_TOKEN`, or a profile
//! of the config file (`$LATCHKEY_CONFIG`, else `$XDG_CONFIG_HOME/latchkey/config.toml`, else
//! `~/.config/latchkey/config.toml`). Environment variables override the profile; `--profile`
//! or `LATCHKEY_PROFILE` picks the profile, else the file's `default_profile`, else `default`.
//! Whatever file holds a token must be readable by its owner only.

mod file;
mod private;

pub use file::{ConfigFile, Profile, check_profile_name};
pub use private::{check_private, write_private};

use crate::error::CliError;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

pub const ENV_URL: &str = "LATCHKEY_URL";
pub const ENV_TOKEN: &str = "LATCHKEY_TOKEN";
pub const ENV_PROFILE: &str = "LATCHKEY_PROFILE";
pub const ENV_CONFIG: &str = "LATCHKEY_CONFIG";

/// Reads an environment variable; a function so tests can pass their own environment.
pub type EnvFn<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The environment of this process (empty values count as unset).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// What a command talks to, and with which credential. `Debug` redacts the token.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API's origin, without a trailing `/`.
    pub url: String,
    /// Where the URL came from (`LATCHKEY_URL`, `profile 'prod'`), for hints.
    pub url_source: String,
    pub token: Secret,
    /// Where the token came from (`LATCHKEY_TOKEN`, a file), for hints.
    pub token_source: String,
}

/// The config file's path.
pub fn config_path(env: EnvFn<'_>) -> Result<PathBuf, CliError> {
    if let Some(path) = env(ENV_CONFIG) {
        return Ok(PathBuf::from(path));
    }
    let base = match (env("XDG_CONFIG_HOME"), env("HOME")) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => Path::new(&home).join(".config"),
        (None, None) => {
            return Err(CliError::usage_hint(
                "cannot find the config file: neither XDG_CONFIG_HOME nor HOME is set",
                format!("set {ENV_CONFIG}, or {ENV_URL} and {ENV_TOKEN}"),
            ));
        }
    };
    Ok(base.join("latchkey").join("config.toml"))
}

/// Reads the config file; a missing file is an empty config.
pub fn load(path: &Path) -> Result<ConfigFile, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => ConfigFile::parse(&text).map_err(|why| {
            CliError::usage_hint(
                format!("{}: {why}", path.display()),
                "fix the file, or remove it and run `latchkey login` again",
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(CliError::usage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn login_hint() -> String {
    format!(
        "set {ENV_URL} and {ENV_TOKEN}, or store a profile with \
         `latchkey login --profile NAME --url URL`"
    )
}

/// Picks the profile and fills in the URL and token, environment first.
pub fn resolve(profile_flag: Option<&str>, env: EnvFn<'_>) -> Result<Settings, CliError> {
    let env_url = env(ENV_URL);
    let env_token = env(ENV_TOKEN).map(Secret::new);
    let chosen = profile_flag.map(str::to_owned).or_else(|| env(ENV_PROFILE));
    if let (Some(url), Some(token), None) = (&env_url, &env_token, &chosen) {
        return Ok(Settings {
            url: check_url(url).map_err(|why| CliError::usage(format!("{ENV_URL}: {why}")))?,
            url_source: ENV_URL.to_owned(),
            token: token.clone(),
            token_source: ENV_TOKEN.to_owned(),
        });
    }
    let path = config_path(env)?;
    let config = load(&path)?;
    let (name, profile) = match &chosen {
        Some(name) => match config.profiles.get(name) {
            Some(profile) => (Some(name.clone()), Some(profile)),
            None => {
                return Err(CliError::usage_hint(
                    format!("no profile '{name}' in {}", path.display()),
                    format!(
                        "create it with `latchkey login --profile {name} --url URL`{}",
                        known_profiles(&config)
                    ),
                ));
            }
        },
        None => {
            let name = config
                .default_profile
                .clone()
                .unwrap_or_else(|| "default".to_owned());
            let profile = config.profiles.get(&name);
            (profile.map(|_| name), profile)
        }
    };
    let profile_label = name.as_deref().map(|n| format!("profile '{n}'"));
    // A profile's token goes only to the profile's URL: a stray LATCHKEY_URL (direnv, CI, an
    // agent's environment) must not redirect a stored token elsewhere.
    if let (Some(env), Some(profile_url), None) =
        (&env_url, profile.and_then(|p| p.url.as_deref()), &env_token)
        && check_url(env).ok().as_deref() != check_url(profile_url).ok().as_deref()
    {
        return Err(CliError::usage_hint(
            format!(
                "{ENV_URL} ({env}) differs from the URL of {}; its token is only sent to its own URL",
                profile_label.clone().unwrap_or_default()
            ),
            format!("unset {ENV_URL}, or set {ENV_TOKEN} too"),
        ));
    }
    let (url, url_source) = match (env_url, profile.and_then(|p| p.url.clone())) {
        (Some(url), _) => (url, ENV_URL.to_owned()),
        (None, Some(url)) => (url, profile_label.clone().unwrap_or_default()),
        (None, None) => {
            return Err(CliError::usage_hint(
                "no Latchkey URL configured",
                login_hint(),
            ));
        }
    };
    let url = check_url(&url).map_err(|why| CliError::usage(format!("{url_source}: {why}")))?;
    let (token, token_source) = match (env_token, profile) {
        (Some(token), _) => (token, ENV_TOKEN.to_owned()),
        (None, Some(profile)) => {
            let label = profile_label.unwrap_or_default();
            profile_token(profile, &label, &path)?
        }
        (None, None) => {
            return Err(CliError::usage_hint(
                "no Latchkey token configured",
                login_hint(),
            ));
        }
    };
    Ok(Settings {
        url,
        url_source,
        token,
        token_source,
    })
}

fn known_profiles(config: &ConfigFile) -> String {
    if config.profiles.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
    format!(" (known profiles: {})", names.join(", "))
}

/// The token of a profile: its `token_file`, else its inline `token` (then the config file
/// itself must be private).
fn profile_token(
    profile: &Profile,
    label: &str,
    config_path: &Path,
) -> Result<(Secret, String), CliError> {
    if let Some(file) = &profile.token_file {
        let path = token_file_path(file, config_path);
        let source = format!("{label} ({})", path.display());
        let text = private::read_private(&path)?;
        private::check_not_shared_writable(config_path)?;
        let token = Secret::new(text.trim().to_owned());
        drop(zeroize::Zeroizing::new(text));
        if token.is_empty() {
            return Err(CliError::usage_hint(
                format!("the token file {} is empty", path.display()),
                login_hint(),
            ));
        }
        return Ok((token, source));
    }
    if let Some(token) = &profile.token {
        check_private(config_path)?;
        return Ok((
            token.clone(),
            format!("{label} ({})", config_path.display()),
        ));
    }
    Err(CliError::usage_hint(
        format!("{label} has no token_file or token"),
        login_hint(),
    ))
}

/// `~/x` is under the home directory; a relative path is relative to the config file's
/// directory.
pub fn token_file_path(file: &str, config_path: &Path) -> PathBuf {
    if let Some(rest) = file.strip_prefix("~/")
        && let Some(home) = process_env("HOME")
    {
        return Path::new(&home).join(rest);
    }
    let path = Path::new(file);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    config_path
        .parent()
        .map_or_else(|| path.to_path_buf(), |dir| dir.join(path))
}

/// An API origin: `http(s)://host[:port]`, without a trailing slash. A token is never sent
/// over plain HTTP except to this machine.
pub fn check_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        format!("'{url}' is not a URL; expected e.g. https://latchkey.example.com")
    })?;
    let host_port = rest.split('/').next().unwrap_or(rest);
    if host_port.is_empty() {
        return Err(format!("'{url}' has no host"));
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(format!("'{url}' must be the API's origin, without a query"));
    }
    // `user@host`: HTTP clients send to the host after the `@`, so a check on the text before
    // it would let `http://localhost:1@elsewhere` carry a token in the clear to `elsewhere`.
    if host_port.contains('@') {
        return Err(format!(
            "'{url}' has a user name ('@'); give the API's origin only"
        ));
    }
    match scheme {
        "https" => Ok(url.to_owned()),
        "http" if is_loopback(host_port) => Ok(url.to_owned()),
        "http" => Err(format!(
            "refusing to send a token over plain http to '{host_port}'; use https:// \
             (plain http is allowed only for localhost)"
        )),
        other => Err(format!("unsupported scheme '{other}'; use https://")),
    }
}

fn is_loopback(host_port: &str) -> bool {
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Stores a profile: the token in `tokens/<profile>.token` beside the config file, both
/// files mode 0600. The first profile becomes the default. Returns the token file's path.
pub fn save_login(
    config_path: &Path,
    name: &str,
    url: &str,
    token: &Secret,
    make_default: bool,
) -> Result<PathBuf, CliError> {
    check_profile_name(name).map_err(CliError::usage)?;
    let mut config = load(config_path)?;
    let relative = format!("tokens/{name}.token");
    let token_path = token_file_path(&relative, config_path);
    let mut contents = zeroize::Zeroizing::new(token.expose().to_owned());
    contents.push('\n');
    write_private(&token_path, contents.as_bytes())?;
    config.profiles.insert(
        name.to_owned(),
        Profile {
            url: Some(url.to_owned()),
            token_file: Some(relative),
            token: None,
        },
    );
    if make_default || config.default_profile.is_none() {
        config.default_profile = Some(name.to_owned());
    }
    write_private(config_path, config.render().as_bytes())?;
    Ok(token_path)
}

/// Removes a profile, and its token file when `latchkey login` made it.
pub fn remove_profile(config_path: &Path, name: &str) -> Result<(), CliError> {
    let mut config = load(config_path)?;
    let Some(profile) = config.profiles.remove(name) else {
        return Err(CliError::usage(format!(
            "no profile '{name}' in {}{}",
            config_path.display(),
            known_profiles(&config)
        )));
    };
    if config.default_profile.as_deref() == Some(name) {
        config.default_profile = None;
    }
    write_private(config_path, config.render().as_bytes())?;
    if profile.token_file.as_deref() == Some(format!("tokens/{name}.token").as_str()) {
        let path = token_file_path(&format!("tokens/{name}.token"), config_path);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(CliError::failed(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
