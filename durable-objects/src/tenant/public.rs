//! Commands that carry no bearer credential: logging in (the password is the credential),
//! unwrapping (the wrap token is) and approval links (the signed link is). They are not counted against the tenant's rate limit (a
//! stranger must not spend a tenant's quota); logins have their own throttle, and a wrap
//! token is 256 random bits used once. Each commits with its audit event; refusals are
//! recorded within the budget for unauthenticated events, by the next write-back
//! ([`super::deferred`]). A tenant that does not exist answers each exactly as one that does
//! answers what it does not recognize, and writes nothing.

use super::*;
use crate::audit_mapping::{self, Completes};
use latchkey_contract::link::{LinkCommand, LinkReview};
use latchkey_contract::public::{LoginChallenge, PublicCommand};
use latchkey_core::crypto::sha256;
use latchkey_core::notification::LinkRefusal;
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

/// A code or refresh token naming a tenant that does not exist: what an unknown one gets.
fn oauth_without_tenant() -> ApiError {
    ApiError::invalid_request("this code or refresh token is not valid")
        .with("oauth", "invalid_grant")
}

impl Tenant {
    /// An OAuth command, as [`Self::public_transaction`] runs it. OAuth commands change token
    /// rows (a hash rotates, a grant is revoked) behind the token cache's back: it is written
    /// back and emptied after, so the next request reads the rows again.
    fn oauth_transaction<R: Completes>(
        &self,
        draft: Draft,
        origin: &Origin,
        without_tenant: impl FnOnce() -> ApiError,
        run: impl FnOnce(&SecretContext<'_>) -> (Result<R, ApiError>, Option<Actor>),
    ) -> Result<R, ApiError> {
        let result = self.public_transaction(draft, origin, without_tenant, |ctx, _| run(ctx));
        if let Err(e) = self.tokens.forget_all(self.storage()) {
            log_error!("tenant object: forget tokens after an OAuth command: {e}");
        }
        result
    }

    /// A command without a bearer credential, answered as its reply type.
    pub(super) fn public_command(&self, command: PublicCommand, origin: &Origin) -> Encoded {
        let draft = audit_mapping::public_draft(&command);
        match command {
            PublicCommand::LoginChallenge(c) => respond(c, |c| self.login_challenge(c, origin)),
            PublicCommand::Login(c) => {
                respond(c, |c| {
                    self.public_transaction(draft, origin, login_refused, |ctx, ip| {
                        match people::login(ctx, &c.email, &c.password, ip) {
                            Ok(people::LoginOutcome::LoggedIn(issued)) => {
                                let actor = Actor {
                                    id: format!("user:{}", issued.user.id),
                                    description: Some(c.email.as_str().to_owned()),
                                };
                                (Ok(issued), Some(actor))
                            }
                            Ok(people::LoginOutcome::Refused { error, .. }) => (Err(error), None),
                            Err(e) => (Err(e), None),
                        }
                    })
                })
            }
            PublicCommand::Unwrap(c) => respond(c, |c| {
                let no_tenant = || ApiError::not_found("no wrap has this token");
                self.public_transaction(draft, origin, no_tenant, |ctx, _| {
                    let result = wraps::unwrap(ctx, &c.hash);
                    let actor = result.as_ref().ok().map(|unwrapped| Actor {
                        id: format!("wrap:{}", unwrapped.id),
                        description: Some("wrap token".to_owned()),
                    });
                    (result, actor)
                })
            }),
            PublicCommand::RedeemOAuthCode(c) => respond(c, |c| {
                self.oauth_transaction(draft, origin, oauth_without_tenant, |ctx| {
                    crate::oauth::redeem(ctx, &c)
                })
            }),
            PublicCommand::RefreshOAuthGrant(c) => respond(c, |c| {
                self.oauth_transaction(draft, origin, oauth_without_tenant, |ctx| {
                    crate::oauth::refresh(ctx, &c)
                })
            }),
            // RFC 7009: an unknown token is not an error, here or for a tenant that does not
            // exist.
            PublicCommand::RevokeOAuthGrant(c) => respond(c, |c| {
                self.oauth_transaction(
                    draft,
                    origin,
                    || ApiError::not_found(""),
                    |ctx| crate::oauth::revoke(ctx, &c.hash),
                )
            }),
            PublicCommand::FinishUse(c) => {
                self.write_deferred_events(self.storage());
                respond(c, |c| self.finish_use(&c.call_id, c.report))
            }
        }
    }

    /// Login, step 1: records nothing (step 2 is the login).
    fn login_challenge(&self, c: LoginChallenge, origin: &Origin) -> Result<KdfParams, ApiError> {
        let Some(loaded) = self.load()? else {
            return Ok(decoy_without_tenant(c.email.as_str()));
        };
        let storage = self.storage();
        let ctx = self.context(storage, &loaded, self.now());
        let result = transaction(storage, || {
            Ok(people::challenge(&ctx, &c.email, origin.ip.as_deref()))
        });
        self.audit_head.forget();
        result.unwrap_or_else(|e| Err(internal("login challenge", e)))
    }

    /// Runs a public command in a transaction with its event: recorded as `actor` when it
    /// succeeded, else a refusal kept for the next write-back (within the budget).
    fn public_transaction<R: Completes>(
        &self,
        draft: Draft,
        origin: &Origin,
        without_tenant: impl FnOnce() -> ApiError,
        run: impl FnOnce(&SecretContext<'_>, Option<&str>) -> (Result<R, ApiError>, Option<Actor>),
    ) -> Result<R, ApiError> {
        let Some(loaded) = self.load()? else {
            return Err(without_tenant());
        };
        let storage = self.storage();
        let now = self.now();
        let ctx = self.context(storage, &loaded, now);
        let mut deferred_written = Vec::new();
        let outcome = transaction(storage, || {
            let (result, actor) = run(&ctx, origin.ip.as_deref());
            let draft = audit_mapping::complete(draft, &result);
            match actor {
                Some(actor) => {
                    // Earlier refusals kept in memory go first: the chain stays in time order.
                    deferred_written = self.record_deferred_events(storage)?;
                    audit::record(storage, &loaded.tenant_id, &actor, origin, draft, now)?;
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
    pub(super) fn link_command(&self, command: LinkCommand, origin: &Origin) -> Encoded {
        let draft = audit_mapping::link_draft(&command);
        match command {
            LinkCommand::ReviewLink(c) => respond(c, |c| {
                self.link_transaction(draft, origin, |ctx| {
                    notifications::review(ctx, &c.id, &c.token)
                })
            }),
            LinkCommand::DecideByLink(c) => respond(c, |c| {
                self.link_transaction(draft, origin, |ctx| {
                    notifications::decide(ctx, &c.id, &c.token, c.approve, c.note)
                })
            }),
        }
    }

    fn link_transaction(
        &self,
        draft: Draft,
        origin: &Origin,
        run: impl FnOnce(&SecretContext<'_>) -> Result<LinkReview, ApiError>,
    ) -> Result<LinkReview, ApiError> {
        // No tenant: the same refusal as a forged link of a tenant that exists.
        let loaded = self.load()?.ok_or_else(|| LinkRefusal::Forged.error())?;
        let storage = self.storage();
        let now = self.now();
        let ctx = self.context(storage, &loaded, now);
        let mut deferred_written = Vec::new();
        let outcome = transaction(storage, || {
            let result = run(&ctx);
            match &result {
                Ok(review) => {
                    // Earlier refusals kept in memory go first: the chain stays in time order.
                    deferred_written = self.record_deferred_events(storage)?;
                    let actor = Actor::named(&review.approver);
                    audit::record(
                        storage,
                        &loaded.tenant_id,
                        &actor,
                        origin,
                        audit_mapping::complete(draft, &result),
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
                Err(_) => {}
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
