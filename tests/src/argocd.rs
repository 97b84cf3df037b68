//! A loopback stand-in for Argo CD's application API (issue 24's GitOps tests), with the
//! shapes of Argo CD's published swagger document (`assets/swagger.json`):
//!
//! | request                              | answer                                          |
//! |--------------------------------------|-------------------------------------------------|
//! | `GET /api/v1/applications`           | 200 `v1alpha1ApplicationList`: `{metadata, items}` |
//! | `GET /api/v1/applications/{name}`    | 200 `v1alpha1Application`, or 404 when unknown  |
//! | without `Authorization: Bearer <token>` | 401 `{"error", "code": 16, "message"}`       |
//! | anything else                        | 404                                             |
//!
//! Applications carry `metadata.name`, `status.sync.status` and `status.health.status`; a
//! test sets them with [`ArgoCd::set_app`]. Every request's `Authorization` is recorded.

use crate::echo::read_request;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Apps = Arc<Mutex<BTreeMap<String, (String, String)>>>;

pub struct ArgoCd {
    pub base_url: String,
    pub port: u16,
    pub token: String,
    apps: Apps,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl ArgoCd {
    /// Starts on a free loopback port, accepting `token` as its one API token.
    pub fn start(token: &str) -> ArgoCd {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind argocd stand-in");
        let port = listener.local_addr().expect("argocd address").port();
        let apps: Apps = Arc::default();
        let authorizations: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (shared_apps, shared_auth, expected) = (
            Arc::clone(&apps),
            Arc::clone(&authorizations),
            token.to_owned(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (apps, auth, expected) = (
                    Arc::clone(&shared_apps),
                    Arc::clone(&shared_auth),
                    expected.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve(stream, &apps, &auth, &expected);
                });
            }
        });
        ArgoCd {
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            token: token.to_owned(),
            apps,
            authorizations,
        }
    }

    /// `http://<host>:<port>`: the same server under another name (`localhost`).
    pub fn url_on(&self, host: &str) -> String {
        format!("http://{host}:{}", self.port)
    }

    /// Adds or changes an application's sync and health.
    pub fn set_app(&self, name: &str, sync: &str, health: &str) {
        self.apps
            .lock()
            .expect("apps")
            .insert(name.to_owned(), (sync.to_owned(), health.to_owned()));
    }

    /// The `Authorization` header of every request so far.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().expect("authorizations").clone()
    }
}

fn application(name: &str, sync: &str, health: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": "default"},
        "status": {"sync": {"status": sync}, "health": {"status": health}},
    })
}

fn serve(
    stream: TcpStream,
    apps: &Apps,
    authorizations: &Mutex<Vec<Option<String>>>,
    token: &str,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let request = read_request(&mut reader)?;
    let authorization = request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone());
    authorizations
        .lock()
        .expect("authorizations")
        .push(authorization.clone());
    let path = request.target.split('?').next().unwrap_or("").to_owned();
    let (status, body) = if authorization.as_deref() != Some(&format!("Bearer {token}")) {
        (
            401,
            json!({"error": "invalid session", "code": 16, "message": "invalid session"}),
        )
    } else if request.method != "GET" {
        (404, json!({"error": "not found", "code": 5}))
    } else if path == "/api/v1/applications" {
        let apps = apps.lock().expect("apps");
        let items: Vec<Value> = apps
            .iter()
            .map(|(name, (sync, health))| application(name, sync, health))
            .collect();
        (
            200,
            json!({"metadata": {"resourceVersion": "1"}, "items": items}),
        )
    } else if let Some(name) = path.strip_prefix("/api/v1/applications/") {
        match apps.lock().expect("apps").get(name) {
            Some((sync, health)) => (200, application(name, sync, health)),
            None => (
                404,
                json!({"error": format!("applications.argoproj.io \"{name}\" not found"), "code": 5}),
            ),
        }
    } else {
        (404, json!({"error": "not found", "code": 5}))
    };
    let body = body.to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
