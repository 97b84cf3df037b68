//! What a caller command *is*, stated once per command: who may send it, what it records,
//! what it does to the object's caches, whether it uses the caller up, and whether it writes.
//!
//! Each area's `rules()` is one exhaustive match that builds a [`Rules`] with every member
//! given: a new command does not compile until it answers all of them, so it never inherits
//! a default. The tenant object reads nothing else to decide these things.

use latchkey_core::SecretPath;
use latchkey_core::gate::Flow;
use latchkey_core::scope::{Scope, SecretAction};

/// Everything the object decides about a command before running it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Who may send it.
    pub access: Access,
    /// What the audit trail records.
    pub audit: Audit,
    /// Whether a value leaves the store (the purpose is recorded with it).
    pub releases: Releases,
    /// What it does to the object's cache of secrets.
    pub cache: Cache,
    /// Whether it is counted against the rate limit and a token's `max_uses`.
    pub metering: Metering,
    /// What it writes.
    pub effect: Effect,
}

impl Rules {
    /// All six, positionally: every rule table row names each one.
    pub const fn of(
        access: Access,
        audit: Audit,
        releases: Releases,
        cache: Cache,
        metering: Metering,
        effect: Effect,
    ) -> Rules {
        Rules {
            access,
            audit,
            releases,
            cache,
            metering,
            effect,
        }
    }
}

/// What a command needs from its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// `secrets:<action>` on this path, with the tier clearance and (for a release) the
    /// purpose the one gate asks for that flow.
    Secret(Flow, SecretAction, SecretPath),
    /// The same, but the handler checks the tier against the secret's row, which it loads
    /// anyway (a read, an update, a rotation): the gate checks scope and purpose.
    LoadedSecret(Flow, SecretAction, SecretPath),
    /// The same on each of these paths (a broker call names several).
    Secrets(Flow, SecretAction, Vec<SecretPath>),
    /// This exact scope (or `admin`).
    Scope(Scope),
    /// Any authenticated caller: the command filters or checks ownership itself (the list
    /// filters by scope, token revocation checks who minted the token).
    Authenticated,
    /// An agent, by its JWT (the `/v1/agents/me/…` routes).
    Agent,
    /// A bootstrap token (registration).
    Bootstrap,
    /// A person, by their login JWT (consenting to an OAuth client: a grant is a person's).
    Person,
    /// A person (any of them may be a workflow stage's approver), or a holder of one of these
    /// scopes: whoever may try to decide a request. The command narrows it to the stage's
    /// approvers; anyone else is refused here, before the call counts as a token's use.
    PersonOr(Vec<Scope>),
}

impl Access {
    /// `secrets:<action>` on one path, the tier checked by the gate.
    pub fn secret(flow: Flow, action: SecretAction, path: &SecretPath) -> Access {
        Access::Secret(flow, action, path.clone())
    }

    /// `secrets:<action>` on one path, the tier checked against the row the handler loads.
    pub fn loaded_secret(flow: Flow, action: SecretAction, path: &SecretPath) -> Access {
        Access::LoadedSecret(flow, action, path.clone())
    }
}

/// What the audit trail records for a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// This event, committed with the command (refusals recorded too).
    Event(&'static str),
    /// This event, except that an agent's is `vault.accessed` (`vault.denied` when refused):
    /// the direct reads of a stored value.
    Read(&'static str),
    /// This event, written when the Worker reports the outcome (or by the sweep); only a
    /// refusal is recorded at once (a broker release).
    AfterReport(&'static str),
    /// Only a refusal before it runs, as this event: agents' health reports (every agent
    /// reports every interval; the last report is on its row).
    RefusalsOnly(&'static str),
    /// Nothing: a live stream's polls (each would land on the stream it feeds).
    NotRecorded,
}

impl Audit {
    /// The event's type, when there is one.
    pub fn event_type(self) -> Option<&'static str> {
        match self {
            Audit::Event(name)
            | Audit::Read(name)
            | Audit::AfterReport(name)
            | Audit::RefusalsOnly(name) => Some(name),
            Audit::NotRecorded => None,
        }
    }

    /// Whether the command's outcome is recorded with it, in its transaction (a refusal
    /// before it runs is recorded apart, for every command that gets that far).
    pub fn records_outcome(self, succeeded: bool) -> bool {
        match self {
            Audit::Event(_) | Audit::Read(_) => true,
            Audit::AfterReport(_) => !succeeded,
            Audit::RefusalsOnly(_) | Audit::NotRecorded => false,
        }
    }
}

/// Whether a value leaves the store (to the caller or, through the broker, upstream): those
/// commands record `X-Latchkey-Purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Releases {
    Nothing,
    Value,
}

/// What a command does to the object's cache of secrets (rows as stored, sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// It changes no secret's rows: the cache survives.
    Keeps,
    /// It changes only its own secret, and takes that entry out and puts back what it
    /// stored (an update).
    Refreshes,
    /// It may change secrets' rows: the cache is emptied first.
    Empties,
}

/// How a command is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metering {
    /// Against the rate limit and, for a token, as one of its `max_uses`.
    Use,
    /// Against the rate limit only: polling for what one asked for (an approval) must not use
    /// up a `max_uses` token.
    RateOnly,
    /// Neither, and not recorded: a live stream's polls would spend the tenant's quota.
    Unmetered,
}

/// What a command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    Reads,
    /// Nothing, but it reads tokens' rows: the use counts kept in memory are written first.
    ReadsTokens,
    /// Rows.
    Writes,
    /// Rows, tokens' among them (or rows that decide a token's reach): the use counts kept
    /// in memory are written first and the token cache is emptied after.
    WritesTokens,
    /// The approval policies: their cache is emptied after.
    WritesPolicies,
    /// Rows, and it starts a clock (a restore window, a grace period, an approval's expiry,
    /// a broker call's report deadline): the object's alarm is set.
    StartsClock,
}

impl Effect {
    /// Whether the command changes anything.
    pub fn mutates(self) -> bool {
        !matches!(self, Effect::Reads | Effect::ReadsTokens)
    }

    /// Whether token rows must be current before it runs.
    pub fn touches_tokens(self) -> bool {
        matches!(self, Effect::ReadsTokens | Effect::WritesTokens)
    }
}
