//! What every command gets, here rather than in `commands` so that `run` and `proxy`, which
//! `commands` dispatches to, can take it without reaching back up.

use crate::client::Client;
use crate::config;
use crate::error::CliError;

/// What every command gets: the output mode and how to reach the API.
pub struct Ctx {
    pub json: bool,
    pub profile: Option<String>,
}

impl Ctx {
    /// A client for the configured URL and token (read only when a command needs them).
    pub fn client(&self) -> Result<Client, CliError> {
        let settings = config::resolve(self.profile.as_deref(), &config::process_env)?;
        Ok(Client::new(settings))
    }
}
