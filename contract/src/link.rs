//! An approval link's commands: no credential, the link's signed token is the credential.

use latchkey_core::approval::{ApprovalId, ApprovalView};
use serde::{Deserialize, Serialize};

/// The review page's `GET`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewLink {
    pub id: ApprovalId,
    pub token: String,
}

/// The review page's `POST`: decides as the link's approver and uses the link up.
#[derive(Debug, Serialize, Deserialize)]
pub struct DecideByLink {
    pub id: ApprovalId,
    pub token: String,
    pub approve: bool,
    pub note: Option<String>,
}

/// The request as the review page shows it, and who the link names as approver.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkReview {
    pub view: ApprovalView,
    pub approver: String,
}

channel! {
    pub enum LinkCommand {
        ReviewLink => LinkReview,
        DecideByLink => LinkReview,
    }
}
