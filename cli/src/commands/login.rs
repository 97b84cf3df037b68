//! `login`, `logout`, `profiles`: the config file's profiles. A token is read from stdin or
//! a hidden prompt, never from the command line.

use super::Ctx;
use crate::args::LoginArgs;
use crate::client::Client;
use crate::config::{self, ENV_PROFILE, ENV_TOKEN, ENV_URL, Settings, process_env};
use crate::error::CliError;
use crate::output::{self, Table, note};
use crate::secret::Secret;
use crate::term;
use serde_json::{Value, json};
use std::io::Read as _;

fn chosen_profile(ctx: &Ctx) -> Option<String> {
    ctx.profile.clone().or_else(|| process_env(ENV_PROFILE))
}

fn read_token(profile: &str) -> Result<Secret, CliError> {
    let token = if term::stdin_is_tty() {
        term::prompt_hidden(&format!("Token for profile '{profile}' (input hidden): "))?
    } else {
        let mut text = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("cannot read the token from stdin: {e}")))?;
        Secret::new(text.trim().to_owned())
    };
    if token.is_empty() || token.expose().chars().any(char::is_whitespace) {
        return Err(CliError::usage_hint(
            "no token given (or it contains spaces)",
            "pipe the token in (`latchkey login --url URL < token-file`) or type it at the prompt",
        ));
    }
    Ok(token)
}

/// Checks the token against the server: refused (401) stops; a token that may not read
/// `/v1/info` (403) is still a valid token.
fn verify(url: &str, token: &Secret) -> Result<(), CliError> {
    let client = Client::new(Settings {
        url: url.to_owned(),
        url_source: "--url".to_owned(),
        token: token.clone(),
        token_source: "the login".to_owned(),
    });
    match client.get("/v1/info") {
        Ok(_) => Ok(()),
        Err(CliError::Api(f)) if f.code == "permission_denied" => Ok(()),
        Err(CliError::Api(f)) if f.code == "unauthorized" => Err(CliError::failed_hint(
            format!(
                "{url} refused this token ({}); nothing was stored",
                f.message
            ),
            "check that the token is complete and not expired or revoked",
        )),
        Err(CliError::Network { url, detail, .. }) => Err(CliError::failed_hint(
            format!("could not reach {url}: {detail}; nothing was stored"),
            "check the URL, or store the profile anyway with --no-verify",
        )),
        Err(e) => Err(e),
    }
}

pub fn login(ctx: &Ctx, args: &LoginArgs) -> Result<(), CliError> {
    let name = chosen_profile(ctx).unwrap_or_else(|| "default".to_owned());
    config::check_profile_name(&name).map_err(CliError::usage)?;
    let url =
        config::check_url(&args.url).map_err(|why| CliError::usage(format!("--url: {why}")))?;
    let path = config::config_path(&process_env)?;
    // Refuse a broken config file before asking for anything.
    config::load(&path)?;
    let token = read_token(&name)?;
    if !args.no_verify {
        verify(&url, &token)?;
    }
    let token_path = config::save_login(&path, &name, &url, &token, args.default)?;
    if ctx.json {
        return output::json(&json!({
            "profile": name, "url": url,
            "config": path.display().to_string(),
            "token_file": token_path.display().to_string(),
        }));
    }
    output::line(&format!(
        "Stored profile '{name}' for {url} in {}; its token is in {} (mode 0600)",
        path.display(),
        token_path.display()
    ))?;
    for var in [ENV_URL, ENV_TOKEN] {
        if process_env(var).is_some() {
            note(&format!(
                "Note: {var} is set and overrides the profile's value."
            ));
        }
    }
    Ok(())
}

pub fn logout(ctx: &Ctx) -> Result<(), CliError> {
    let path = config::config_path(&process_env)?;
    let name = match chosen_profile(ctx) {
        Some(name) => name,
        None => config::load(&path)?
            .default_profile
            .ok_or_else(|| CliError::usage("no default profile; name one with --profile NAME"))?,
    };
    config::remove_profile(&path, &name)?;
    if ctx.json {
        return output::json(&json!({"profile": name, "removed": true}));
    }
    output::line(&format!(
        "Removed profile '{name}' and its token file (the token itself stays valid: \
         revoke it with `latchkey token revoke ID` if it should stop working)"
    ))
}

pub fn profiles(ctx: &Ctx) -> Result<(), CliError> {
    let path = config::config_path(&process_env)?;
    let config = config::load(&path)?;
    let rows: Vec<Value> = config
        .profiles
        .iter()
        .map(|(name, p)| {
            json!({
                "name": name,
                "default": config.default_profile.as_deref() == Some(name.as_str()),
                "url": p.url,
                "token_file": p.token_file.as_deref()
                    .map(|f| config::token_file_path(f, &path).display().to_string()),
                "inline_token": p.token.is_some(),
            })
        })
        .collect();
    if ctx.json {
        return output::json(&json!({"config": path.display().to_string(), "profiles": rows}));
    }
    if rows.is_empty() {
        note(&format!(
            "No profiles in {}; add one with `latchkey login --profile NAME --url URL`",
            path.display()
        ));
        return Ok(());
    }
    let mut table = Table::new(&["NAME", "DEFAULT", "URL", "TOKEN"]).flex(&[3, 2]);
    for row in &rows {
        let field = |key: &str| row.get(key).cloned().unwrap_or(Value::Null);
        let token = match (
            field("token_file").as_str(),
            field("inline_token").as_bool(),
        ) {
            (Some(file), _) => file.to_owned(),
            (None, Some(true)) => "(in the config file)".to_owned(),
            _ => "-".to_owned(),
        };
        table.row(vec![
            output::text(row, "name"),
            if field("default").as_bool() == Some(true) {
                "*".into()
            } else {
                String::new()
            },
            output::text(row, "url"),
            token,
        ]);
    }
    output::out(&table.render(term::width()))
}
