//! The web console's session (issue 25): opened by a person who just logged in, described to
//! the page, and closed at logout. The Worker's `/console/session` routes send these; the
//! session itself is `latchkey_core::console`'s.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::Timestamp;
use latchkey_core::credential::CredentialHash;
use latchkey_core::people::{Email, UserId};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// Mints a console session for the person behind the caller's login JWT.
#[derive(Debug, Serialize, Deserialize)]
pub struct OpenConsoleSession;

/// The person behind the caller's console session, for the page.
#[derive(Debug, Serialize, Deserialize)]
pub struct DescribeConsoleSession {
    pub session: CredentialHash,
}

/// Ends the caller's console session (its row is deleted: the cookie authenticates nothing
/// after).
#[derive(Debug, Serialize, Deserialize)]
pub struct CloseConsoleSession {
    pub session: CredentialHash,
}

/// Who the console acts for, and until when.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConsoleIdentity {
    pub user_id: UserId,
    pub email: Email,
    /// Always a list (one scope too), for the page to read one way.
    pub permissions: Vec<Scope>,
    /// The absolute end of the session.
    pub expires_at: Timestamp,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_seconds: i64,
}

/// A new session: its value (for the cookie only, never the page) and who it is for.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConsoleSessionOpened {
    pub session: String,
    pub identity: ConsoleIdentity,
}

area! {
    pub enum ConsoleCommand in CallerCommand::Console {
        OpenConsoleSession => ConsoleSessionOpened,
        DescribeConsoleSession => ConsoleIdentity,
        CloseConsoleSession => (),
    }
}

impl ConsoleCommand {
    pub fn rules(&self) -> Rules {
        match self {
            // A person only: the object refuses any other principal, and a session gives the
            // person nothing their JWT did not.
            ConsoleCommand::OpenConsoleSession(_) => Rules::of(
                Access::Person,
                Audit::Event("console.session_opened"),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Writes,
            ),
            // The page asks on each load: recording it would add nothing the requests that
            // follow do not; a refused attempt is recorded.
            ConsoleCommand::DescribeConsoleSession(_) => Rules::of(
                Access::Person,
                Audit::RefusalsOnly("console.session_described"),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Reads,
            ),
            ConsoleCommand::CloseConsoleSession(_) => Rules::of(
                Access::Person,
                Audit::Event("console.session_closed"),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Writes,
            ),
        }
    }
}
