//! GitOps observation through Argo CD (issue 24; formats in `latchkey_core::gitops`): the
//! tenant's gate, its Argo CD endpoints (each API token sealed under the tenant key as a
//! secret's value is, bound to the endpoint's id, and never answered but to the Worker that
//! calls Argo CD), and the mappings from an application to what it uses.

use crate::access_requests;
use crate::sql::{Row, Storage, StorageError, execute, query, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_count, read_ts,
    ts,
};
use latchkey_contract::caller::gitops::{ObservationPlan, PlannedApp};
use latchkey_core::access_request::{AccessKind, AccessRequestId};
use latchkey_core::crypto::Sealed;
use latchkey_core::gitops::{
    AppMappingId, ArgoEndpointId, ArgoTarget, EndpointView, MAX_ENDPOINTS, MAX_MAPPINGS,
    MappingView, NewEndpoint, NewMapping, gate_closed,
};
use latchkey_core::principal::Principal;
use latchkey_core::{ApiError, ErrorCode};

pub fn enabled(storage: &Storage) -> Result<bool, ApiError> {
    query_one(storage, "SELECT gitops_enabled FROM tenant", vec![])
        .and_then(|row| row.map_or(Ok(0), |row| row.int(0)))
        .map(|on| on != 0)
        .map_err(|e| internal("gitops gate", e))
}

/// Refuses (404) while the gate is off.
pub fn require_enabled(storage: &Storage) -> Result<(), ApiError> {
    if enabled(storage)? {
        Ok(())
    } else {
        Err(gate_closed())
    }
}

/// The operator's `gitops_enabled` setting (`None`: unchanged).
pub fn set_enabled(storage: &Storage, on: Option<bool>) -> Result<(), ApiError> {
    let Some(on) = on else {
        return Ok(());
    };
    execute(
        storage,
        "UPDATE tenant SET gitops_enabled = ?",
        vec![i64::from(on).into()],
    )
    .map_err(|e| internal("set gitops_enabled", e))
}

fn token_purpose(id: &ArgoEndpointId) -> String {
    format!("argocd-token:{id}")
}

fn endpoint_not_found(id: &ArgoEndpointId) -> ApiError {
    ApiError::not_found(format!("Argo CD endpoint '{id}' not found")).with("id", id.as_str())
}

const ENDPOINT_COLUMNS: &str = "id, name, url, enabled, created_at";

fn endpoint_view(row: &Row) -> Result<EndpointView, StorageError> {
    Ok(EndpointView {
        id: ArgoEndpointId::parse(&row.text(0)?).map_err(StorageError)?,
        name: row.text(1)?,
        url: row.text(2)?,
        enabled: row.int(3)? != 0,
        created_at: read_ts(row, 4)?,
    })
}

fn count(storage: &Storage, table: &str) -> Result<u64, StorageError> {
    query_one(storage, &format!("SELECT count(*) FROM {table}"), vec![])?
        .map_or(Ok(0), |row| read_count(&row, 0))
}

/// `POST /api/v1/argocd-endpoints`: the token sealed, the view (never the token) answered.
pub fn create_endpoint(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    endpoint: &NewEndpoint,
) -> Result<EndpointView, ApiError> {
    require_enabled(ctx.storage)?;
    in_transaction(ctx.storage, "create Argo CD endpoint", || {
        if count(ctx.storage, "argocd_endpoints")? >= MAX_ENDPOINTS {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("a tenant has at most {MAX_ENDPOINTS} Argo CD endpoints"),
            )
            .into());
        }
        let id =
            ArgoEndpointId::generate().map_err(|e| Failure::Client(internal("endpoint id", e)))?;
        let sealed = ctx.seal_config(&token_purpose(&id), &endpoint.token)?;
        execute(
            ctx.storage,
            "INSERT INTO argocd_endpoints (id, name, url, token_wrapped_key, token_ciphertext,
                enabled, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                endpoint.name.as_str().into(),
                endpoint.url.as_str().into(),
                sealed.wrapped_data_key.into(),
                sealed.ciphertext.into(),
                i64::from(endpoint.enabled).into(),
                ts(ctx.now),
                principal.actor().into(),
            ],
        )?;
        Ok(EndpointView {
            id,
            name: endpoint.name.clone(),
            url: endpoint.url.clone(),
            enabled: endpoint.enabled,
            created_at: ctx.now,
        })
    })
}

fn load_endpoint(
    storage: &Storage,
    id: &ArgoEndpointId,
) -> Result<Option<EndpointView>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {ENDPOINT_COLUMNS} FROM argocd_endpoints WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .map(|row| endpoint_view(&row))
    .transpose()
}

/// `GET /api/v1/argocd-endpoints`, in id order.
pub fn list_endpoints(ctx: &SecretContext<'_>) -> Result<Vec<EndpointView>, ApiError> {
    require_enabled(ctx.storage)?;
    query(
        ctx.storage,
        &format!("SELECT {ENDPOINT_COLUMNS} FROM argocd_endpoints ORDER BY id"),
        vec![],
    )
    .and_then(|rows| rows.iter().map(endpoint_view).collect())
    .map_err(|e| internal("list Argo CD endpoints", e))
}

/// `PUT /api/v1/argocd-endpoints/{id}/enabled`.
pub fn set_endpoint_enabled(
    ctx: &SecretContext<'_>,
    id: &ArgoEndpointId,
    enabled: bool,
) -> Result<EndpointView, ApiError> {
    require_enabled(ctx.storage)?;
    in_transaction(ctx.storage, "enable Argo CD endpoint", || {
        let mut view = load_endpoint(ctx.storage, id)?.ok_or_else(|| endpoint_not_found(id))?;
        execute(
            ctx.storage,
            "UPDATE argocd_endpoints SET enabled = ? WHERE id = ?",
            vec![i64::from(enabled).into(), id.as_str().into()],
        )?;
        view.enabled = enabled;
        Ok(view)
    })
}

/// `DELETE /api/v1/argocd-endpoints/{id}`: the endpoint, its sealed token and its mappings.
pub fn delete_endpoint(ctx: &SecretContext<'_>, id: &ArgoEndpointId) -> Result<(), ApiError> {
    require_enabled(ctx.storage)?;
    in_transaction(ctx.storage, "delete Argo CD endpoint", || {
        load_endpoint(ctx.storage, id)?.ok_or_else(|| endpoint_not_found(id))?;
        execute(
            ctx.storage,
            "DELETE FROM gitops_app_mappings WHERE endpoint_id = ?",
            vec![id.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "DELETE FROM argocd_endpoints WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok(())
    })
}

/// The endpoint's URL and opened token, for the Worker's call; refused while disabled.
fn target(ctx: &SecretContext<'_>, id: &ArgoEndpointId) -> Result<Option<ArgoTarget>, Failure> {
    let Some(row) = query_one(
        ctx.storage,
        "SELECT url, enabled, hex(token_wrapped_key), hex(token_ciphertext) FROM argocd_endpoints
         WHERE id = ?",
        vec![id.as_str().into()],
    )?
    else {
        return Err(endpoint_not_found(id).into());
    };
    if row.int(1)? == 0 {
        return Ok(None);
    }
    let sealed = Sealed {
        wrapped_data_key: row.blob(2)?,
        ciphertext: row.blob(3)?,
    };
    Ok(Some(ArgoTarget {
        id: id.clone(),
        url: row.text(0)?,
        token: ctx.open_config(&token_purpose(id), &sealed)?,
    }))
}

fn client(f: Failure, context: &str) -> ApiError {
    match f {
        Failure::Client(e) => e,
        Failure::Storage(e) => internal(context, e),
    }
}

/// `GET /api/v1/argocd-endpoints/{id}/discovered-apps`: the target the Worker asks.
pub fn discover(ctx: &SecretContext<'_>, id: &ArgoEndpointId) -> Result<ArgoTarget, ApiError> {
    require_enabled(ctx.storage)?;
    target(ctx, id)
        .map_err(|f| client(f, "Argo CD endpoint"))?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Conflict,
                format!("Argo CD endpoint '{id}' is disabled; enable it first"),
            )
            .with("id", id.as_str())
        })
}

const MAPPING_COLUMNS: &str = "id, endpoint_id, app_name, secret_ids, paths, created_at";

fn mapping_view(row: &Row) -> Result<MappingView, StorageError> {
    Ok(MappingView {
        id: AppMappingId::parse(&row.text(0)?).map_err(StorageError)?,
        endpoint_id: ArgoEndpointId::parse(&row.text(1)?).map_err(StorageError)?,
        app_name: row.text(2)?,
        secret_ids: json_column(row, 3)?,
        paths: json_column(row, 4)?,
        created_at: read_ts(row, 5)?,
    })
}

/// `POST /api/v1/gitops-app-mappings`: the endpoint must exist; one mapping per application
/// of an endpoint (409 for a second).
pub fn create_mapping(
    ctx: &SecretContext<'_>,
    mapping: &NewMapping,
) -> Result<MappingView, ApiError> {
    require_enabled(ctx.storage)?;
    in_transaction(ctx.storage, "create GitOps mapping", || {
        if load_endpoint(ctx.storage, &mapping.endpoint_id)?.is_none() {
            return Err(endpoint_not_found(&mapping.endpoint_id)
                .with("field", "endpoint_id")
                .into());
        }
        if count(ctx.storage, "gitops_app_mappings")? >= MAX_MAPPINGS {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("a tenant has at most {MAX_MAPPINGS} GitOps mappings"),
            )
            .into());
        }
        let taken = query_one(
            ctx.storage,
            "SELECT id FROM gitops_app_mappings WHERE endpoint_id = ? AND app_name = ?",
            vec![
                mapping.endpoint_id.as_str().into(),
                mapping.app_name.as_str().into(),
            ],
        )?;
        if let Some(row) = taken {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "application '{}' of this endpoint is already mapped",
                    mapping.app_name
                ),
            )
            .with("id", row.text(0)?)
            .into());
        }
        let id =
            AppMappingId::generate().map_err(|e| Failure::Client(internal("mapping id", e)))?;
        execute(
            ctx.storage,
            &format!(
                "INSERT INTO gitops_app_mappings ({MAPPING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            vec![
                id.as_str().into(),
                mapping.endpoint_id.as_str().into(),
                mapping.app_name.as_str().into(),
                json_text(&mapping.secret_ids)?.into(),
                json_text(&mapping.paths)?.into(),
                ts(ctx.now),
            ],
        )?;
        Ok(MappingView {
            id,
            endpoint_id: mapping.endpoint_id.clone(),
            app_name: mapping.app_name.clone(),
            secret_ids: mapping.secret_ids.clone(),
            paths: mapping.paths.clone(),
            created_at: ctx.now,
        })
    })
}

fn all_mappings(storage: &Storage) -> Result<Vec<MappingView>, StorageError> {
    query(
        storage,
        &format!("SELECT {MAPPING_COLUMNS} FROM gitops_app_mappings ORDER BY id"),
        vec![],
    )?
    .iter()
    .map(mapping_view)
    .collect()
}

/// `GET /api/v1/gitops-app-mappings`, in id order.
pub fn list_mappings(ctx: &SecretContext<'_>) -> Result<Vec<MappingView>, ApiError> {
    require_enabled(ctx.storage)?;
    all_mappings(ctx.storage).map_err(|e| internal("list GitOps mappings", e))
}

/// `DELETE /api/v1/gitops-app-mappings/{id}`.
pub fn delete_mapping(ctx: &SecretContext<'_>, id: &AppMappingId) -> Result<(), ApiError> {
    require_enabled(ctx.storage)?;
    in_transaction(ctx.storage, "delete GitOps mapping", || {
        let found = query_one(
            ctx.storage,
            "SELECT id FROM gitops_app_mappings WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        if found.is_none() {
            return Err(
                ApiError::not_found(format!("GitOps mapping '{id}' not found"))
                    .with("id", id.as_str())
                    .into(),
            );
        }
        execute(
            ctx.storage,
            "DELETE FROM gitops_app_mappings WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok(())
    })
}

/// `GET /api/v1/requests/{id}/gitops`: a patch request the caller may see, whether it is
/// applied (a carried patch: its agent reported success; a stored one: its version written),
/// and the applications mapped to its secret, each with its endpoint's target when enabled.
/// Before the patch is applied there is nothing to observe: no targets are opened.
pub fn request_plan(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
) -> Result<ObservationPlan, ApiError> {
    require_enabled(ctx.storage)?;
    let request = access_requests::get(ctx, principal, id)?;
    if request.kind != AccessKind::Patch {
        return Err(ApiError::validation(
            "id",
            format!("request '{id}' is a read request; GitOps observes patch requests"),
        ));
    }
    let applied =
        request.execution.as_deref() == Some("applied") || request.applied_version.is_some();
    let mappings = all_mappings(ctx.storage).map_err(|e| internal("GitOps mappings", e))?;
    let mut applications = Vec::new();
    for mapping in mappings {
        let uses = request
            .secret_id
            .as_ref()
            .is_some_and(|s| mapping.secret_ids.contains(s))
            || request
                .path
                .as_ref()
                .is_some_and(|p| mapping.paths.contains(p));
        if !uses {
            continue;
        }
        let target = if applied {
            target(ctx, &mapping.endpoint_id).map_err(|f| client(f, "GitOps target"))?
        } else {
            None
        };
        applications.push(PlannedApp { mapping, target });
    }
    Ok(ObservationPlan {
        request_id: id.clone(),
        applied,
        applications,
    })
}
