//! Agent sockets on the platform (issue 23): the tenant object accepts each with the
//! hibernation API (`acceptWebSocket` with the agent's tag and an attachment), so an idle
//! socket costs nothing and the object finds an agent's sockets again after it was evicted.
//! The upgrade runs one command (`ConnectAgent`: authentication, then catch-up); frames are
//! answered by [`Tenant::socket_frame`](crate::tenant::Tenant::socket_frame); pushes come from
//! each command's [`Answered::pushes`](crate::tenant::Answered::pushes).

use super::TenantHost;
use crate::agents::socket::Push;
use latchkey_contract::caller::socket::ConnectAgent;
use latchkey_contract::{SOCKET_REQUEST_HEADER, TenantRequest, TenantResponse, decode_reply};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::socket::{
    Close, MAX_SOCKETS_PER_TENANT, command_frame, hello_frame, job_frame, parse_client_frame,
    resync_frame, socket_tag, sockets_to_replace, tenant_has_room,
};
use latchkey_core::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use worker::{
    Request, Response, WebSocket, WebSocketIncomingMessage, WebSocketPair,
    WebSocketRequestResponsePair, console_error,
};

/// What each socket carries through hibernation: whose it is and when it connected (the
/// oldest closes first when the agent has too many).
#[derive(Serialize, Deserialize)]
struct Attachment {
    agent: String,
    at: i64,
}

fn attachment(ws: &WebSocket) -> Option<Attachment> {
    ws.deserialize_attachment::<Attachment>().ok().flatten()
}

fn close(ws: &WebSocket, close: &Close) {
    if let Err(e) = ws.close(Some(close.code), Some(close.reason.as_str())) {
        console_error!("tenant object: close a socket: {e}");
    }
}

/// Whether `request` asks for a WebSocket.
pub fn is_upgrade(request: &Request) -> bool {
    request
        .headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// A refusal before the upgrade, as the Worker reads any command's answer.
fn refuse(
    error: ApiError,
    rate: Option<latchkey_core::ratelimit::RateState>,
) -> worker::Result<Response> {
    Response::from_json(&TenantResponse {
        rate,
        result: Err(error),
    })
}

impl TenantHost {
    /// An agent's upgrade: the tenant's socket limit, then the `ConnectAgent` command it
    /// carries (authentication, rate limit, audit, catch-up), then the socket, accepted and
    /// tagged, with `hello`, `resync` and what the agent missed already sent on it.
    pub(super) async fn connect(&self, request: &Request) -> worker::Result<Response> {
        let decoded = request
            .headers()
            .get(SOCKET_REQUEST_HEADER)
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str::<TenantRequest>(&text).ok());
        let Some(decoded) = decoded else {
            console_error!("tenant object: an upgrade without its command");
            return refuse(ApiError::internal(), None);
        };
        if !tenant_has_room(self.state.get_websockets().len()) {
            return refuse(
                ApiError::new(
                    ErrorCode::Unavailable,
                    format!(
                        "this tenant has {MAX_SOCKETS_PER_TENANT} agent sockets open, the limit; poll (POST …/jobs/claim, …/me/health) or retry later"
                    ),
                )
                .with("limit", MAX_SOCKETS_PER_TENANT),
                None,
            );
        }
        let answered = self.tenant.answer(decoded);
        // Nothing awaits before the socket is accepted (below): a job queued in between would
        // be in neither the catch-up nor a push.
        let schedule = answered.schedule_maintenance;
        let rate = answered.response.rate;
        let raw = match answered.response.result {
            Ok(raw) => raw,
            Err(e) => {
                if schedule {
                    self.schedule_maintenance().await;
                }
                return refuse(e, rate);
            }
        };
        let Ok(connected) = decode_reply::<ConnectAgent>(&raw) else {
            console_error!("tenant object: undecodable ConnectAgent reply");
            return refuse(ApiError::internal(), rate);
        };
        let pair = WebSocketPair::new()?;
        let tag = socket_tag(&connected.agent_id);
        self.state
            .accept_websocket_with_tags(&pair.server, &[tag.as_str()]);
        pair.server.serialize_attachment(Attachment {
            agent: connected.agent_id.to_string(),
            at: super::platform_now().unix_ms(),
        })?;
        // `{"type":"ping"}` is answered by the platform without waking the object.
        if let Ok(pair) =
            WebSocketRequestResponsePair::new(r#"{"type":"ping"}"#, r#"{"type":"pong"}"#)
        {
            self.state.set_websocket_auto_response(&pair);
        }
        let sockets = self.state.get_websockets_with_tag(&tag);
        let at: Vec<i64> = sockets
            .iter()
            .map(|ws| attachment(ws).map_or(0, |a| a.at))
            .collect();
        for index in sockets_to_replace(&at) {
            if let Some(ws) = sockets.get(index).filter(|ws| **ws != pair.server) {
                close(ws, &Close::replaced());
            }
        }
        let server = &pair.server;
        server.send_with_str(hello_frame(
            &connected.agent_id,
            connected.heartbeat_interval_seconds,
        ))?;
        server.send_with_str(resync_frame())?;
        for command in &connected.commands {
            server.send_with_str(command_frame(command))?;
        }
        for job in &connected.jobs {
            server.send_with_str(job_frame(job))?;
        }
        if schedule {
            self.schedule_maintenance().await;
        }
        Response::from_websocket(pair.client)
    }

    /// Sends a command's pushes to the sockets they are for, and closes revoked agents'.
    pub(super) fn push(&self, pushes: Vec<Push>) {
        if pushes.is_empty() || self.state.get_websockets().is_empty() {
            return;
        }
        let resolved = match self.tenant.resolve_pushes(pushes) {
            Ok(resolved) => resolved,
            Err(e) => {
                console_error!("tenant object: resolve pushes: {}", e.message);
                return;
            }
        };
        for agent in &resolved.closes {
            for ws in self.state.get_websockets_with_tag(&socket_tag(agent)) {
                close(&ws, &Close::revoked());
            }
        }
        let mut delivered = Vec::new();
        for delivery in resolved.deliveries {
            let mut sent = false;
            for ws in self
                .state
                .get_websockets_with_tag(&socket_tag(&delivery.agent))
            {
                sent |= ws.send_with_str(&delivery.frame).is_ok();
            }
            if let (true, Some(id)) = (sent, delivery.command) {
                delivered.push(id);
            }
        }
        if let Err(e) = self.tenant.commands_delivered(&delivered) {
            console_error!("tenant object: mark commands delivered: {}", e.message);
        }
    }

    /// A frame from an agent: answered, or the socket closed with the reason.
    pub async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        let Some(agent) = attachment(&ws).and_then(|a| AgentId::parse(&a.agent).ok()) else {
            close(&ws, &Close::internal());
            return Ok(());
        };
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                close(&ws, &Close::binary());
                return Ok(());
            }
        };
        match parse_client_frame(&text).and_then(|frame| self.tenant.socket_frame(&agent, frame)) {
            Ok(reply) => ws.send_with_str(reply)?,
            Err(reason) => close(&ws, &reason),
        }
        Ok(())
    }

    /// The agent closed: the close is answered (the platform has already taken the socket
    /// out of the object's list).
    pub async fn websocket_close(&self, ws: WebSocket, code: usize) -> worker::Result<()> {
        // 1005 and 1006 are reported, never sent.
        let code = u16::try_from(code)
            .ok()
            .filter(|c| *c != 1005 && *c != 1006)
            .unwrap_or(1000);
        let _ = ws.close(Some(code), Some("closed"));
        Ok(())
    }
}
