//! Who is calling, once authenticated: the master key, a token, an agent, a bootstrap token or
//! a person, with what each may reach. Plain data, shared by every layer of the tenant object
//! (authentication builds it; authorization, the domain services and the audit trail read it).

use crate::agent::{AgentId, BootstrapId, Labels};
use crate::approval::Policies;
use crate::audit::Actor;
use crate::gate::Clearance;
use crate::grant::{Grant, agent_scopes};
use crate::netaddr::IpRule;
use crate::people::{Email, UserId};
use crate::scope::{Scope, ScopeSet, SecretAction};
use crate::secret::Tier;
use crate::token::TokenId;
use crate::{SecretPath, Timestamp};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The tenant's master key: every scope.
    Master,
    Token(TokenRecord),
    /// An agent by its JWT: its grants are its whole reach.
    Agent(AgentPrincipal),
    /// A bootstrap token: it may register an agent and do nothing else.
    Bootstrap(BootstrapRecord),
    /// A person, by their login JWT: their roles' permissions.
    User(UserPrincipal),
}

/// A stored token, as authentication needs it.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: TokenId,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    /// `None`: never (a non-expiring token, minted through the MaestroVault face).
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Vec<IpRule>,
    pub max_uses: Option<u64>,
    /// Uses so far, this request's included once it is counted.
    pub uses: u64,
    /// The highest tier the token was cleared for when it was minted: secrets of a higher
    /// tier stay closed to it even when its globs match them (secrets created, restored or
    /// re-tiered later).
    pub cleared_tier: Tier,
    /// How many approvals cleared it (`None`: minted before this was recorded): a secret
    /// whose policy rule needs more stays closed even at the cleared tier.
    pub cleared_approvals: Option<u64>,
    /// An OAuth grant's resource (`https://…/mcp`): the token works only there.
    pub audience: Option<String>,
    /// The explicit workflows (with their revisions) that cleared it (issue 24); `None` for a
    /// token minted before workflows or outside `POST /v1/tokens`. A secret now governed by a
    /// workflow not listed here, or by a newer revision, stays closed to it.
    pub cleared_workflows: Option<Vec<crate::workflow::progress::WorkflowStamp>>,
}

impl Principal {
    pub fn scopes(&self) -> ScopeSet {
        match self {
            Principal::Master => ScopeSet::admin(),
            Principal::Token(token) => token.scopes.clone(),
            Principal::Agent(agent) => agent.scopes(),
            Principal::Bootstrap(_) => ScopeSet::from_scopes(Vec::new()),
            Principal::User(user) => user.scopes.clone(),
        }
    }

    /// What the caller says it is: the token's description.
    pub fn description(&self) -> Option<String> {
        match self {
            Principal::Master => Some("master key".to_owned()),
            Principal::Token(token) => token.description.clone(),
            Principal::Agent(agent) => Some(agent.name.clone()),
            Principal::Bootstrap(_) => Some("bootstrap token".to_owned()),
            Principal::User(user) => Some(user.email.as_str().to_owned()),
        }
    }

    /// How the audit trail names the caller (`token:<id>` and the like), with its description.
    pub fn audit_actor(&self) -> Actor {
        match self {
            Principal::Master => Actor {
                id: "master".to_owned(),
                description: Some("master key".to_owned()),
            },
            Principal::Token(token) => Actor {
                id: format!("token:{}", token.id),
                description: token.description.clone(),
            },
            Principal::Agent(agent) => Actor {
                id: format!("agent:{}", agent.id),
                description: Some(agent.name.clone()),
            },
            Principal::Bootstrap(bootstrap) => Actor {
                id: format!("bootstrap:{}", bootstrap.id),
                description: Some("bootstrap token".to_owned()),
            },
            Principal::User(user) => Actor {
                id: format!("user:{}", user.id),
                description: Some(user.email.as_str().to_owned()),
            },
        }
    }

    /// How far the caller may reach into tiers at `path` (`None`: no limit, the master key).
    pub fn cleared_for(&self, action: SecretAction, path: &SecretPath) -> Option<Clearance> {
        match self {
            Principal::Master => None,
            Principal::Token(token) => Some(Clearance {
                tier: token.cleared_tier,
                approvals: token.cleared_approvals,
            }),
            Principal::Agent(agent) => Some(Clearance::tier(
                agent.cleared_for(action, path).unwrap_or(Tier::Standard),
            )),
            Principal::Bootstrap(_) => Some(Clearance::tier(Tier::Standard)),
            Principal::User(user) => user.cleared_for(action, path).map(Clearance::tier),
        }
    }

    /// How `created_by` and approvals name the caller.
    pub fn actor(&self) -> String {
        match self {
            Principal::Master => "master".to_owned(),
            Principal::Token(token) => token.id.to_string(),
            Principal::Agent(agent) => agent.id.to_string(),
            Principal::Bootstrap(bootstrap) => bootstrap.id.to_string(),
            Principal::User(user) => user.id.to_string(),
        }
    }
}

/// A bootstrap token that may still register an agent.
#[derive(Debug, Clone)]
pub struct BootstrapRecord {
    pub id: BootstrapId,
    pub labels: Labels,
}

/// An authenticated agent: who it is and what its grants reach.
#[derive(Debug, Clone)]
pub struct AgentPrincipal {
    pub id: AgentId,
    pub name: String,
    pub grants: Vec<Grant>,
}

impl AgentPrincipal {
    pub fn scopes(&self) -> ScopeSet {
        agent_scopes(&self.grants)
    }

    /// The highest tier any grant that allows `action` on `path` was cleared for.
    pub fn cleared_for(&self, action: SecretAction, path: &SecretPath) -> Option<Tier> {
        self.grants
            .iter()
            .filter(|g| g.allows(action, path))
            .map(|g| g.cleared_tier)
            .max()
    }
}

/// A person, by their login JWT: their roles' permissions are their reach.
#[derive(Debug, Clone)]
pub struct UserPrincipal {
    pub id: UserId,
    pub email: Email,
    pub scopes: ScopeSet,
    /// The approval policies, for the tier a person may reach without an access request.
    pub policies: Policies,
}

impl UserPrincipal {
    /// The highest tier this person reaches at `path` directly: what the approval policy lets
    /// through with no approval. Above it, a read or a change goes through an access request.
    pub fn cleared_for(&self, _action: SecretAction, path: &SecretPath) -> Option<Tier> {
        if self.scopes.covers(&Scope::Admin) {
            return None;
        }
        let cleared = [Tier::Critical, Tier::Sensitive]
            .into_iter()
            .find(|tier| self.policies.requirement(*tier, path).approvals == 0)
            .unwrap_or(Tier::Standard);
        Some(cleared)
    }
}
