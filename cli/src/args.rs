//! The command line, as clap reads it. Values and tokens are never arguments: `ps` would show
//! them to everyone on the machine.

use crate::parse::{self, AllowedHost, Binding};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "The command-line client of Latchkey, the secret store for AI agents.",
    after_help = "Configuration: LATCHKEY_URL and LATCHKEY_TOKEN, or a profile stored by \
                  `latchkey login` (in $LATCHKEY_CONFIG, else $XDG_CONFIG_HOME/latchkey/config.toml, \
                  else ~/.config/latchkey/config.toml). The variables override the profile.\n\
                  Exit codes: 0 ok, 1 refused or failed, 2 usage; `run` exits with its command's code."
)]
pub struct Cli {
    /// The profile to use (default: $LATCHKEY_PROFILE, else the config's default_profile)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print the API's JSON (for scripts) instead of tables and messages
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a secret's value (only the value, for scripts)
    Get(GetArgs),
    /// Store a value (read from stdin, a hidden prompt, --value-file or --generate)
    Set(SetArgs),
    /// List secrets: metadata only, never values
    #[command(alias = "ls")]
    List(ListArgs),
    /// List a secret's versions
    Versions {
        /// The secret's path, e.g. prod/db/password
        path: String,
    },
    /// Replace a secret's value; the old one stays readable for --grace
    Rotate(RotateArgs),
    /// Delete a secret (restorable for 30 days), or erase it with --permanent
    #[command(alias = "rm")]
    Delete(DeleteArgs),
    /// Restore a deleted secret
    Restore {
        /// The secret's path
        path: String,
    },
    /// Generate a password (and store it with --path)
    Generate(GenerateArgs),
    /// Run a command with secrets in its environment (values are never printed)
    Run(RunArgs),
    /// Call an HTTP API with secrets the server fills in: the values never reach this machine
    Proxy(ProxyArgs),
    /// Mint, list and revoke scoped tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// List and decide token requests that wait for approval
    #[command(subcommand, alias = "approval")]
    Approvals(ApprovalsCommand),
    /// Read the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Store a profile: URL and token (read from stdin or a hidden prompt)
    Login(LoginArgs),
    /// Remove a profile and its token file
    Logout,
    /// List the profiles of the config file
    Profiles,
    /// Run the reference agent: serve a directory's secrets (files, .env) to approved reads
    /// and patches
    Agent(AgentArgs),
}

/// `latchkey agent`: how it gets in (a state file, an agent secret, a bootstrap token, or
/// `--mint`), what it serves, and how often it looks.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "The agent's credential comes from its state file, else LATCHKEY_AGENT_SECRET \
                  (or --agent-secret-file) with --agent-id, else LATCHKEY_BOOTSTRAP_TOKEN (or \
                  --bootstrap-token-file: seed 000's registration), else --mint (with \
                  LATCHKEY_TOKEN or a profile: an admin credential). It is kept in the state \
                  file (mode 0600) and never printed. The URL: --url, else LATCHKEY_URL, else \
                  the state file's (with --mint: the admin credential's profile)."
)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub action: Option<AgentAction>,
    #[command(flatten)]
    pub run: AgentRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// Mint an agent (POST /api/v1/agents, admin credential) and print its secret once,
    /// for an agent started elsewhere with LATCHKEY_AGENT_SECRET
    Mint(AgentMintArgs),
}

#[derive(Debug, Args)]
pub struct AgentMintArgs {
    /// The agent's name
    #[arg(long)]
    pub name: String,
    /// The host it runs on
    #[arg(long)]
    pub hostname: Option<String>,
    /// Its platform, e.g. linux/amd64
    #[arg(long, value_name = "OS/ARCH")]
    pub os_type: Option<String>,
}

#[derive(Debug, Args)]
pub struct AgentRunArgs {
    /// The directory it serves: subdirectories with one file per key, and .env files
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Its state file (default: $LATCHKEY_AGENT_STATE, else
    /// $XDG_STATE_HOME/latchkey/agent.json, else ~/.local/state/latchkey/agent.json)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The API's origin (default: LATCHKEY_URL, else the state file's; with --mint, the
    /// admin credential's)
    #[arg(long)]
    pub url: Option<String>,
    /// Mint a new agent with the admin credential (LATCHKEY_TOKEN or the profile)
    #[arg(long)]
    pub mint: bool,
    /// Its name when minted or registered (default: the host name)
    #[arg(long)]
    pub name: Option<String>,
    /// The cluster name its discovered secrets are reported under (default: the host name)
    #[arg(long)]
    pub cluster: Option<String>,
    /// Start as an existing minted agent: its secret is read from this file (or from
    /// LATCHKEY_AGENT_SECRET); needs --agent-id
    #[arg(long, value_name = "FILE")]
    pub agent_secret_file: Option<PathBuf>,
    /// The existing agent's id (or LATCHKEY_AGENT_ID)
    #[arg(long, value_name = "ID")]
    pub agent_id: Option<String>,
    /// Register with a bootstrap token read from this file (or LATCHKEY_BOOTSTRAP_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub bootstrap_token_file: Option<PathBuf>,
    /// One pass (discover, heartbeat, carry out the queued jobs), then exit
    #[arg(long)]
    pub once: bool,
    /// Poll only: do not open the live socket
    #[arg(long)]
    pub no_socket: bool,
    /// How often it asks for jobs when there is no socket
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse::duration)]
    pub poll_interval: Duration,
    /// How often it sends a heartbeat
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse::duration)]
    pub heartbeat_interval: Duration,
    /// How often it looks at the directory (it uploads what changed)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse::duration)]
    pub scan_interval: Duration,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The secret's path, e.g. prod/db/password
    pub path: String,
    /// Read this version instead of the current one
    #[arg(long, value_name = "N")]
    pub version: Option<u64>,
    /// Read one field of the secret instead of its main value
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
    /// Do not end the value with a newline
    #[arg(short = 'n', long)]
    pub no_newline: bool,
}

/// Where a new value comes from (besides stdin or the prompt).
#[derive(Debug, Args)]
pub struct ValueSource {
    /// Read the value from this file, exactly as it is
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    pub value_file: Option<PathBuf>,
    /// Store a generated password (see the character options)
    #[arg(long)]
    pub generate: bool,
    #[command(flatten)]
    pub charset: Charset,
}

/// The password generator's options.
#[derive(Debug, Args, Default)]
pub struct Charset {
    /// Password length (8 to 256; the server's default is 32)
    #[arg(long, value_name = "N")]
    pub length: Option<u64>,
    /// No upper-case letters
    #[arg(long)]
    pub no_uppercase: bool,
    /// No lower-case letters
    #[arg(long)]
    pub no_lowercase: bool,
    /// No digits
    #[arg(long)]
    pub no_digits: bool,
    /// No symbols
    #[arg(long)]
    pub no_symbols: bool,
}

impl Charset {
    pub fn is_default(&self) -> bool {
        self.length.is_none()
            && !self.no_uppercase
            && !self.no_lowercase
            && !self.no_digits
            && !self.no_symbols
    }
}

/// Metadata a create or an update may set.
#[derive(Debug, Args)]
pub struct Metadata {
    /// standard, sensitive (tokens reaching it need one approval) or critical (two)
    #[arg(long, value_parser = ["standard", "sensitive", "critical"])]
    pub tier: Option<String>,
    /// A description (shown in lists; never secret)
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A tag, key=value (repeatable; on an update they replace the existing tags)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse::tag)]
    pub tags: Vec<(String, String)>,
    /// When the secret expires (RFC 3339, e.g. 2030-01-01T00:00:00Z)
    #[arg(long, value_name = "TIME")]
    pub expires_at: Option<String>,
    /// How many versions to keep (1 to 100)
    #[arg(long, value_name = "N")]
    pub max_versions: Option<u64>,
    /// Where `latchkey proxy` may send the secret: [METHOD,…] HOST[/PATH_PREFIX], e.g.
    /// api.openai.com/v1/, '*.example.com' or 'GET,POST api.stripe.com' (repeatable; on an
    /// update they replace the existing rules)
    #[arg(
        long = "allowed-host",
        value_name = "[METHODS] HOST[/PATH]",
        value_parser = parse::allowed_host
    )]
    pub allowed_hosts: Vec<AllowedHost>,
    /// Remove every allowed host: the secret can no longer be used through the broker
    #[arg(long, conflicts_with = "allowed_hosts")]
    pub clear_allowed_hosts: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The secret's path, e.g. prod/db/password
    pub path: String,
    #[command(flatten)]
    pub value: ValueSource,
    #[command(flatten)]
    pub metadata: Metadata,
    /// Only update if the current version is N (check-and-set)
    #[arg(long, value_name = "N")]
    pub if_match: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only secrets under this path prefix (whole segments), e.g. prod or prod/openai
    #[arg(long, value_name = "PREFIX")]
    pub namespace: Option<String>,
    /// Only secrets with this tag (repeatable: all must match)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse::tag)]
    pub tags: Vec<(String, String)>,
    /// Only secrets of this tier
    #[arg(long, value_parser = ["standard", "sensitive", "critical"])]
    pub tier: Option<String>,
    /// Only secrets whose path, description or tags contain this text
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only secrets expiring within this long (e.g. 7d)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration_secs)]
    pub expiring_within: Option<u64>,
    /// Include deleted (restorable) secrets
    #[arg(long)]
    pub deleted: bool,
    /// Secrets per page (1 to 200)
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Continue after the cursor a previous page printed
    #[arg(long, value_name = "CURSOR", conflicts_with = "all")]
    pub cursor: Option<String>,
    /// Follow the cursors and list every page
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The secret's path
    pub path: String,
    /// How long the old value stays readable with --version (e.g. 300, 5m, 1d; at most 7d)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration_secs)]
    pub grace: Option<u64>,
    #[command(flatten)]
    pub value: ValueSource,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The secret's path
    pub path: String,
    /// Erase every version for good (cannot be restored)
    #[arg(long)]
    pub permanent: bool,
    /// Do not ask for confirmation of --permanent
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub charset: Charset,
    /// Store the password as a new secret at this path (it is then not printed)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    #[command(flatten)]
    pub metadata: Metadata,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A variable and the secret it gets: ENV=path, or ENV=path#field (repeatable)
    #[arg(
        short = 's',
        long = "secret",
        value_name = "ENV=PATH[#FIELD]",
        required = true,
        value_parser = parse::binding
    )]
    pub secrets: Vec<Binding>,
    /// Also pass LATCHKEY_TOKEN to the command (it is removed by default)
    #[arg(long)]
    pub pass_token: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Placeholders: {{NAME}} in the URL's query, a header value or the body \
                        is replaced by the server with the secret bound to NAME; the response \
                        comes back with every occurrence of a value replaced by [REDACTED]. \
                        The token needs secrets:use on each path, and each secret needs \
                        allowed hosts (`latchkey set PATH --allowed-host HOST`).\n\
                        Exit codes: 0 when the upstream answered 2xx or 3xx, 1 when it answered \
                        4xx or 5xx (or Latchkey refused), 2 usage."
)]
pub struct ProxyArgs {
    /// A placeholder and the secret it stands for: NAME=path, or NAME=path#field (repeatable)
    #[arg(
        short = 's',
        long = "secret",
        value_name = "NAME=PATH[#FIELD]",
        required = true,
        value_parser = parse::placeholder
    )]
    pub secrets: Vec<Binding>,
    /// The method (default: GET, or POST with a body)
    #[arg(short = 'X', long, value_name = "METHOD", value_parser = parse::method)]
    pub method: Option<String>,
    /// A header, 'Name: value' (repeatable); e.g. -H 'Authorization: Bearer {{API_KEY}}'
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse::header)]
    pub headers: Vec<(String, String)>,
    /// The request body, as it is (UTF-8 text; no Content-Type is added: pass -H)
    #[arg(short = 'd', long, value_name = "BODY", conflicts_with = "data_file")]
    pub data: Option<String>,
    /// Read the request body from this file (or stdin with -), exactly as it is
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Why the secrets are used (recorded in the audit trail; some policies require it)
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// How long the upstream may take to answer, 1 to 30 seconds (default 30)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=30))]
    pub timeout: Option<u64>,
    /// Print the upstream's status line and headers before its body (like curl -i)
    #[arg(short = 'i', long)]
    pub include: bool,
    /// The URL to call, absolute (https://…); placeholders only in its query
    #[arg(value_name = "URL")]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token; its value is printed once. Waits for approval when needed.
    Create(TokenCreateArgs),
    /// List tokens (metadata only; needs admin)
    #[command(alias = "ls")]
    List,
    /// Revoke a token (effective on its next request)
    Revoke {
        /// The token's id, tok_…
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// A scope, e.g. secrets:read:prod/* or tokens:create (repeatable)
    #[arg(long = "scope", value_name = "SCOPE", required = true)]
    pub scopes: Vec<String>,
    /// How long the token lives (e.g. 3600, 15m, 12h, 7d; the server's default is 1h)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration_secs)]
    pub ttl: Option<u64>,
    /// What the token is for (shown in lists and in the audit trail)
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Stop working after this many uses
    #[arg(long, value_name = "N")]
    pub max_uses: Option<u64>,
    /// Only accept requests from this address or CIDR range (repeatable)
    #[arg(long = "allowed-ip", value_name = "CIDR")]
    pub allowed_ips: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Do not wait for approval: print the request's id and exit (`approvals wait` resumes)
    #[arg(long, conflicts_with = "timeout")]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// How long to wait for approval (e.g. 90s, 10m, 2h)
    #[arg(
        long = "wait",
        value_name = "DURATION",
        value_parser = parse::duration,
        default_value = "10m"
    )]
    pub timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List requests (needs approvals:decide)
    #[command(alias = "ls")]
    List {
        /// pending, approved, denied, expired or cancelled
        #[arg(long, value_parser = ["pending", "approved", "denied", "expired", "cancelled"])]
        status: Option<String>,
    },
    /// Show one request
    Show {
        /// The request's id, apr_…
        id: String,
    },
    /// Approve a request
    Approve {
        /// The request's id, apr_…
        id: String,
        /// A note kept with the decision
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },
    /// Deny a request
    Deny {
        /// The request's id, apr_…
        id: String,
        /// Why (the requester sees it)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Cancel a request (the requester, or an approver during the cancel window)
    Cancel {
        /// The request's id, apr_…
        id: String,
    },
    /// Wait for your own request to be decided, then print the released token
    Wait {
        /// The request's id, apr_…
        id: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Follow the live event stream until interrupted (needs audit:read)
    Tail(TailArgs),
    /// List past events, newest first
    #[command(alias = "ls")]
    List(AuditListArgs),
    /// Check the audit trail's hash chain
    Verify,
}

/// Filters of the audit trail.
#[derive(Debug, Args)]
pub struct AuditFilter {
    /// Only events of this type, e.g. secret.read or token.created
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only events about paths under this prefix
    #[arg(long, value_name = "PREFIX")]
    pub namespace: Option<String>,
    /// Only events by this actor, e.g. master or token:tok_…
    #[arg(long, value_name = "ACTOR")]
    pub actor: Option<String>,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Show this many past events first
    #[arg(short = 'n', long, value_name = "N", default_value_t = 0)]
    pub lines: u32,
    #[command(flatten)]
    pub filter: AuditFilter,
}

#[derive(Debug, Args)]
pub struct AuditListArgs {
    #[command(flatten)]
    pub filter: AuditFilter,
    /// Only events at or after this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events before this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only failed (refused) events
    #[arg(long)]
    pub failed: bool,
    /// How many events (1 to 1000)
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The API's origin, e.g. https://latchkey.example.com
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Make this the default profile
    #[arg(long)]
    pub default: bool,
    /// Store the token without checking it against the server
    #[arg(long)]
    pub no_verify: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_bindings_and_the_command_after_the_separator() {
        let cli = Cli::try_parse_from([
            "latchkey", "run", "--secret", "A=x/y#f", "-s", "B=z", "--", "sh", "-c", "echo",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run");
        };
        assert_eq!(run.secrets.len(), 2);
        assert_eq!(run.command, ["sh", "-c", "echo"]);
        assert!(Cli::try_parse_from(["latchkey", "run", "--secret", "1=x", "--", "sh"]).is_err());
        assert!(Cli::try_parse_from(["latchkey", "run", "--secret", "A=x"]).is_err());
    }

    #[test]
    fn proxy_takes_curl_like_options() {
        let cli = Cli::try_parse_from([
            "latchkey",
            "proxy",
            "-s",
            "KEY=prod/api#token",
            "-X",
            "put",
            "-H",
            "Authorization: Bearer {{KEY}}",
            "-H",
            "Accept: */*",
            "-d",
            "{}",
            "--timeout",
            "5",
            "-i",
            "--json",
            "https://api.example.com/v1/x",
        ])
        .unwrap();
        assert!(cli.json);
        let Command::Proxy(proxy) = cli.command else {
            panic!("not proxy");
        };
        assert_eq!(proxy.secrets[0].name, "KEY");
        assert_eq!(proxy.method.as_deref(), Some("PUT"));
        assert_eq!(proxy.headers.len(), 2);
        assert_eq!(proxy.data.as_deref(), Some("{}"));
        assert_eq!(proxy.timeout, Some(5));
        assert!(proxy.include);
        assert_eq!(proxy.url, "https://api.example.com/v1/x");
        let parse =
            |args: &[&str]| Cli::try_parse_from(["latchkey", "proxy"].iter().chain(args).copied());
        // A secret is required; names, headers, methods and the timeout are checked.
        assert!(parse(&["https://x"]).is_err());
        assert!(parse(&["-s", "1K=a", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a", "-H", "no colon", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a", "-X", "TRACE", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a", "--timeout", "31", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a", "--timeout", "0", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a", "-d", "x", "--data-file", "f", "https://x"]).is_err());
        assert!(parse(&["-s", "K=a"]).is_err());
    }

    #[test]
    fn allowed_hosts_are_metadata() {
        let cli = Cli::try_parse_from([
            "latchkey",
            "set",
            "p/k",
            "--allowed-host",
            "api.openai.com/v1/",
            "--allowed-host",
            "GET *.example.com",
        ])
        .unwrap();
        let Command::Set(set) = cli.command else {
            panic!("not set");
        };
        assert_eq!(set.metadata.allowed_hosts.len(), 2);
        assert!(
            Cli::try_parse_from([
                "latchkey",
                "set",
                "p/k",
                "--allowed-host",
                "a.com",
                "--clear-allowed-hosts"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from(["latchkey", "set", "p/k", "--allowed-host", "a.com:443"]).is_err()
        );
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from(["latchkey", "list", "--json", "--profile", "p"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.profile.as_deref(), Some("p"));
    }
}
