//! One module per group of commands; each maps arguments onto the REST API and prints the
//! answer for people (tables, messages) or, with `--json`, as the API's JSON.

mod approvals;
mod audit;
mod login;
mod secrets;
mod tokens;

use crate::args::{ApprovalsCommand, AuditCommand, Cli, Command, TokenCommand};
use crate::ctx::Ctx;
use crate::error::CliError;

/// Runs the command; `Ok` carries the exit code.
pub fn execute(cli: Cli) -> Result<u8, CliError> {
    let ctx = Ctx {
        json: cli.json,
        profile: cli.profile,
    };
    match cli.command {
        Command::Get(args) => secrets::get(&ctx, &args),
        Command::Set(args) => secrets::set(&ctx, &args),
        Command::List(args) => secrets::list(&ctx, &args),
        Command::Versions { path } => secrets::versions(&ctx, &path),
        Command::Rotate(args) => secrets::rotate(&ctx, &args),
        Command::Delete(args) => secrets::delete(&ctx, &args),
        Command::Restore { path } => secrets::restore(&ctx, &path),
        Command::Generate(args) => secrets::generate(&ctx, &args),
        Command::Run(args) => return crate::run::run(&ctx, args),
        Command::Proxy(args) => return crate::proxy::proxy(&ctx, args),
        Command::Agent(args) => return crate::agent::agent(&ctx, args),
        Command::Token(TokenCommand::Create(args)) => tokens::create(&ctx, &args),
        Command::Token(TokenCommand::List) => tokens::list(&ctx),
        Command::Token(TokenCommand::Revoke { id }) => tokens::revoke(&ctx, &id),
        Command::Approvals(command) => match command {
            ApprovalsCommand::List { status } => approvals::list(&ctx, status.as_deref()),
            ApprovalsCommand::Show { id } => approvals::show(&ctx, &id),
            ApprovalsCommand::Approve { id, comment } => {
                approvals::decide(&ctx, &id, "approve", "comment", comment)
            }
            ApprovalsCommand::Deny { id, reason } => {
                approvals::decide(&ctx, &id, "deny", "reason", reason)
            }
            ApprovalsCommand::Cancel { id } => approvals::decide(&ctx, &id, "cancel", "", None),
            ApprovalsCommand::Wait { id, wait } => approvals::wait(&ctx, &id, &wait),
        },
        Command::Audit(AuditCommand::Tail(args)) => audit::tail(&ctx, &args),
        Command::Audit(AuditCommand::List(args)) => audit::list(&ctx, &args),
        Command::Audit(AuditCommand::Verify) => audit::verify(&ctx),
        Command::Login(args) => login::login(&ctx, &args),
        Command::Logout => login::logout(&ctx),
        Command::Profiles => login::profiles(&ctx),
    }?;
    Ok(0)
}
