//! Issue 24's `/api/v1` routes: seed 001's projects and environments. Each parses its body or
//! query in the core, sends one command, and answers its reply undecoded
//! ([`Caller::run_raw`]); who may call (`projects:admin`) is the tenant object's to decide.

use crate::http::{Reply, json_text, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::CallerCommand;
use latchkey_contract::caller::projects::{
    CreateEnvironment, CreateProject, DeleteEnvironment, GetProject, ListEnvironments,
    ListProjects, ProjectEnvironments, SetProjectStatus,
};
use latchkey_core::ApiError;
use latchkey_core::faces::api::ProjectRoute as R;
use latchkey_core::project::{NewEnvironment, NewProject, parse_force, parse_status};
use worker::{Env, Request};

async fn command(
    route: R,
    request: &mut Request,
    pairs: &[(String, String)],
) -> Result<CallerCommand, ApiError> {
    let force = || parse_force(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(match route {
        R::CreateProject => CreateProject {
            project: NewProject::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::ListProjects => ListProjects.into(),
        R::GetProject(id) => GetProject { id }.into(),
        R::SetProjectStatus(id) => {
            let force = force()?;
            SetProjectStatus {
                id,
                status: parse_status(&read_json_body(request).await?)?,
                force,
            }
            .into()
        }
        R::ProjectEnvironments(id) => ProjectEnvironments { id }.into(),
        R::CreateEnvironment => CreateEnvironment {
            environment: NewEnvironment::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::ListEnvironments => ListEnvironments.into(),
        R::DeleteEnvironment(id) => DeleteEnvironment {
            id,
            force: force()?,
        }
        .into(),
    })
}

pub async fn answer(
    route: R,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Reply {
    let (status, list) = match route {
        R::CreateProject | R::CreateEnvironment => (201, None),
        R::ListProjects => (200, Some("projects")),
        R::ProjectEnvironments(_) | R::ListEnvironments => (200, Some("environments")),
        _ => (200, None),
    };
    let raw = caller
        .run_raw(env, command(route, request, pairs).await)
        .await?;
    match list {
        Some(member) => json_text(status, format!(r#"{{"{member}":{}}}"#, raw.get())),
        None => json_text(status, raw.get().to_owned()),
    }
}
