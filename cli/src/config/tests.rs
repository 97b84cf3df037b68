use super::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

fn scratch() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "latchkey-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

fn message(err: CliError) -> String {
    err.report()
}

#[test]
fn environment_alone_needs_no_config_file() {
    let env = env_of(&[
        (ENV_URL, "http://127.0.0.1:8787/"),
        (ENV_TOKEN, "lk_tok_x"),
        (ENV_CONFIG, "/nonexistent/config.toml"),
    ]);
    let settings = resolve(None, &env).unwrap();
    assert_eq!(settings.url, "http://127.0.0.1:8787");
    assert_eq!(settings.token.expose(), "lk_tok_x");
    assert_eq!(settings.token_source, "LATCHKEY_TOKEN");
    assert!(!format!("{settings:?}").contains("lk_tok_x"));
}

#[test]
fn a_profile_with_a_private_token_file() {
    let dir = scratch();
    let config = dir.join("config.toml");
    let token_path = save_login(
        &config,
        "work",
        "https://latchkey.example.com",
        &Secret::new("lk_tok_work".into()),
        false,
    )
    .unwrap();
    assert_eq!(token_path, dir.join("tokens/work.token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for file in [&config, &token_path] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
    }
    let path = config.to_string_lossy().into_owned();
    // The first profile is the default.
    let settings = resolve(None, &env_of(&[(ENV_CONFIG, &path)])).unwrap();
    assert_eq!(settings.url, "https://latchkey.example.com");
    assert_eq!(settings.url_source, "profile 'work'");
    assert_eq!(settings.token.expose(), "lk_tok_work");
    // A stray LATCHKEY_URL never takes the profile's token elsewhere; with LATCHKEY_TOKEN
    // too, the environment wins.
    let err = message(
        resolve(
            Some("work"),
            &env_of(&[(ENV_CONFIG, &path), (ENV_URL, "http://localhost:9")]),
        )
        .unwrap_err(),
    );
    assert!(
        err.contains("differs from the URL of profile 'work'"),
        "{err}"
    );
    let settings = resolve(
        Some("work"),
        &env_of(&[
            (ENV_CONFIG, &path),
            (ENV_URL, "https://latchkey.example.com/"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.token.expose(), "lk_tok_work");
    // A second profile does not take the default unless asked.
    save_login(
        &config,
        "other",
        "https://b.example.com",
        &Secret::new("lk_tok_b".into()),
        false,
    )
    .unwrap();
    let env = env_of(&[(ENV_CONFIG, &path), (ENV_PROFILE, "other")]);
    assert_eq!(resolve(None, &env).unwrap().token.expose(), "lk_tok_b");
    assert_eq!(
        resolve(None, &env_of(&[(ENV_CONFIG, &path)]))
            .unwrap()
            .token
            .expose(),
        "lk_tok_work"
    );
    remove_profile(&config, "other").unwrap();
    assert!(!dir.join("tokens/other.token").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch();
    let token = dir.join("loose.token");
    std::fs::write(&token, "lk_tok_loose\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.default]\nurl = \"https://x.example\"\ntoken_file = \"{}\"\n",
            token.display()
        ),
    )
    .unwrap();
    let path = config.to_string_lossy().into_owned();
    let err = message(resolve(None, &env_of(&[(ENV_CONFIG, &path)])).unwrap_err());
    assert!(err.contains("mode 0644"), "{err}");
    assert!(
        err.contains(&format!("chmod 600 {}", token.display())),
        "{err}"
    );
    // An inline token needs the config file itself to be private.
    std::fs::write(
        &config,
        "[profiles.default]\nurl = \"https://x.example\"\ntoken = \"lk_tok_inline\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = message(resolve(None, &env_of(&[(ENV_CONFIG, &path)])).unwrap_err());
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let settings = resolve(None, &env_of(&[(ENV_CONFIG, &path)])).unwrap();
    assert_eq!(settings.token.expose(), "lk_tok_inline");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_pieces_say_how_to_configure() {
    let dir = scratch();
    let path = dir.join("none.toml").to_string_lossy().into_owned();
    let err = message(resolve(None, &env_of(&[(ENV_CONFIG, &path)])).unwrap_err());
    assert!(err.contains("no Latchkey URL configured"), "{err}");
    assert!(err.contains("latchkey login"), "{err}");
    let err = message(
        resolve(
            None,
            &env_of(&[(ENV_CONFIG, &path), (ENV_URL, "https://x.example")]),
        )
        .unwrap_err(),
    );
    assert!(err.contains("no Latchkey token configured"), "{err}");
    let err = message(resolve(Some("nope"), &env_of(&[(ENV_CONFIG, &path)])).unwrap_err());
    assert!(err.contains("no profile 'nope'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_path_follows_xdg_then_home() {
    let p = config_path(&env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])).unwrap();
    assert_eq!(p, PathBuf::from("/x/latchkey/config.toml"));
    let p = config_path(&env_of(&[("HOME", "/h")])).unwrap();
    assert_eq!(p, PathBuf::from("/h/.config/latchkey/config.toml"));
    let p = config_path(&env_of(&[(ENV_CONFIG, "/c.toml"), ("HOME", "/h")])).unwrap();
    assert_eq!(p, PathBuf::from("/c.toml"));
}

#[test]
fn urls_are_origins_and_plain_http_is_local_only() {
    assert_eq!(
        check_url("https://latchkey.example.com/").unwrap(),
        "https://latchkey.example.com"
    );
    assert!(check_url("http://127.0.0.1:8787").is_ok());
    assert!(check_url("http://localhost").is_ok());
    assert!(check_url("http://[::1]:8787").is_ok());
    assert!(
        check_url("http://latchkey.example.com")
            .unwrap_err()
            .contains("plain http")
    );
    assert!(check_url("latchkey.example.com").is_err());
    assert!(check_url("ftp://x").is_err());
    assert!(check_url("https://x/?a=b").is_err());
    // The host is what follows the last '@': none of these is local.
    for sneaky in [
        "http://localhost:1@evil.example",
        "http://127.0.0.1:x@evil.example",
        "http://[::1]@evil.example",
        "https://user@latchkey.example.com",
    ] {
        assert!(check_url(sneaky).is_err(), "{sneaky}");
    }
}

#[test]
fn token_file_paths() {
    let config = Path::new("/etc/lk/config.toml");
    assert_eq!(
        token_file_path("tokens/a.token", config),
        PathBuf::from("/etc/lk/tokens/a.token")
    );
    assert_eq!(token_file_path("/abs/t", config), PathBuf::from("/abs/t"));
}
