//! Commands that carry no bearer credential: logging in (the password is the credential) and
//! unwrapping (the wrap token is). They are not counted against the tenant's rate limit (a
//! stranger must not spend a tenant's quota); logins have their own throttle, and a wrap
//! token is 256 random bits used once. Each commits with its audit event; refusals are
//! recorded within the budget for unauthenticated events.

use super::*;
use latchkey_core::people::login_refused;

impl Tenant {
    pub(super) fn public_command(&self, command: TenantCommand, origin: &Origin) -> TenantResult {
        let Some(loaded) = self.load()? else {
            return Err(match command {
                TenantCommand::Unwrap { .. } => ApiError::not_found("no wrap has this token"),
                _ => login_refused(),
            });
        };
        let storage = self.storage();
        let now = now();
        let ctx = self.context(&storage, &loaded, now);
        let draft = audit::draft_for(&command);
        let ip = origin.ip.as_deref();
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
                    audit::record(&storage, &loaded.tenant_id, &actor, origin, draft, now)?;
                    self.events_recorded.set(true);
                }
                None if self.unauthenticated_budget.take(now) => {
                    let anonymous = Actor::named("anonymous");
                    audit::record(&storage, &loaded.tenant_id, &anonymous, origin, draft, now)?;
                    self.events_recorded.set(true);
                }
                None => {}
            }
            Ok(result)
        });
        // Written without the cache: read the head again next time.
        self.audit_head.forget();
        outcome.unwrap_or_else(|e| Err(internal("public command with its audit event", e)))
    }
}
