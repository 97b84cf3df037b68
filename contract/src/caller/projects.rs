//! Projects and environments (issue 24, seed 001's `/api/v1/projects` and
//! `/api/v1/environments`): an environment scopes stored secrets by path prefix and discovered
//! ones by cluster ([`latchkey_core::project`]). All of it needs `projects:admin`; none of it
//! reads, moves or deletes a secret.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::project::{
    EnvironmentDeleted, EnvironmentId, EnvironmentView, NewEnvironment, NewProject, ProjectId,
    ProjectStatus, ProjectStatusChanged, ProjectView,
};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/projects`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateProject {
    pub project: NewProject,
}

/// `GET /api/v1/projects`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListProjects;

/// `GET /api/v1/projects/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetProject {
    pub id: ProjectId,
}

/// `PUT /api/v1/projects/{id}/status[?force=true]`: archiving a project whose environments
/// still hold secrets is refused unless `force` (which archives and deletes nothing).
#[derive(Debug, Serialize, Deserialize)]
pub struct SetProjectStatus {
    pub id: ProjectId,
    pub status: ProjectStatus,
    pub force: bool,
}

/// `GET /api/v1/projects/{id}/environments`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectEnvironments {
    pub id: ProjectId,
}

/// `POST /api/v1/environments`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateEnvironment {
    pub environment: NewEnvironment,
}

/// `GET /api/v1/environments`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListEnvironments;

/// `DELETE /api/v1/environments/{id}[?force=true]`: refused while it holds secrets unless
/// `force`, which removes the scope and leaves every secret where it is.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteEnvironment {
    pub id: EnvironmentId,
    pub force: bool,
}

area! {
    pub enum ProjectCommand in CallerCommand::Projects {
        CreateProject => ProjectView,
        ListProjects => Vec<ProjectView>,
        GetProject => ProjectView,
        SetProjectStatus => ProjectStatusChanged,
        ProjectEnvironments => Vec<EnvironmentView>,
        CreateEnvironment => EnvironmentView,
        ListEnvironments => Vec<EnvironmentView>,
        DeleteEnvironment => EnvironmentDeleted,
    }
}

impl ProjectCommand {
    pub fn rules(&self) -> Rules {
        use Effect::{Reads, Writes};
        use ProjectCommand as C;
        // Seed 001 opens the reads to any bearer, and they show only names, prefixes and
        // clusters (as roles do). Changes need `projects:admin`: an environment's prefix
        // decides which policy, and so which workflow, governs a secret.
        let row = |event, effect: Effect| {
            Rules::of(
                if effect == Reads {
                    Access::Authenticated
                } else {
                    Access::Scope(Scope::ProjectsAdmin)
                },
                Audit::Event(event),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                effect,
            )
        };
        match self {
            C::CreateProject(_) => row("project.created", Writes),
            C::ListProjects(_) => row("project.listed", Reads),
            C::GetProject(_) => row("project.read", Reads),
            C::SetProjectStatus(_) => row("project.status_changed", Writes),
            C::ProjectEnvironments(_) => row("environment.listed", Reads),
            C::CreateEnvironment(_) => row("environment.created", Writes),
            C::ListEnvironments(_) => row("environment.listed", Reads),
            C::DeleteEnvironment(_) => row("environment.deleted", Writes),
        }
    }
}
