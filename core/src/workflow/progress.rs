//! A request's run through its workflows' stages: the stages snapshotted when it opened, the
//! current one, who approved each, and the current stage's deadline. It drives the request's
//! [`ApprovalState`] (status, requester, cancel window, release), which keeps counting every
//! approver across the whole request.
//!
//! Fail-closed: an approval counts toward the current stage only, and only from someone that
//! stage admits; one approver counts once across the request (nobody satisfies two stages);
//! the requester never approves (the object also refuses the same hand); any deny ends it; a
//! stage past its deadline expires the request (its `expires_at` is the earlier of its own
//! and the stage's).

use super::{Approver, Approvers};
use crate::approval::{ApprovalState, ApprovalStatus};
use crate::error::{ApiError, ErrorCode};
pub use crate::stage::{StageSnapshot, StageView, WorkflowStamp};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The run of a request through its stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub stages: Vec<StageSnapshot>,
    /// The current stage's index (`stages.len()` once all are done).
    pub current: usize,
    pub stage_started_at: Timestamp,
    /// Who approved each stage.
    pub approved: Vec<Vec<String>>,
    /// The request's own expiry, before any stage deadline.
    pub request_expires_at: Timestamp,
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// Counted; the stage needs more.
    Counted,
    /// The stage completed and the next (its index) started.
    NextStage(usize),
    /// The last stage completed: the request is approved.
    Approved,
}

fn seconds(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Progress {
    /// A run starting at `now`; `None` when there are no stages (nothing to approve).
    pub fn start(
        stages: Vec<StageSnapshot>,
        now: Timestamp,
        request_expires_at: Timestamp,
    ) -> Option<Progress> {
        if stages.is_empty() {
            return None;
        }
        Some(Progress {
            approved: vec![Vec::new(); stages.len()],
            stages,
            current: 0,
            stage_started_at: now,
            request_expires_at,
        })
    }

    pub fn total_required(&self) -> u64 {
        self.stages.iter().map(|s| s.stage.approvals).sum()
    }

    pub fn current_stage(&self) -> Option<&StageSnapshot> {
        self.stages.get(self.current)
    }

    /// The current stage's deadline.
    pub fn deadline(&self) -> Option<Timestamp> {
        self.current_stage().map(|s| {
            self.stage_started_at
                .plus_seconds(seconds(s.stage.timeout_seconds))
        })
    }

    /// When the request expires while pending: its own expiry or the stage's deadline.
    pub fn expires_at(&self) -> Timestamp {
        match self.deadline() {
            Some(deadline) if deadline < self.request_expires_at => deadline,
            _ => self.request_expires_at,
        }
    }

    pub fn view(&self) -> Option<StageView> {
        let s = self.current_stage()?;
        Some(StageView {
            index: self.current,
            name: s.stage.name.clone(),
            workflow: s.workflow.clone(),
            approvers: s.stage.approvers.clone(),
            approvals_required: s.stage.approvals,
            approvals: self.approved.get(self.current).cloned().unwrap_or_default(),
            deadline: self.deadline().unwrap_or(self.request_expires_at),
        })
    }

    /// The 403 for someone the current stage does not admit.
    fn not_eligible(&self, stage: &StageSnapshot) -> ApiError {
        let label = stage.stage.name.as_deref().map_or_else(
            || format!("stage {}", self.current),
            |n| format!("stage {} ('{n}')", self.current),
        );
        let e = ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "you may not decide {label} of workflow '{}': it is for {}",
                stage.workflow.name,
                stage.stage.approvers.describe()
            ),
        )
        .with("stage", self.current as u64)
        .with("workflow_id", stage.workflow.id.as_str())
        .with("approvers", stage.stage.approvers.describe());
        match stage.stage.approvers {
            Approvers::Any => e.with("required_scope", "approvals:decide"),
            _ => e,
        }
    }

    /// One approval by `who` at `now`, counted toward the current stage only.
    pub fn approve(
        &mut self,
        state: &mut ApprovalState,
        who: &Approver<'_>,
        now: Timestamp,
    ) -> Result<Advance, ApiError> {
        self.sync(state);
        if who.id == state.requester {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "the credential that made a request cannot approve it",
            ));
        }
        if state.status_at(now) != ApprovalStatus::Pending {
            return Err(ApiError::conflict(format!(
                "this request is already {}; it cannot be decided again",
                state.status_at(now).as_str()
            )));
        }
        let Some(stage) = self.current_stage().cloned() else {
            return Err(ApiError::conflict(
                "this request has no stage left to approve",
            ));
        };
        if !stage.stage.approvers.admits(who) {
            return Err(self.not_eligible(&stage));
        }
        if state.approvers.iter().any(|a| a == who.id) {
            return Err(ApiError::conflict(format!(
                "{} has already approved this request; one approver counts once across all its stages",
                who.id
            )));
        }
        state.approvers.push(who.id.to_owned());
        let Some(mine) = self.approved.get_mut(self.current) else {
            return Err(ApiError::internal());
        };
        mine.push(who.id.to_owned());
        if (mine.len() as u64) < stage.stage.approvals {
            return Ok(Advance::Counted);
        }
        self.current += 1;
        self.stage_started_at = now;
        if self.current >= self.stages.len() {
            state.status = ApprovalStatus::Approved;
            state.approved_at = Some(now);
            return Ok(Advance::Approved);
        }
        self.sync(state);
        Ok(Advance::NextStage(self.current))
    }

    /// A denial ends the request. The requester cannot deny (it cancels); someone the current
    /// stage does not admit may still deny when they hold `approvals:decide` (a denial only
    /// ever closes).
    pub fn deny(
        &mut self,
        state: &mut ApprovalState,
        who: &Approver<'_>,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        self.sync(state);
        let admitted = who.may_decide
            || self
                .current_stage()
                .is_some_and(|s| s.stage.approvers.admits(who));
        if !admitted
            && who.id != state.requester
            && let Some(stage) = self.current_stage().cloned()
        {
            return Err(self.not_eligible(&stage));
        }
        state.deny(who.id, now)
    }

    /// The workflow of the current stage (of the last stage once all are done).
    pub fn workflow(&self) -> Option<WorkflowStamp> {
        self.stages
            .get(self.current)
            .or_else(|| self.stages.last())
            .map(|s| s.workflow.clone())
    }

    /// The default stage's count (what a released token records as its cleared approvals):
    /// 0 when no reached item fell to the default.
    pub fn default_count(&self) -> u64 {
        self.stages
            .iter()
            .filter(|s| s.workflow.id == super::DEFAULT_WORKFLOW)
            .map(|s| s.stage.approvals)
            .max()
            .unwrap_or(0)
    }

    /// The explicit workflows the request runs (what a released token records).
    pub fn explicit_workflows(&self) -> Vec<WorkflowStamp> {
        let mut out: Vec<WorkflowStamp> = Vec::new();
        for s in &self.stages {
            if s.workflow.id != super::DEFAULT_WORKFLOW && !out.contains(&s.workflow) {
                out.push(s.workflow.clone());
            }
        }
        out
    }

    /// A stage in words, for messages: `stage 2 of 3 ('security', workflow 'prod'):
    /// decided by …`.
    pub fn describe_stage(&self, index: usize) -> Option<String> {
        let s = self.stages.get(index)?;
        let name = s
            .stage
            .name
            .as_deref()
            .map_or_else(String::new, |n| format!("'{n}', "));
        Some(format!(
            "stage {} of {} ({name}workflow '{}'): {} approval(s) from {}",
            index + 1,
            self.stages.len(),
            s.workflow.name,
            s.stage.approvals,
            s.stage.approvers.describe()
        ))
    }

    /// The 403 for someone the current stage does not admit (none once every stage is done).
    pub fn check_eligible(&self, who: &Approver<'_>) -> Result<(), ApiError> {
        match self.current_stage() {
            Some(stage) if !stage.stage.approvers.admits(who) => Err(self.not_eligible(stage)),
            _ => Ok(()),
        }
    }

    /// Raises the default stage's count to `count` (a secret raised to a stricter tier since
    /// the request opened); a stage already passed is not reopened.
    pub fn raise_default(&mut self, count: u64) {
        for (index, s) in self.stages.iter_mut().enumerate() {
            if s.workflow.id == super::DEFAULT_WORKFLOW && index >= self.current {
                s.stage.approvals = s.stage.approvals.max(count);
            }
        }
    }

    /// Whether any stage admits `who`: they may see the request (and learn, when it is not
    /// their stage yet, whose it is).
    pub fn involves(&self, who: &Approver<'_>) -> bool {
        self.stages.iter().any(|s| s.stage.approvers.admits(who))
    }

    /// Whether `who` may decide the current stage.
    pub fn admits(&self, who: &Approver<'_>) -> bool {
        self.current_stage()
            .is_some_and(|s| s.stage.approvers.admits(who))
    }

    /// Keeps the state's total and expiry in step with the run.
    pub fn sync(&self, state: &mut ApprovalState) {
        state.required = self.total_required();
        if state.status == ApprovalStatus::Pending {
            state.expires_at = self.expires_at();
        }
    }
}
