//! The reference agent on the live socket (`GET /api/v1/agents/me/connect`), and carrying out
//! read and patch requests on discovered secrets (agent wraps).

#[cfg(unix)]
use super::mode;
use super::{Out, Running, Served, agent_command, discovered, eventually, once};
use crate::Ctx;
use crate::agent_plane::admin;
use crate::people::{APPROVER_ROLE, call, person};
use latchkey_e2e::secret_value;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

/// With polling every 10 minutes, a queued job is claimed within seconds only because the socket
/// announced it; revoking the agent closes the socket (4001) and the agent exits 1, saying so.
pub(super) fn job_announced_on_the_socket_is_claimed_before_the_next_poll(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    let root = served.root();
    let state = served.state_arg();
    let mut command = agent_command(ctx, &served.scratch, &[("LATCHKEY_TOKEN", &key)]);
    command
        .args([
            "agent",
            "--root",
            &root,
            "--state",
            &state,
            "--cluster",
            &cluster,
            "--mint",
            "--poll-interval",
            "10m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running(Some(command.spawn().expect("start latchkey agent")));
    assert!(
        eventually(Duration::from_secs(20), || served.state().exists()
            && discovered(ctx, &key, &cluster).len() == 2),
        "the agent did not report its directory"
    );
    let id = served.state_json()["agent_id"].as_str().unwrap().to_owned();
    // Its first poll is over (the directory was reported after it); give the socket a moment.
    std::thread::sleep(Duration::from_secs(2));
    let job = admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        &key,
        Some(json!({"agent_id": id, "type": "sync"})),
    );
    assert_eq!(job.status, 201, "{}", job.text);
    let job = job.body["id"].as_str().unwrap().to_owned();
    assert!(
        eventually(Duration::from_secs(10), || ctx
            .api()
            .get("/v1/audit?type=job.completed", Some(&key))
            .text
            .contains(&job)),
        "the announced job was not claimed before the next poll"
    );
    let revoked = admin(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/revoke"),
        &key,
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let mut child = running.0.take().unwrap();
    let ended = eventually(Duration::from_secs(10), || {
        child.try_wait().ok().flatten().is_some()
    });
    if !ended {
        let _ = child.kill();
    }
    let output = child.wait_with_output().expect("agent ended");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(ended, "a revoked agent kept running: {out:#?}");
    out.exit(1);
    assert!(out.stderr.contains("live socket open"), "{out:#?}");
    assert!(out.stderr.contains("revoked"), "{out:#?}");
    served.check_quiet(&out);
}

/// A read request on a discovered secret, approved, is carried out by the agent (the value comes back sealed and is retrieved once
/// by the requester); a patch request, approved, is written to the file atomically with mode
/// 0600 and the request shows `applied`.
pub(super) fn read_and_patch_requests_are_carried_out_by_the_agent(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_TOKEN", &key)],
        &["--mint"],
    )
    .ok();
    let rows = discovered(ctx, &key, &cluster);
    let env_id = rows[0]["id"].as_str().unwrap().to_owned();
    let db_id = rows[1]["id"].as_str().unwrap().to_owned();
    let (_, requester) = person(ctx, &tenant, &key, "asker", &[]);
    let approvers: Vec<String> = ["approver1", "approver2"]
        .iter()
        .map(|label| person(ctx, &tenant, &key, label, &[APPROVER_ROLE]).1)
        .collect();
    let approve = |id: &str| {
        for approver in &approvers {
            let reply = call(
                ctx,
                "POST",
                &format!("/api/v1/requests/{id}/approve"),
                Some(approver),
                Some(json!({})),
            );
            assert_eq!(reply.status, 200, "{}", reply.text);
            if reply.body["status"] == "approved" {
                return;
            }
        }
        panic!("request {id} was not approved by two approvers");
    };
    let request = |id: &str| {
        call(
            ctx,
            "GET",
            &format!("/api/v1/requests/{id}"),
            Some(&requester),
            None,
        )
    };

    // Read: approved, carried out by the agent, retrieved once.
    let read = call(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&requester),
        Some(json!({"secret_id": db_id, "reason": "incident 7"})),
    );
    assert_eq!(read.status, 201, "{}", read.text);
    assert_eq!(read.body["execution"], "pending");
    let read_id = read.body["id"].as_str().unwrap().to_owned();
    approve(&read_id);
    let out = once(ctx, &served, &cluster, &[], &[]);
    out.ok();
    served.check_quiet(&out);
    let shown = request(&read_id);
    assert_eq!(shown.body["execution"], "applied", "{}", shown.text);
    let wrap_id = shown.body["wrap_id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/requests/{read_id}/wraps/{wrap_id}");
    let value = call(ctx, "GET", &url, Some(&requester), None);
    assert_eq!(value.status, 200, "{}", value.text);
    let data: Value = serde_json::from_str(value.body["value"].as_str().unwrap()).unwrap();
    assert_eq!(data["password"], served.values[1].as_str());
    assert_eq!(data["username"], served.values[0].as_str());
    assert_eq!(
        call(ctx, "GET", &url, Some(&requester), None).status,
        410,
        "a wrap is retrieved once"
    );

    // Patch: the new value is written only after approval, atomically, mode 0600.
    let new_key = secret_value("agent-patched");
    let patch = call(
        ctx,
        "POST",
        "/api/v1/requests",
        Some(&requester),
        Some(json!({"secret_id": env_id, "data": {"API_KEY": new_key}, "reason": "rotate"})),
    );
    assert_eq!(patch.status, 201, "{}", patch.text);
    assert!(!patch.text.contains(&new_key));
    let patch_id = patch.body["id"].as_str().unwrap().to_owned();
    let env_file = served.scratch.join("root/app/.env");
    once(ctx, &served, &cluster, &[], &[]).ok();
    assert!(
        !std::fs::read_to_string(&env_file)
            .unwrap()
            .contains(&new_key),
        "patched before approval"
    );
    approve(&patch_id);
    let out = once(ctx, &served, &cluster, &[], &[]);
    out.ok();
    served.check_quiet(&out);
    out.never_shows(&new_key);
    let text = std::fs::read_to_string(&env_file).unwrap();
    assert!(text.contains(&format!("API_KEY={new_key}")), "{text}");
    assert!(text.contains("export MODE=production"), "other keys kept");
    #[cfg(unix)]
    assert_eq!(mode(&env_file), 0o600);
    assert_eq!(request(&patch_id).body["execution"], "applied");
}
