//! The credential a request presents: the operator key (Worker secret `OPERATOR_KEY`, checked
//! here) or a tenant credential, parsed far enough to route it (verified in the tenant object).

use crate::config::Config;
use latchkey_core::ApiError;
use latchkey_core::credential::{
    PresentedCredential, bearer_from_header, parse_agent_secret, parse_bearer, unrecognized,
};
use latchkey_core::crypto::sha256;
use subtle::ConstantTimeEq;
use worker::{Request, console_error};

fn bearer(request: &Request) -> Result<String, ApiError> {
    let header = request
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .ok_or_else(|| ApiError::unauthorized("missing 'Authorization: Bearer <key>' header"))?;
    bearer_from_header(&header)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be 'Bearer <key>'"))
}

/// The tenant credential of the request, parsed far enough to route it. Verification against
/// the stored hash happens in the tenant's object. One that does not even parse gets the
/// answer every unrecognized credential gets.
///
/// A seed-001 agent sends its secret as `X-Agent-Secret` instead (an agent secret and nothing
/// else); a request with both headers is refused rather than one of them ignored.
pub fn tenant_credential(request: &Request) -> Result<PresentedCredential, ApiError> {
    let headers = request.headers();
    if let Some(secret) = headers.get(AGENT_SECRET_HEADER).ok().flatten() {
        if headers.has("Authorization").unwrap_or(false) {
            return Err(ApiError::invalid_request(
                "send one credential: 'X-Agent-Secret' or 'Authorization', not both",
            )
            .with("field", AGENT_SECRET_HEADER));
        }
        return parse_agent_secret(&secret).ok_or_else(unrecognized);
    }
    parse_bearer(&bearer(request)?).ok_or_else(unrecognized)
}

/// Seed 001's agent credential header.
pub const AGENT_SECRET_HEADER: &str = "X-Agent-Secret";

/// Checks the operator key in constant time (both sides hashed first, so lengths don't leak).
pub fn require_operator(request: &Request, config: &Config) -> Result<(), ApiError> {
    let presented = bearer(request)?;
    let Some(expected) = config.operator_key.as_ref() else {
        console_error!("OPERATOR_KEY is not configured, or empty");
        return Err(ApiError::internal());
    };
    let same: bool = sha256(presented.as_bytes())
        .ct_eq(&sha256(expected.as_bytes()))
        .into();
    if same {
        Ok(())
    } else {
        Err(ApiError::unauthorized("invalid operator key"))
    }
}
