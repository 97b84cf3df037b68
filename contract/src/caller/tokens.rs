//! `/v1/tokens`: mint (at once, or after approval), list, revoke.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::approval::ApprovalView;
use latchkey_core::scope::Scope;
use latchkey_core::token::{TokenCreated, TokenId, TokenRequest, TokenSummary};
use serde::{Deserialize, Serialize};

/// Approval links are not part of it: they point at `PUBLIC_URL` only, never at a host the
/// request named (`latchkey_core::public_url`).
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateToken {
    pub request: TokenRequest,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListTokens;

#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeToken {
    pub id: TokenId,
}

/// A token minted at once, or the approval request it waits for (→ 202).
#[derive(Debug, Serialize, Deserialize)]
pub enum TokenMinted {
    Created(TokenCreated),
    Pending(Box<ApprovalView>),
}

area! {
    pub enum TokenCommand in CallerCommand::Tokens {
        CreateToken => TokenMinted,
        ListTokens => Vec<TokenSummary>,
        RevokeToken => (),
    }
}

impl TokenCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::Empties;
        use Metering::Use;
        use Releases::Nothing;
        match self {
            TokenCommand::CreateToken(_) => Rules::of(
                Access::Scope(Scope::TokensCreate),
                Event("token.created"),
                Nothing,
                Empties,
                Use,
                // A pending request expires.
                Effect::StartsClock,
            ),
            TokenCommand::ListTokens(_) => Rules::of(
                Access::Scope(Scope::Admin),
                Event("token.listed"),
                Nothing,
                Empties,
                Use,
                Effect::ReadsTokens,
            ),
            TokenCommand::RevokeToken(_) => Rules::of(
                // Revocation checks who minted the token itself.
                Access::Authenticated,
                Event("token.revoked"),
                Nothing,
                Empties,
                Use,
                Effect::WritesTokens,
            ),
        }
    }
}
