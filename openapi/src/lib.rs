//! The OpenAPI 3.1 document of every route, built from the core's limits and written to
//! `worker/openapi.json` (`cargo run -p latchkey-openapi`), which the Worker embeds and serves
//! at `GET /v1/openapi.json`.
//!
//! Host only: the Worker embeds the JSON, never this crate. `tests/document.rs` fails when the
//! committed JSON is not what [`render`] writes; `tests/routes.rs` checks the document against
//! the route table both ways.

pub mod json;

pub(crate) use json::{arr, obj};

mod bodies;
mod components;
mod operation;
mod routes;
mod schema;
mod vault;

use json::Json;
use operation::{Operation, Parameters, RATE_HEADERS};
use schema::{field_name, secret_path, string};

/// Where the document is committed, from the workspace root.
pub const DOCUMENT_PATH: &str = "worker/openapi.json";

/// `components.headers`: the correlation id and the rate-limit headers.
fn headers() -> Json {
    let digits = || string().with("pattern", "^[0-9]+$");
    let descriptions = [
        ("Requests allowed per minute", digits()),
        ("Requests left in this minute", digits()),
        ("When the window resets (Unix seconds)", digits()),
        ("IETF draft: `\"tenant\";q=<limit>;w=60`", string()),
        ("IETF draft: `\"tenant\";r=<left>;t=<seconds>`", string()),
    ];
    let mut out = obj! {
        "X-Request-Id" => obj! {
            "description" => "The request's correlation id (the caller's X-Request-Id when sane)",
            "required" => true,
            "schema" => string()
                .with("minLength", 1)
                .with("maxLength", latchkey_core::audit::MAX_CORRELATION_ID_BYTES),
        },
    };
    for (name, (description, schema)) in RATE_HEADERS.into_iter().zip(descriptions) {
        out.set(
            name,
            obj! { "description" => description, "required" => true, "schema" => schema },
        );
    }
    out
}

fn security_schemes() -> Json {
    obj! {
        "tenantBearer" => obj! {
            "type" => "http",
            "scheme" => "bearer",
            "description" => "A tenant credential: the master key (lk_live_…), a scoped \
                token (lk_tok_…) or a user's login JWT",
        },
        "agentJwt" => obj! {
            "type" => "http",
            "scheme" => "bearer",
            "bearerFormat" => "JWT",
            "description" => "An agent's JWT from /v1/agents/register or refresh-token",
        },
        "vaultToken" => obj! {
            "type" => "apiKey",
            "in" => "header",
            "name" => "X-Vault-Token",
            "description" => "A Latchkey tenant credential, as Vault clients send their token (the Vault KV v2 routes)",
        },
        "agentSecret" => obj! {
            "type" => "apiKey",
            "in" => "header",
            "name" => "X-Agent-Secret",
            "description" => "A minted agent's secret (lk_agt_…, from POST /api/v1/agents), for the /api/v1 agent plane",
        },
        "operatorKey" => obj! {
            "type" => "http",
            "scheme" => "bearer",
            "description" => "The operator key (the Worker secret OPERATOR_KEY), for /v1/admin/tenants and /v1/admin/audit",
        },
    }
}

/// Every schema: the answers, then the request bodies (a body whose name an answer already
/// has is `<name>Body`), then Vault's.
fn schemas() -> Json {
    let mut out = components::schemas();
    if let Json::Obj(members) = bodies::bodies() {
        for (name, schema) in members {
            let name = if out.get(&name).is_some() {
                format!("{name}Body")
            } else {
                name
            };
            out.set(&name, schema);
        }
    }
    out.merge(vault::schemas()).merge(routes::face_schemas())
}

/// The document.
pub fn document() -> Json {
    let mut parameters = Parameters::new(obj! {
        "path" => obj! {
            "name" => "path",
            "in" => "path",
            "required" => true,
            "description" => "The secret path as ONE URL segment: percent-encode it, '/' as %2F \
                (`production%2Fopenai%2Fapi-key`). A raw '/' answers 404 pointing at the encoded form.",
            "schema" => secret_path(),
        },
        "field" => obj! {
            "name" => "field",
            "in" => "path",
            "required" => true,
            "description" => "A field name",
            "schema" => field_name(),
        },
    });
    let mut operations: Vec<Operation> = routes::operations(&mut parameters);
    operations.extend(vault::operations());
    // POST /v1/bench/baseline is not documented: it exists only on runtimes started with
    // BENCH=true (scripts/bench) and answers 404 everywhere else.

    let mut paths = obj! {};
    let mut tags: Vec<&str> = Vec::new();
    for operation in &operations {
        let mut item = paths.get(operation.path).cloned().unwrap_or(obj! {});
        item.set(operation.method, operation.to_json());
        paths.set(operation.path, item);
        if !tags.contains(&operation.tag) {
            tags.push(operation.tag);
        }
    }
    let tags: Vec<Json> = tags
        .into_iter()
        .map(|name| obj! { "name" => name })
        .collect();
    obj! {
        "openapi" => "3.1.0",
        "info" => obj! {
            "title" => "Latchkey",
            "version" => "1",
            "description" => "A hosted, multi-tenant secret store for AI agents. Every error is \
                `{\"error\": {\"code\", \"message\", …}}` (components.schemas.Error). Request bodies \
                are JSON objects (Content-Type: application/json, at most 1 MiB); an unknown member \
                is a 422 naming it. Secret paths in URLs are one percent-encoded segment. A known \
                URL with another method is a 405 with Allow. Every response carries X-Request-Id; \
                every authenticated tenant response carries the rate-limit headers.",
        },
        "servers" => crate::arr![obj! { "url" => "/", "description" => "The origin serving this document" }],
        "tags" => tags,
        "paths" => paths,
        "components" => obj! {
            "securitySchemes" => security_schemes(),
            "schemas" => schemas(),
            "responses" => operation::error_responses(),
            "headers" => headers(),
            "parameters" => parameters.into_json(),
        },
    }
}

/// The document's text, as committed in `worker/openapi.json`.
pub fn render() -> String {
    let mut text = document().pretty();
    text.push('\n');
    text
}
