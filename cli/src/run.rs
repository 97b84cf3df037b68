//! `latchkey run --secret ENV=path[#field] … -- command args`: fetches every secret first
//! (and fails, naming each one that could not be read, before anything starts), then runs
//! the command with the values added to its environment. On Unix the command replaces this
//! process (`exec`), so signals reach it directly and its exit code is the exit code. Values
//! are never printed; `LATCHKEY_TOKEN` is not passed on unless `--pass-token` says so.

use crate::args::RunArgs;
use crate::client::{Client, encode, secret_url};
use crate::config::ENV_TOKEN;
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::parse::{Binding, check_unique};
use crate::secret::Secret;
use serde_json::Value;
use std::process::Command;

/// Reads one binding's value.
fn fetch(client: &Client, binding: &Binding) -> Result<Secret, CliError> {
    let url = match &binding.field {
        Some(field) => secret_url(&binding.path, &format!("/fields/{}", encode(field))),
        None => secret_url(&binding.path, ""),
    };
    let body = client.get(&url)?;
    match body.get("value").and_then(Value::as_str) {
        Some(value) => Ok(Secret::new(value.to_owned())),
        None => Err(CliError::usage(format!(
            "{} has no main value, only fields: bind one with {}=PATH#FIELD",
            binding.path, binding.name
        ))),
    }
}

/// One line per failed binding: which variable, which secret, why (never a value).
fn failure_line(binding: &Binding, error: &CliError) -> String {
    let why = error.report();
    let why = why
        .trim_end()
        .replace("\nhint: ", "; ")
        .replacen("error: ", "", 1);
    format!("  {} ← {}: {why}", binding.name, binding.source())
}

pub fn run(ctx: &Ctx, args: RunArgs) -> Result<u8, CliError> {
    check_unique(&args.secrets).map_err(CliError::usage)?;
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CliError::usage("no command given after --"));
    };
    let client = ctx.client()?;
    let mut values: Vec<(&str, Secret)> = Vec::with_capacity(args.secrets.len());
    let mut failures: Vec<String> = Vec::new();
    let mut any_usage = false;
    for binding in &args.secrets {
        match fetch(&client, binding) {
            Ok(value) => values.push((&binding.name, value)),
            Err(error) => {
                any_usage |= matches!(error, CliError::Usage { .. });
                failures.push(failure_line(binding, &error));
            }
        }
    }
    if !failures.is_empty() {
        let message = format!(
            "could not read {} of {} secret(s); the command was not started:\n{}",
            failures.len(),
            args.secrets.len(),
            failures.join("\n")
        );
        return Err(if any_usage && failures.len() == args.secrets.len() {
            CliError::usage(message)
        } else {
            CliError::failed(message)
        });
    }
    let mut command = Command::new(program);
    command.args(rest);
    if !args.pass_token {
        command.env_remove(ENV_TOKEN);
    }
    for (name, value) in &values {
        command.env(name, value.expose());
    }
    let shown = program.to_string_lossy().into_owned();
    exec(command, &shown)
}

#[cfg(unix)]
fn exec(mut command: Command, shown: &str) -> Result<u8, CliError> {
    use std::os::unix::process::CommandExt as _;
    // Only returns when the command could not be started.
    let error = command.exec();
    Err(start_error(shown, &error))
}

#[cfg(not(unix))]
fn exec(mut command: Command, shown: &str) -> Result<u8, CliError> {
    let status = command.status().map_err(|e| start_error(shown, &e))?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1))
}

fn start_error(shown: &str, error: &std::io::Error) -> CliError {
    match error.kind() {
        std::io::ErrorKind::NotFound => CliError::usage_hint(
            format!("command not found: {shown}"),
            "check its name and PATH; the command goes after `--`",
        ),
        std::io::ErrorKind::PermissionDenied => {
            CliError::usage(format!("{shown} is not executable (permission denied)"))
        }
        _ => CliError::failed(format!("cannot start {shown}: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::binding;

    #[test]
    fn failures_name_the_variable_and_the_secret_on_one_line() {
        let b = binding("DB=prod/db#password").unwrap();
        let line = failure_line(
            &b,
            &CliError::failed_hint("secret 'prod/db' not found", "check it"),
        );
        assert_eq!(
            line,
            "  DB ← prod/db#password: secret 'prod/db' not found; check it"
        );
    }
}
