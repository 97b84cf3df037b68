//! What the face answers, in the shapes the clients read (`SecretResponse`,
//! `SecretWriteResponse`, `SecretListResponse`, `SecretImportResponse`, `TokenResponse` of
//! the SDK's types), built from the native replies.

use super::{SECRET_TYPE_TAG, SecretType};
use crate::approval::{ApprovalStatus, ApprovalView};
use crate::listing::SecretPage;
use crate::path::SecretPath;
use crate::secret::{SecretRead, SecretSummary, Tags, Tier};
use crate::time::Timestamp;
use crate::token::TokenCreated;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What an upsert wrote (the reply of the object's command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretWritten {
    /// The secret's stable id (`sec_…`), which the SDK's `SecretWriteResponse.id` carries.
    pub id: crate::secret::SecretId,
    pub path: SecretPath,
    pub version: u64,
    /// Whether the secret is new (201) or a new version (200).
    pub created: bool,
    pub tier: Tier,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub namespace: SecretPath,
    /// The keys, in the content's order.
    pub keys: Vec<String>,
    /// How many of them are new secrets (the rest got a new version).
    pub created: u64,
}

/// One namespace of `GET /ass/v1/namespaces`: the live secrets directly in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceCount {
    pub namespace: String,
    pub secret_count: u64,
}

/// `namespace` and `key` of a path (a path of one segment has an empty namespace).
pub fn split(path: &SecretPath) -> (&str, &str) {
    path.as_str()
        .rsplit_once('/')
        .unwrap_or(("", path.as_str()))
}

/// The tags as `metadata`: the secret type's tag aside.
fn metadata(tags: &Tags) -> Value {
    Value::Object(
        tags.iter()
            .filter(|(key, _)| *key != SECRET_TYPE_TAG)
            .map(|(key, value)| (key.clone(), Value::from(value.as_str())))
            .collect(),
    )
}

/// `GET /ass/v1/secrets/{namespace}/{key}` → `SecretResponse` and the native read's metadata.
pub fn secret(read: &SecretRead) -> Value {
    let (namespace, key) = split(&read.path);
    json!({
        "namespace": namespace,
        "key": key,
        "path": read.path,
        "value": read.value,
        "version": read.version,
        "secret_type": SecretType::of_tags(&read.tags),
        "access_tier": read.tier,
        "metadata": metadata(&read.tags),
        "description": read.description,
        "created_at": read.created_at,
        "updated_at": read.updated_at,
        "accessed_at": read.accessed_at,
        "expires_at": read.expires_at,
    })
}

/// `PUT` → `SecretWriteResponse`, with the secret's stable id.
pub fn written(written: &SecretWritten) -> Value {
    let (namespace, key) = split(&written.path);
    json!({
        "id": written.id,
        "namespace": namespace,
        "key": key,
        "path": written.path,
        "version": written.version,
        "secret_type": SecretType::of_tags(&written.tags),
        "access_tier": written.tier,
        "metadata": metadata(&written.tags),
        "created_at": written.created_at,
        "updated_at": written.updated_at,
    })
}

fn list_item(item: &SecretSummary) -> Value {
    let (namespace, key) = split(&item.path);
    json!({
        "namespace": namespace,
        "key": key,
        "path": item.path,
        "version": item.version,
        "secret_type": SecretType::of_tags(&item.tags),
        "access_tier": item.tier,
        "metadata": metadata(&item.tags),
        "description": item.description,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "expires_at": item.expires_at,
    })
}

/// `GET /ass/v1/secrets/{namespace}` → `SecretListResponse`: the secrets in the namespace
/// and below it (each says its own namespace), never a secret whose path is the namespace
/// itself (that one is a key of the namespace above).
pub fn list(namespace: &SecretPath, page: &SecretPage) -> Value {
    let items: Vec<Value> = page
        .items
        .iter()
        .filter(|item| item.path != *namespace)
        .map(list_item)
        .collect();
    let hidden = (page.items.len() - items.len()) as u64;
    json!({
        "namespace": namespace,
        "items": items,
        "total": page.total.saturating_sub(hidden),
        "next_cursor": page.next_cursor,
    })
}

/// Whether a list found anything in the namespace (the fallback of an ambiguous `GET`).
pub fn lists_something(namespace: &SecretPath, page: &SecretPage) -> bool {
    page.items.iter().any(|item| item.path != *namespace)
}

/// `POST /ass/v1/secrets/import` → `SecretImportResponse`.
pub fn imported(imported: &Imported) -> Value {
    json!({
        "namespace": imported.namespace,
        "imported": imported.keys,
        "imported_count": imported.keys.len(),
        "created_count": imported.created,
        "updated_count": imported.keys.len() as u64 - imported.created.min(imported.keys.len() as u64),
    })
}

/// `GET /ass/v1/namespaces`.
pub fn namespaces(namespaces: &[NamespaceCount]) -> Value {
    json!({ "namespaces": namespaces, "total": namespaces.len() })
}

/// `POST /ass/v1/tokens` → 201 `TokenResponse`.
pub fn token(created: &TokenCreated) -> Value {
    let scopes: Vec<String> = created
        .scope
        .scopes()
        .iter()
        .map(ToString::to_string)
        .collect();
    json!({
        "token": created.value,
        "token_id": created.id,
        "scopes": scopes,
        "ttl_seconds": created.ttl_seconds,
        "expires_at": created.expires_at,
        "requires_approval": false,
        "approval_id": null,
    })
}

/// `POST /ass/v1/tokens` → 202 `TokenResponse` with `requires_approval` (the SDK throws its
/// `ApprovalRequiredError` with `approval_id`).
pub fn token_pending(view: &ApprovalView, message: &str, approve_url: &str) -> Value {
    json!({
        "token": null,
        "requires_approval": true,
        "approval_id": view.id,
        "approval_status": "pending",
        "required_approvals": view.required_approvals,
        "approval_expires_at": view.expires_at,
        "message": message,
        "approve_url": approve_url,
    })
}

/// `GET /ass/v1/approvals/agent/{id}`: `pending | approved | denied | expired` (and
/// `cancelled`), with the token once, on the requester's first poll after approval.
pub fn approval(view: &ApprovalView) -> Value {
    let token = view.token.as_ref();
    json!({
        "approval_id": view.id,
        "status": view.status,
        "requires_approval": view.status == ApprovalStatus::Pending,
        "scopes": view.request.scope.scopes().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "access_tier": view.tier,
        "required_approvals": view.required_approvals,
        "approvals": view.approvers.len(),
        "created_at": view.created_at,
        "expires_at": view.expires_at,
        "approved_at": view.approved_at,
        "releases_at": view.releases_at,
        "token": token.and_then(|t| t.value.as_deref()),
        "token_id": token.map(|t| &t.id),
        "token_expires_at": token.map(|t| t.expires_at),
    })
}
