//! One message to an approver: the channel it goes through and what became of it. A layer
//! below both the approval module (whose view lists the messages) and the notify module (which
//! sends them), so approvals need nothing from the sending side.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Slack,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Slack => "slack",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Channel::Email, Channel::Slack, Channel::Webhook]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    /// The approver a link of this channel decides as.
    pub fn approver(self, recipient: &str) -> String {
        match self {
            Channel::Email => format!("email:{recipient}"),
            Channel::Slack => "slack".to_owned(),
            Channel::Webhook => "webhook".to_owned(),
        }
    }
}

/// One message's fate, shown in `GET /v1/approvals/{id}` (`notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStatus {
    pub channel: Channel,
    pub recipient: String,
    /// `pending` (retrying), `sent` or `failed` (gave up).
    pub status: String,
    pub attempts: u64,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub next_attempt_at: Option<Timestamp>,
}
