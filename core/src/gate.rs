//! The one gate for values: the pure decision behind every way a secret's value is written or
//! leaves the store. Scope, tier clearance and purpose are decided together, here, for the
//! party that acts and for the party that receives; the tenant object only looks up what the
//! decision needs (the stored tier, the policies) and calls [`authorize`].
//!
//! Why one function: each of these rules was once checked route by route, and a route that
//! wrote or handed out a value indirectly (an approved password request, a wrap, an access
//! request's wrap) skipped one of them. A flow that does not pass here is a bug.

use crate::approval::Policies;
use crate::error::{ApiError, ErrorCode};
use crate::path::SecretPath;
use crate::scope::{ScopeSet, SecretAction, required_scope_hint};
use crate::secret::Tier;

/// Which way a value moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Metadata only (versions, deletion, restore): scope and clearance, no value moves.
    Metadata,
    /// A value is written (a version, a field, an applied patch, an approved password).
    Write,
    /// A value is set aside for the party to collect later (an approved password request):
    /// scope and clearance now, the purpose when it is collected.
    Reserve,
    /// A value leaves the store now, to the party (a read, a wrap, a collection, a broker
    /// call): scope, clearance and purpose.
    Release,
}

/// How far a party may reach into tiers: the tier it was cleared for and, for a token cleared
/// through approvals, how many approvals cleared it (`None`: not recorded, the tier alone
/// decides). A secret whose rule now needs more approvals than cleared the token stays closed,
/// even at the same tier: a stricter rule asks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clearance {
    pub tier: Tier,
    pub approvals: Option<u64>,
}

impl Clearance {
    pub const fn tier(tier: Tier) -> Clearance {
        Clearance {
            tier,
            approvals: None,
        }
    }
}

/// What kind of principal a party is, for the wording of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    Master,
    Token,
    Agent,
    User,
    Bootstrap,
}

/// On whose authority a value moves.
#[derive(Debug, Clone, Copy)]
pub enum Authority<'a> {
    /// A principal's own scopes and clearance (`clearance: None` reaches every tier).
    Party {
        kind: PartyKind,
        scopes: &'a ScopeSet,
        clearance: Option<Clearance>,
    },
    /// An access request approved by as many approvers as the secret's tier needs under the
    /// policy (the state machine counted them): the approvals stand in for scope and
    /// clearance; the purpose rule still applies when the value leaves.
    Approved,
}

/// One movement of a value: which way, which action, at which path, and what is known of the
/// secret there.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub flow: Flow,
    pub action: SecretAction,
    pub path: &'a SecretPath,
    /// The stored secret's tier (`None`: there is no secret at the path yet).
    pub tier: Option<Tier>,
    /// `X-Latchkey-Purpose` of the request that moves the value now.
    pub purpose: Option<&'a str>,
    /// Whether the tier is checked later against the row the command loads (a read, an
    /// update, a rotation): the gate then checks scope and purpose only.
    pub tier_checked_on_load: bool,
}

/// The decision: `Ok` or the refusal to return (403 for scope and clearance, 400 for a
/// missing purpose).
pub fn authorize(
    movement: &Movement<'_>,
    authority: &Authority<'_>,
    policies: &Policies,
) -> Result<(), ApiError> {
    if let Authority::Party {
        kind,
        scopes,
        clearance,
    } = authority
    {
        check_scope(*kind, scopes, movement.action, movement.path)?;
        if let (Some(clearance), Some(tier), false) =
            (clearance, movement.tier, movement.tier_checked_on_load)
        {
            check_clearance(movement.path, tier, *clearance, policies)?;
        }
    }
    if movement.flow == Flow::Release && movement.purpose.is_none() {
        check_purpose(movement.path, movement.tier, policies)?;
    }
    Ok(())
}

/// The 403 naming the path and the scope that would do.
pub fn check_scope(
    kind: PartyKind,
    scopes: &ScopeSet,
    action: SecretAction,
    path: &SecretPath,
) -> Result<(), ApiError> {
    if scopes.allows_secret(action, path) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        match kind {
            PartyKind::Agent => {
                format!("no grant of this agent ('{scopes}') covers {action} on '{path}'")
            }
            PartyKind::User => format!(
                "no role of yours gives {action} on '{path}'; ask for access (POST /v1/requests/read) or for a role that does"
            ),
            _ => format!("Token scope '{scopes}' does not cover {action} on path '{path}'"),
        },
    )
    .with("path", path.as_str())
    .with("required_scope", required_scope_hint(action, path)))
}

/// The 403 for a secret above what the party was cleared for: a higher tier, or a rule that
/// now needs more approvals than cleared it.
pub fn check_clearance(
    path: &SecretPath,
    tier: Tier,
    clearance: Clearance,
    policies: &Policies,
) -> Result<(), ApiError> {
    if tier > clearance.tier {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "'{path}' is a {} secret and this caller is cleared only for {} secrets; request a new token (it may need approval), or ask for access (POST /v1/requests/read, POST /v1/requests)",
                tier.as_str(),
                clearance.tier.as_str()
            ),
        )
        .with("path", path.as_str())
        .with("tier", tier.as_str()));
    }
    if let Some(cleared) = clearance.approvals {
        let needed = policies.requirement(tier, path).approvals;
        if needed > cleared {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "'{path}' is a {} secret whose policy rule needs {needed} approval(s); this token was cleared with {cleared}: request a new token for it (it will need approval)",
                    tier.as_str()
                ),
            )
            .with("path", path.as_str())
            .with("tier", tier.as_str())
            .with("required_approvals", needed));
        }
    }
    Ok(())
}

/// The 400 when the policy asks for a purpose the caller did not give.
pub fn check_purpose(
    path: &SecretPath,
    tier: Option<Tier>,
    policies: &Policies,
) -> Result<(), ApiError> {
    if tier.is_some_and(|tier| policies.purpose_required(tier, path)) {
        return Err(purpose_missing(path));
    }
    Ok(())
}

/// The 400 when a policy asks for a purpose the caller did not give.
pub fn purpose_missing(path: &SecretPath) -> ApiError {
    ApiError::invalid_request(format!(
        "'{path}' is a critical secret under a policy that requires a purpose: send the X-Latchkey-Purpose header (why you need it, up to 256 bytes)"
    ))
    .with("header", "X-Latchkey-Purpose")
    .with("path", path.as_str())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn path(text: &str) -> SecretPath {
        SecretPath::parse(text).unwrap()
    }

    fn scopes(text: &[&str]) -> ScopeSet {
        ScopeSet::from_scopes(text.iter().map(|s| Scope::parse(s).unwrap()).collect())
    }

    fn policies(json: &str) -> Policies {
        Policies::parse(json.as_bytes()).unwrap()
    }

    fn movement<'a>(flow: Flow, p: &'a SecretPath, tier: Option<Tier>) -> Movement<'a> {
        Movement {
            flow,
            action: SecretAction::Read,
            path: p,
            tier,
            purpose: None,
            tier_checked_on_load: false,
        }
    }

    fn token<'a>(scopes: &'a ScopeSet, clearance: Clearance) -> Authority<'a> {
        Authority::Party {
            kind: PartyKind::Token,
            scopes,
            clearance: Some(clearance),
        }
    }

    #[test]
    fn scope_tier_and_purpose_are_decided_together_for_every_flow() {
        let none = policies(r#"{"policies": []}"#);
        let purposeful = policies(r#"{"policies": [{"glob": "cp/*", "require_purpose": true}]}"#);
        let held = scopes(&["secrets:read:zone/*", "secrets:read:cp/*"]);
        let crit = path("zone/crit");
        let standard = token(&held, Clearance::tier(Tier::Standard));
        for flow in [Flow::Metadata, Flow::Write, Flow::Reserve, Flow::Release] {
            // Above the clearance: refused whatever the flow.
            let refused = authorize(
                &movement(flow, &crit, Some(Tier::Critical)),
                &standard,
                &none,
            );
            assert_eq!(refused.unwrap_err().code, ErrorCode::PermissionDenied);
            // Out of scope: refused whatever the flow, before anything else.
            let other = path("app/key");
            let refused = authorize(
                &movement(flow, &other, Some(Tier::Standard)),
                &standard,
                &none,
            );
            assert_eq!(refused.unwrap_err().code, ErrorCode::PermissionDenied);
            // Within both: allowed.
            assert!(
                authorize(
                    &movement(flow, &crit, Some(Tier::Standard)),
                    &standard,
                    &none
                )
                .is_ok()
            );
        }
        // The purpose rule holds for a release only, and for approvals as for parties.
        let root = path("cp/root");
        let critical = token(&held, Clearance::tier(Tier::Critical));
        for authority in [critical, Authority::Approved] {
            let release = movement(Flow::Release, &root, Some(Tier::Critical));
            let refused = authorize(&release, &authority, &purposeful).unwrap_err();
            assert_eq!(refused.code, ErrorCode::InvalidRequest);
            let with_purpose = Movement {
                purpose: Some("incident 42"),
                ..release
            };
            assert!(authorize(&with_purpose, &authority, &purposeful).is_ok());
            for flow in [Flow::Write, Flow::Reserve, Flow::Metadata] {
                let m = movement(flow, &root, Some(Tier::Critical));
                assert!(authorize(&m, &authority, &purposeful).is_ok());
            }
        }
    }

    #[test]
    fn approvals_stand_in_for_scope_and_clearance_only() {
        let none = policies(r#"{"policies": []}"#);
        let p = path("app/key");
        let m = movement(Flow::Release, &p, Some(Tier::Critical));
        assert!(authorize(&m, &Authority::Approved, &none).is_ok());
    }

    #[test]
    fn a_stricter_rule_asks_again_at_the_same_tier() {
        // The probe's case: lo/* critical=1 and hi/* critical=3; a token approved once
        // because it reached lo/new must not read a critical hi/new created later.
        let rules = policies(
            r#"{"policies": [{"glob": "lo/*", "critical": 1}, {"glob": "hi/*", "critical": 3}]}"#,
        );
        let cleared = Clearance {
            tier: Tier::Critical,
            approvals: Some(1),
        };
        assert!(check_clearance(&path("lo/new"), Tier::Critical, cleared, &rules).is_ok());
        let refused =
            check_clearance(&path("hi/new"), Tier::Critical, cleared, &rules).unwrap_err();
        assert_eq!(refused.code, ErrorCode::PermissionDenied);
        assert_eq!(refused.details.get("required_approvals"), Some(&3.into()));
        // Three approvals reach both; an unrecorded count leaves the tier to decide.
        let three = Clearance {
            approvals: Some(3),
            ..cleared
        };
        assert!(check_clearance(&path("hi/new"), Tier::Critical, three, &rules).is_ok());
        assert!(
            check_clearance(
                &path("hi/new"),
                Tier::Critical,
                Clearance::tier(Tier::Critical),
                &rules
            )
            .is_ok()
        );
        // A standard secret needs no approval: a token cleared with none reaches it.
        let plain = Clearance {
            tier: Tier::Standard,
            approvals: Some(0),
        };
        assert!(check_clearance(&path("hi/x"), Tier::Standard, plain, &rules).is_ok());
    }

    #[test]
    fn the_tier_checked_on_load_is_left_to_the_command() {
        let none = policies(r#"{"policies": []}"#);
        let held = scopes(&["secrets:read:zone/*"]);
        let p = path("zone/crit");
        let m = Movement {
            tier_checked_on_load: true,
            ..movement(Flow::Release, &p, Some(Tier::Critical))
        };
        assert!(authorize(&m, &token(&held, Clearance::tier(Tier::Standard)), &none).is_ok());
    }

    #[test]
    fn no_secret_at_the_path_has_no_tier_to_refuse() {
        let none = policies(r#"{"policies": []}"#);
        let held = scopes(&["secrets:write:zone/*"]);
        let p = path("zone/new");
        let m = Movement {
            action: SecretAction::Write,
            ..movement(Flow::Write, &p, None)
        };
        assert!(authorize(&m, &token(&held, Clearance::tier(Tier::Standard)), &none).is_ok());
    }
}
