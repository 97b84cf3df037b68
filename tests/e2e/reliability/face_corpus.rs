//! The malformed-request corpus over the `/api/v1` routes of issues 23 and 24: every body
//! they parse, their query parameters, malformed ids in their paths and the methods they do not
//! take. Each must be a 4xx with the JSON error body and change nothing.

use super::{Bad, bad};

const AGT: &str = "agt_0123456789abcdef01234567";
const JOB: &str = "job_0123456789abcdef01234567";
const PRJ: &str = "prj_0123456789abcdef01234567";
const ENV: &str = "env_0123456789abcdef01234567";
const ARGO: &str = "argo_0123456789abcdef01234567";
const GMAP: &str = "gmap_0123456789abcdef01234567";
const REQ: &str = "req_0123456789abcdef01234567";

/// The face's routes that parse a JSON body, and whether no body at all is a valid one (such a
/// route is not sent the empty body: minting with the defaults is no malformed request).
fn json_routes() -> Vec<(&'static str, String, bool)> {
    vec![
        ("POST", "/api/v1/agents".into(), true),
        ("POST", "/api/v1/agents/bootstrap".into(), true),
        ("POST", "/api/v1/jobs".into(), false),
        ("POST", format!("/api/v1/agents/{AGT}/heartbeat"), false),
        (
            "POST",
            format!("/api/v1/agents/{AGT}/jobs/{JOB}/complete"),
            false,
        ),
        ("PUT", format!("/api/v1/agents/{AGT}/public-key"), false),
        ("POST", format!("/api/v1/agents/{AGT}/dek"), false),
        ("POST", format!("/api/v1/agents/{AGT}/secrets/bulk"), false),
        ("POST", format!("/api/v1/agents/{AGT}/wraps"), false),
        ("POST", "/api/v1/projects".into(), false),
        ("PUT", format!("/api/v1/projects/{PRJ}/status"), false),
        ("POST", "/api/v1/environments".into(), false),
        ("POST", format!("/api/v1/requests/{REQ}/approve"), false),
        ("POST", format!("/api/v1/requests/{REQ}/cancel"), false),
        ("POST", "/api/v1/auth/login".into(), false),
    ]
}

/// Bodies each of those routes must refuse, beyond the shared corpus's: members of the wrong
/// type, unknown ones, values where only metadata goes, out-of-range numbers.
fn bodies() -> Vec<Vec<u8>> {
    let many = format!(
        "{{\"secrets\": [{}]}}",
        vec![r#"{"cluster_name":"c","provider":"p","ref":"r"}"#; 501].join(",")
    );
    vec![
        b"{\"name\": 7}".to_vec(),
        b"{\"agent_id\": \"agt_x\", \"type\": \"sync\"}".to_vec(),
        b"{\"agent_id\": \"agt_0123456789abcdef01234567\", \"type\": \"Not Valid\"}".to_vec(),
        b"{\"status\": \"queued\"}".to_vec(),
        b"{\"status\": \"succeeded\", \"error\": \"no\"}".to_vec(),
        b"{\"public_key\": \"AAAA\"}".to_vec(),
        b"{\"public_key\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}".to_vec(),
        b"{\"secrets\": []}".to_vec(),
        b"{\"secrets\": [{\"cluster_name\": \"c\", \"provider\": \"p\", \"ref\": \"r\", \"value\": \"leak\"}]}"
            .to_vec(),
        b"{\"data\": \"leak\"}".to_vec(),
        many.into_bytes(),
        b"{\"job_id\": \"job_x\", \"key_id\": \"dek_x\", \"nonce\": \"!\", \"ciphertext\": \"!\"}".to_vec(),
        b"{\"status\": \"deleted\"}".to_vec(),
        b"{\"project_id\": \"prj_x\", \"name\": \"n\", \"path_prefix\": \"no-slash\"}".to_vec(),
        b"{\"approver_id\": 5}".to_vec(),
        b"{\"actor\": \"usr_0123456789abcdef01234567\"}".to_vec(),
        b"{\"email\": \"a@b.c\", \"password\": \"p\", \"remember\": true}".to_vec(),
    ]
}

pub(super) fn corpus() -> Vec<Bad> {
    let mut out = Vec::new();
    for (method, url, bodiless_ok) in json_routes() {
        for body in super::malformed_bodies().into_iter().chain(bodies()) {
            if bodiless_ok && body.is_empty() {
                continue;
            }
            out.push(bad(method, url.clone(), body));
        }
        let mut plain = bad(method, url.clone(), b"{\"name\": \"n\"}".to_vec());
        plain.content_type = Some("text/plain");
        out.push(plain);
    }
    // Query abuse.
    for query in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "status=maybe",
        "label=nocolon",
        "label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b&label=a:b",
        "cursor=garbage",
        "environment=env_x",
        "provider=",
        "provider=a&provider=b",
        "namespace=a",
    ] {
        out.push(bad("GET", format!("/api/v1/secrets?{query}"), Vec::new()));
    }
    for (method, url) in [
        (
            "GET",
            "/api/v1/agents/update/latest?platform=Not%20One".to_owned(),
        ),
        ("GET", "/api/v1/agents/update/latest?os=linux".to_owned()),
        ("PUT", format!("/api/v1/projects/{PRJ}/status?force=maybe")),
        ("DELETE", format!("/api/v1/environments/{ENV}?force=yes")),
        ("GET", "/api/v1/projects?force=true".to_owned()),
        ("GET", "/api/v1/argocd-endpoints?enabled=true".to_owned()),
        (
            "GET",
            format!("/api/v1/agents/{AGT}/connect?since=yesterday"),
        ),
        ("POST", format!("/api/v1/agents/{AGT}/jobs/claim?wait=30")),
        ("GET", format!("/api/v1/requests/{REQ}/gitops?refresh=1")),
    ] {
        out.push(bad(method, url, b"{\"status\": \"archived\"}".to_vec()));
    }
    // Malformed ids in the path.
    for (method, url) in [
        ("POST", "/api/v1/agents/agt_x/heartbeat".to_owned()),
        ("POST", "/api/v1/agents/me/dek".to_owned()),
        ("POST", format!("/api/v1/agents/{AGT}/jobs/job_x/complete")),
        (
            "GET",
            format!("/api/v1/agents/{AGT}/wraps/wrp_0123456789abcdef01234567"),
        ),
        ("GET", "/api/v1/secrets/prod%2Fdb".to_owned()),
        ("GET", "/api/v1/projects/nope".to_owned()),
        ("DELETE", format!("/api/v1/environments/{PRJ}")),
        ("DELETE", "/api/v1/argocd-endpoints/argo_x".to_owned()),
        (
            "GET",
            "/api/v1/argocd-endpoints/%00/discovered-apps".to_owned(),
        ),
        ("DELETE", "/api/v1/gitops-app-mappings/..%2F..".to_owned()),
        ("GET", "/api/v1/requests/req_x/gitops".to_owned()),
    ] {
        out.push(bad(method, url, Vec::new()));
    }
    // Methods the routes do not take.
    for (method, url) in [
        ("DELETE", "/api/v1/agents".to_owned()),
        ("GET", "/api/v1/jobs".to_owned()),
        ("POST", "/api/v1/agents/update/latest".to_owned()),
        ("GET", format!("/api/v1/agents/{AGT}/heartbeat")),
        ("GET", format!("/api/v1/agents/{AGT}/jobs/claim")),
        ("PUT", format!("/api/v1/agents/{AGT}/jobs/{JOB}/complete")),
        ("GET", format!("/api/v1/agents/{AGT}/public-key")),
        ("GET", format!("/api/v1/agents/{AGT}/dek")),
        ("GET", format!("/api/v1/agents/{AGT}/secrets/bulk")),
        ("GET", format!("/api/v1/agents/{AGT}/wraps")),
        ("POST", "/api/v1/secrets".to_owned()),
        (
            "DELETE",
            "/api/v1/secrets/dsc_0123456789abcdef01234567".to_owned(),
        ),
        ("DELETE", "/api/v1/projects".to_owned()),
        ("POST", format!("/api/v1/projects/{PRJ}")),
        ("GET", format!("/api/v1/projects/{PRJ}/status")),
        ("PUT", "/api/v1/environments".to_owned()),
        ("GET", format!("/api/v1/environments/{ENV}")),
        ("PATCH", "/api/v1/argocd-endpoints".to_owned()),
        ("GET", format!("/api/v1/argocd-endpoints/{ARGO}")),
        ("POST", format!("/api/v1/argocd-endpoints/{ARGO}/enabled")),
        ("PUT", "/api/v1/gitops-app-mappings".to_owned()),
        ("GET", format!("/api/v1/gitops-app-mappings/{GMAP}")),
        ("POST", format!("/api/v1/requests/{REQ}/gitops")),
        ("POST", format!("/api/v1/agents/{AGT}/connect")),
    ] {
        out.push(bad(method, url, Vec::new()));
    }
    out
}
