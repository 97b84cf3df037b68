//! Claiming and carrying out jobs (/work/agent-protocol.md "Jobs", "Agent wraps"):
//!
//! - `read_secret`: read the keys, get a DEK, seal `{"data": {…}}` under it, post the wrap,
//!   complete `succeeded`;
//! - `patch_secret`: retrieve the wrap once, open it with the agent's key, write the files
//!   atomically, complete `succeeded`;
//! - `sync`: look at the root again and upload what changed;
//! - anything else: complete `failed`, naming what this agent does.
//!
//! A job that fails is completed `failed` with the reason (never a value). A job cut short by
//! the network is left alone: its lease runs out and it is claimed again.

use super::{Session, envelope, log, provider};
use crate::error::CliError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::Zeroizing;

/// At most this many jobs in one poll.
const JOBS_PER_POLL: usize = 50;

/// Why a job did not succeed.
enum JobError {
    /// Completed `failed` with this reason.
    Fail(String),
    /// Not completed: the lease runs out and it is tried again.
    Retry(CliError),
}

impl From<String> for JobError {
    fn from(reason: String) -> Self {
        JobError::Fail(reason)
    }
}

/// A refusal by the server fails the job (the reason says which `step` was refused); no
/// answer at all leaves it for a retry.
fn api(step: &'static str) -> impl Fn(CliError) -> JobError {
    move |error| match error {
        CliError::Api(failure) => JobError::Fail(format!("{step}: {}", failure.summary())),
        other => JobError::Retry(other),
    }
}

/// The plaintext of both flows: `{"data": {"KEY": "value", …}}`.
#[derive(Serialize)]
struct Plain<'a> {
    data: BTreeMap<&'a str, &'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchPlain {
    data: BTreeMap<String, String>,
}

fn param<'a>(params: &'a Value, name: &str) -> Result<&'a str, JobError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::Fail(format!("the job has no '{name}' parameter")))
}

impl Session {
    /// Claims and carries out queued jobs until there are none; `true` when a patch was
    /// applied.
    pub fn poll_jobs(&mut self, stop: &AtomicBool) -> Result<bool, CliError> {
        let mut patched = false;
        let url = self.agent_url("/jobs/claim");
        for _ in 0..JOBS_PER_POLL {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let reply = self.send("POST", &url, None)?;
            if reply.status == 204 || reply.body.is_null() {
                break;
            }
            patched |= self.carry_out(&reply.body)?;
        }
        Ok(patched)
    }

    /// One claimed job, completed; `true` when it was a patch that was applied.
    fn carry_out(&mut self, job: &Value) -> Result<bool, CliError> {
        let id = job["id"].as_str().unwrap_or("").to_owned();
        let kind = job["type"].as_str().unwrap_or("").to_owned();
        let params = &job["params"];
        let outcome = match kind.as_str() {
            "read_secret" => self.read_job(&id, params),
            "patch_secret" => self.patch_job(params),
            "sync" => self.scan(true).map_err(api("reporting the directory")),
            other => Err(JobError::Fail(format!(
                "this agent does not carry out '{other}' jobs (it knows read_secret, patch_secret and sync)"
            ))),
        };
        let body = match &outcome {
            Ok(()) => json!({"status": "succeeded"}),
            Err(JobError::Fail(reason)) => json!({"status": "failed", "error": reason}),
            Err(JobError::Retry(e)) => {
                log(&format!(
                    "job {id} ({kind}) interrupted, left for a retry: {}",
                    e.report().trim_end()
                ));
                return Ok(false);
            }
        };
        let url = self.agent_url(&format!("/jobs/{id}/complete"));
        self.send("POST", &url, Some(&body))?;
        match &outcome {
            Ok(()) => log(&format!("job {id} ({kind}) succeeded")),
            Err(JobError::Fail(reason)) => log(&format!("job {id} ({kind}) failed: {reason}")),
            Err(JobError::Retry(_)) => {}
        }
        Ok(kind == "patch_secret" && outcome.is_ok())
    }

    /// The secret a job names: this agent's cluster and provider, and its ref.
    fn job_ref<'a>(&self, params: &'a Value) -> Result<&'a str, JobError> {
        let provider = param(params, "provider")?;
        let cluster = param(params, "cluster_name")?;
        if provider != "file" || cluster != self.cluster {
            return Err(JobError::Fail(format!(
                "this agent serves provider 'file' in cluster '{}', not '{provider}' in '{cluster}'",
                self.cluster
            )));
        }
        param(params, "ref")
    }

    fn read_job(&mut self, job_id: &str, params: &Value) -> Result<(), JobError> {
        let reference = self.job_ref(params)?;
        let keys: Vec<String> = match params.get("keys") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|k| {
                    k.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| JobError::Fail("a key name is not a string".to_owned()))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(JobError::Fail("'keys' is not a list".to_owned())),
        };
        let values = provider::read(&self.root, reference, &keys)?;
        let plain = Plain {
            data: values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        };
        let plaintext =
            Zeroizing::new(serde_json::to_vec(&plain).map_err(|e| JobError::Fail(e.to_string()))?);
        let dek_url = self.agent_url("/dek");
        let answer = self
            .send("POST", &dek_url, None)
            .map_err(api("getting a data key"))?;
        let (tenant, agent) = (self.state.tenant_id.clone(), self.state.agent_id.clone());
        let (key_id, dek) = self.keys.open_dek(&tenant, &agent, &answer.body)?;
        let (nonce, ciphertext) =
            envelope::seal_for_job(&dek, &tenant, &agent, job_id, &plaintext)?;
        let wraps_url = self.agent_url("/wraps");
        self.send(
            "POST",
            &wraps_url,
            Some(&json!({
                "job_id": job_id,
                "key_id": key_id,
                "nonce": nonce,
                "ciphertext": ciphertext,
            })),
        )
        .map_err(api("posting the wrap"))?;
        Ok(())
    }

    fn patch_job(&mut self, params: &Value) -> Result<(), JobError> {
        let reference = self.job_ref(params)?.to_owned();
        let wrap_id = param(params, "wrap_id")?.to_owned();
        let url = self.agent_url(&format!("/wraps/{}", crate::client::encode(&wrap_id)));
        let answer = self
            .send("GET", &url, None)
            .map_err(api("retrieving the patch's wrap"))?;
        let (tenant, agent) = (self.state.tenant_id.clone(), self.state.agent_id.clone());
        let plain = self
            .keys
            .open_wrap(&tenant, &agent, &wrap_id, &answer.body)?;
        let parsed: PatchPlain = serde_json::from_slice(&plain).map_err(|_| {
            JobError::Fail("the patch's plaintext is not {\"data\": {…}}".to_owned())
        })?;
        let values: provider::Values = parsed
            .data
            .into_iter()
            .map(|(k, v)| (k, Zeroizing::new(v)))
            .collect();
        provider::patch(&self.root, &reference, &values)?;
        Ok(())
    }
}
