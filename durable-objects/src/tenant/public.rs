//! Commands that carry no bearer credential: logging in (the password is the credential),
//! unwrapping (the wrap token is) and approval links (the signed link is). They are not counted against the tenant's rate limit (a
//! stranger must not spend a tenant's quota); logins have their own throttle, and a wrap
//! token is 256 random bits used once. Each commits with its audit event; refusals are
//! recorded within the budget for unauthenticated events, by the next write-back
//! ([`super::deferred`]). A tenant that does not exist answers each exactly as one that does
//! answers what it does not recognize, and writes nothing.

use super::*;
use latchkey_core::crypto::sha256;
use latchkey_core::notify::LinkRefusal;
use latchkey_core::people::{KDF_ITERATIONS, KdfParams, SALT_BYTES, login_refused};

/// The login challenge of a tenant that does not exist: the round count every tenant uses
/// and a salt fixed per email, so the Worker spends the same time deriving a password that
/// is then refused like a wrong one (no tenant reveals itself by a quicker refusal).
fn decoy_without_tenant(email: &str) -> KdfParams {
    let digest = sha256(format!("latchkey/v1/login-decoy/no-tenant/{email}").as_bytes());
    let mut salt = [0u8; SALT_BYTES];
    for (to, from) in salt.iter_mut().zip(digest.iter()) {
        *to = *from;
    }
    KdfParams {
        salt,
        iterations: KDF_ITERATIONS,
    }
}

impl Tenant {
    pub(super) fn public_command(&self, command: TenantCommand, origin: &Origin) -> TenantResult {
        let Some(loaded) = self.load()? else {
            return match command {
                TenantCommand::Unwrap { .. } => Err(ApiError::not_found("no wrap has this token")),
                TenantCommand::LoginChallenge { email } => Ok(TenantReply::LoginChallenge(
                    decoy_without_tenant(email.as_str()),
                )),
                _ => Err(login_refused()),
            };
        };
        let storage = self.storage();
        let now = now();
        let ctx = self.context(&storage, &loaded, now);
        let draft = audit::draft_for(&command);
        let ip = origin.ip.as_deref();
        let mut deferred_written = Vec::new();
        let outcome = transaction(&storage, || {
            let (result, actor) = match command {
                // Step 1 records nothing: step 2 is the login.
                TenantCommand::LoginChallenge { email } => {
                    return Ok(people::challenge(&ctx, &email, ip).map(TenantReply::LoginChallenge));
                }
                TenantCommand::Login { email, password } => {
                    match people::login(&ctx, &email, &password, ip) {
                        Ok(people::LoginOutcome::LoggedIn(issued)) => {
                            let actor = Actor {
                                id: format!("user:{}", issued.user.id),
                                description: Some(email.as_str().to_owned()),
                            };
                            (Ok(TenantReply::LoggedIn(issued)), Some(actor))
                        }
                        Ok(people::LoginOutcome::Refused { error, .. }) => (Err(error), None),
                        Err(e) => (Err(e), None),
                    }
                }
                TenantCommand::Unwrap { hash } => {
                    let result = wraps::unwrap(&ctx, &hash).map(TenantReply::Unwrapped);
                    let actor = match &result {
                        Ok(TenantReply::Unwrapped(unwrapped)) => Some(Actor {
                            id: format!("wrap:{}", unwrapped.id),
                            description: Some("wrap token".to_owned()),
                        }),
                        _ => None,
                    };
                    (result, actor)
                }
                _ => return Ok(Err(internal("public command", "not a public command"))),
            };
            let draft = audit::complete(draft, &result);
            match actor {
                Some(actor) => {
                    // Earlier refusals kept in memory go first: the chain stays in time order.
                    deferred_written = self.record_deferred_events(&storage)?;
                    audit::record(&storage, &loaded.tenant_id, &actor, origin, draft, now)?;
                    self.events_recorded.set(true);
                }
                // A refusal: written by the next write-back, so it costs no write now.
                None if self.unauthenticated_budget.take(now) => {
                    let anonymous = Actor::named("anonymous");
                    self.defer_event(&loaded, anonymous, origin, draft, now);
                }
                None => {}
            }
            Ok(result)
        });
        // Written without the cache: read the head again next time.
        self.audit_head.forget();
        if outcome.is_err() {
            self.restore_deferred_events(deferred_written);
        }
        outcome.unwrap_or_else(|e| Err(internal("public command with its audit event", e)))
    }

    /// A link command: the tenant must exist; there is no caller to authenticate, the signed
    /// link is the credential. The decision and its event commit together; a refused link is
    /// recorded as `link.refused` (within the budget for unauthenticated events, by the next
    /// write-back). A link naming a tenant that does not exist is refused as forged, exactly
    /// like a forged link of one that does.
    pub(super) fn link_command(&self, command: TenantCommand, origin: &Origin) -> TenantResult {
        // No tenant: the same refusal as a forged link of a tenant that exists.
        let loaded = self
            .load()?
            .ok_or_else(|| notifications::refused(LinkRefusal::Forged))?;
        let storage = self.storage();
        let now = now();
        let ctx = self.context(&storage, &loaded, now);
        let draft = audit::draft_for(&command);
        let mut deferred_written = Vec::new();
        let outcome = transaction(&storage, || {
            let result = match command {
                TenantCommand::ReviewLink { id, token } => notifications::review(&ctx, &id, &token),
                TenantCommand::DecideByLink {
                    id,
                    token,
                    approve,
                    note,
                } => notifications::decide(&ctx, &id, &token, approve, note),
                _ => Err(internal("link command", "not a link command")),
            };
            let result = result.map(|review| TenantReply::LinkReview {
                view: review.view,
                approver: review.approver,
            });
            match &result {
                Ok(TenantReply::LinkReview { approver, .. }) => {
                    // Earlier refusals kept in memory go first: the chain stays in time order.
                    deferred_written = self.record_deferred_events(&storage)?;
                    let actor = Actor::named(approver);
                    audit::record(
                        &storage,
                        &loaded.tenant_id,
                        &actor,
                        origin,
                        audit::complete(draft, &result),
                        now,
                    )?;
                    self.events_recorded.set(true);
                }
                Err(e)
                    if e.details.contains_key("link") && self.unauthenticated_budget.take(now) =>
                {
                    let mut refused = Draft::new("link.refused", None).refused(e);
                    refused.details = draft.details;
                    if let Some(why) = e.details.get("link") {
                        refused.details.insert("link".into(), why.clone());
                    }
                    // Written by the next write-back, so a refusal costs no write now.
                    self.defer_event(&loaded, Actor::named("anonymous"), origin, refused, now);
                }
                _ => {}
            }
            Ok(result)
        });
        // Written without the cache: read the head again next time.
        self.audit_head.forget();
        if outcome.is_err() {
            self.restore_deferred_events(deferred_written);
        }
        outcome.unwrap_or_else(|e| Err(internal("link command with its audit event", e)))
    }
}
