//! Commands that carry no bearer credential: logging in (the password is the credential),
//! unwrapping (the wrap token is) and the broker's report (the call id, known only to the
//! Worker that got the values, is). They are not counted against the tenant's rate limit.

use latchkey_core::broker::UseReport;
use latchkey_core::credential::CredentialHash;
use latchkey_core::oauth::{CodeChallenge, TokenResponse};
use latchkey_core::people::{DerivedPassword, Email, KdfParams, LoginIssued};
use latchkey_core::wrap::Unwrapped;
use serde::{Deserialize, Serialize};

/// Login, step 1: the salt to derive the password under; 429 while the account or the
/// address is locked out.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginChallenge {
    pub email: Email,
}

/// Login, step 2: the derived password, compared in the object.
#[derive(Debug, Serialize, Deserialize)]
pub struct Login {
    pub email: Email,
    pub password: DerivedPassword,
}

/// `POST /v1/wraps/unwrap`: the wrap token, by its hash.
#[derive(Debug, Serialize, Deserialize)]
pub struct Unwrap {
    pub hash: CredentialHash,
}

/// `POST /v1/proxy`, step 2: the outcome, for the `secret.used` events.
#[derive(Debug, Serialize, Deserialize)]
pub struct FinishUse {
    pub call_id: String,
    pub report: UseReport,
}

/// `POST /oauth/token` with a code: the code by its hash, and the S256 of the client's
/// verifier (the verifier itself never reaches the object), checked against the consent's.
#[derive(Debug, Serialize, Deserialize)]
pub struct RedeemOAuthCode {
    pub hash: CredentialHash,
    pub verifier_challenge: CodeChallenge,
    pub redirect_uri: String,
    pub client_id: String,
    pub resource: String,
}

/// `POST /oauth/token` with a refresh token, by its hash: a new access and refresh token, the
/// old refresh token dead (presented again, it ends the grant).
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshOAuthGrant {
    pub hash: CredentialHash,
    pub client_id: Option<String>,
}

/// `POST /oauth/revoke`: the grant whose access or refresh token hashes to `hash`, if any.
#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeOAuthGrant {
    pub hash: CredentialHash,
}

channel! {
    pub enum PublicCommand {
        LoginChallenge => KdfParams,
        Login => LoginIssued,
        Unwrap => Unwrapped,
        FinishUse => (),
        RedeemOAuthCode => TokenResponse,
        RefreshOAuthGrant => TokenResponse,
        RevokeOAuthGrant => (),
    }
}
