//! `/v1/tokens`: mint (at once, or after approval), list, revoke.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::approval::ApprovalView;
use latchkey_core::oauth::CodeChallenge;
use latchkey_core::scope::{Scope, ScopeSet};
use latchkey_core::secret::Tier;
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

/// The OAuth consent page: who the person is and the permissions they may hand out.
#[derive(Debug, Serialize, Deserialize)]
pub struct OAuthConsentView;

#[derive(Debug, Serialize, Deserialize)]
pub struct ConsentView {
    pub person: String,
    pub held: Vec<String>,
}

/// A person's consent (`/oauth/authorize`): a single-use code for the client, bound to its
/// redirect URI, PKCE challenge and the resource, for a grant of at most the person's own
/// scopes. Only a person (a user JWT) consents.
#[derive(Debug, Serialize, Deserialize)]
pub struct GrantOAuthCode {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub code_challenge: CodeChallenge,
    pub resource: String,
    pub scope: ScopeSet,
    pub tier: Tier,
}

/// The code, shown once to the person's browser (which hands it to the client).
#[derive(Serialize, Deserialize)]
pub struct OAuthCode {
    pub code: String,
}

impl std::fmt::Debug for OAuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuthCode([redacted])")
    }
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
        OAuthConsentView => ConsentView,
        GrantOAuthCode => OAuthCode,
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
            // The person behind a user JWT: the function refuses every other caller.
            // Showing a person their own permissions is not an event; a refused attempt is.
            TokenCommand::OAuthConsentView(_) => Rules::of(
                Access::Person,
                Audit::RefusalsOnly("oauth.consent_viewed"),
                Nothing,
                Empties,
                Use,
                Effect::Reads,
            ),
            // Hands out reach: at most the person's own (`access::narrow`), and never a tier
            // past what their approval policy lets through with no approval.
            TokenCommand::GrantOAuthCode(_) => Rules::of(
                Access::Person,
                Event("oauth.consented"),
                Nothing,
                Empties,
                Use,
                Effect::StartsClock,
            ),
        }
    }
}
