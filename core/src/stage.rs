//! The stages of approval workflows as requests carry them (issue 24): who may approve a
//! stage, the stage itself, and the snapshot a request keeps of it. Below both
//! the approval module (whose views show a request's stages) and the workflow module (which
//! defines, routes and runs them), so neither reaches up to the other.

use crate::error::ApiError;
use crate::id::{RoleId, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Most users a stage may list.
pub const MAX_STAGE_USERS: usize = 20;

/// Who may approve a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approvers {
    /// The users holding the role at the time they decide.
    Role(RoleId),
    /// These users (1 to [`MAX_STAGE_USERS`], distinct).
    Users(Vec<UserId>),
    /// Any credential holding `approvals:decide`: the rule before workflows.
    Any,
}

impl Approvers {
    /// Parses `{"role": "rol_…"}`, `{"users": ["usr_…", …]}` or `{"any": true}`; errors name
    /// `field` (`stages[0].approvers`).
    pub fn parse(value: &Value, field: &str) -> Result<Self, ApiError> {
        let shape = || {
            ApiError::validation(
                field,
                format!(
                    "'{field}' must be exactly one of {{\"role\": \"rol_…\"}}, {{\"users\": [\"usr_…\", …]}} or {{\"any\": true}}"
                ),
            )
        };
        let Some(map) = value.as_object() else {
            return Err(shape());
        };
        let mut members = map.iter();
        let (Some((key, inner)), None) = (members.next(), members.next()) else {
            return Err(shape());
        };
        match (key.as_str(), inner) {
            ("role", Value::String(text)) => RoleId::parse(text)
                .map(Approvers::Role)
                .map_err(|why| ApiError::validation(field, format!("'{field}.role': {why}"))),
            ("users", Value::Array(items)) => {
                if items.is_empty() || items.len() > MAX_STAGE_USERS {
                    return Err(ApiError::validation(
                        field,
                        format!("'{field}.users' must list 1 to {MAX_STAGE_USERS} users"),
                    ));
                }
                let mut users: Vec<UserId> = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let user = item
                        .as_str()
                        .ok_or_else(|| "must be a user id".to_owned())
                        .and_then(UserId::parse)
                        .map_err(|why| {
                            ApiError::validation(field, format!("'{field}.users[{i}]': {why}"))
                        })?;
                    if users.contains(&user) {
                        return Err(ApiError::validation(
                            field,
                            format!("'{field}.users' names '{user}' twice"),
                        ));
                    }
                    users.push(user);
                }
                Ok(Approvers::Users(users))
            }
            ("any", Value::Bool(true)) => Ok(Approvers::Any),
            _ => Err(shape()),
        }
    }

    fn to_value(&self) -> Value {
        let mut map = Map::new();
        match self {
            Approvers::Role(role) => map.insert("role".into(), role.as_str().into()),
            Approvers::Users(users) => map.insert(
                "users".into(),
                Value::Array(users.iter().map(|u| u.as_str().into()).collect()),
            ),
            Approvers::Any => map.insert("any".into(), Value::Bool(true)),
        };
        Value::Object(map)
    }

    /// Whether `who` may approve a stage with these approvers now.
    pub fn admits(&self, who: &Approver<'_>) -> bool {
        match self {
            Approvers::Any => who.may_decide,
            Approvers::Role(role) => who.user.is_some() && who.roles.contains(role),
            Approvers::Users(users) => who.user.is_some_and(|u| users.contains(u)),
        }
    }

    /// Who may approve, in words, for a 403.
    pub fn describe(&self) -> String {
        match self {
            Approvers::Any => "any credential holding approvals:decide".to_owned(),
            Approvers::Role(role) => format!("users holding role {role}"),
            Approvers::Users(users) => format!(
                "the users {}",
                users
                    .iter()
                    .map(UserId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl Serialize for Approvers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Approvers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Approvers::parse(&value, "approvers").map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Someone deciding: the id that counts (a user id for a person or a link sent to one), the
/// person when it is one (with the roles they hold now), and whether they hold
/// `approvals:decide`.
#[derive(Debug, Clone, Copy)]
pub struct Approver<'a> {
    pub id: &'a str,
    pub user: Option<&'a UserId>,
    pub roles: &'a [RoleId],
    pub may_decide: bool,
}

/// One stage of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub approvers: Approvers,
    pub approvals: u64,
    pub timeout_seconds: u64,
}

/// Which workflow a stage came from, at which revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowStamp {
    /// `wfl_…` or `default`.
    pub id: String,
    pub name: String,
    pub revision: u64,
}

/// One stage as the request took it: `{workflow, stage}` (nested rather than flattened:
/// serde's flatten costs both scripts bytes for every view that carries stages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSnapshot {
    pub workflow: WorkflowStamp,
    pub stage: Stage,
}

/// The current stage, for views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    pub index: usize,
    pub name: Option<String>,
    pub workflow: WorkflowStamp,
    pub approvers: Approvers,
    pub approvals_required: u64,
    pub approvals: Vec<String>,
    pub deadline: Timestamp,
}
