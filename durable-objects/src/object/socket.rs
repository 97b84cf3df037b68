//! Agent sockets on the platform (issue 23): the tenant object accepts each with the
//! hibernation API (`acceptWebSocket` with the agent's tag and its connect time as tags), so an idle
//! socket costs nothing and the object finds an agent's sockets again after it was evicted.
//! The upgrade runs one command (`ConnectAgent`: authentication, then catch-up); frames are
//! answered by [`Tenant::socket_frame`](crate::tenant::Tenant::socket_frame); pushes come from
//! each command's [`Answered::pushes`](crate::tenant::Answered::pushes).

use super::TenantHost;
use crate::agents::socket::Push;
use latchkey_contract::caller::socket::{ConnectAgent, SocketCommand};
use latchkey_contract::{SOCKET_REQUEST_HEADER, TenantRequest, TenantResponse, decode_reply};
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::socket::{Close, parse_client_frame, socket_tag, sockets_to_replace};
use worker::wasm_bindgen::JsValue;
use worker::{
    Request, Response, WebSocket, WebSocketIncomingMessage, WebSocketPair,
    WebSocketRequestResponsePair, console_error,
};

/// The tag holding when a socket connected: with the agent's tag (`socket_tag`) it is all a
/// socket carries through hibernation, so the oldest of an agent's sockets closes first.
const AT_PREFIX: &str = "at:";

/// The calls below use the platform's state directly, not `State`'s wrappers: those unwrap,
/// and a panic would abort every request in flight in the isolate.
fn sockets(state: &worker::State, tag: Option<&str>) -> Vec<WebSocket> {
    let raw = state.as_raw();
    let found = match tag {
        Some(tag) => raw.get_websockets_with_tag(tag),
        None => raw.get_websockets(),
    };
    match found {
        Ok(found) => found.into_iter().map(WebSocket::from).collect(),
        Err(e) => {
            console_error!("tenant object: list sockets: {e:?}");
            Vec::new()
        }
    }
}

/// The agent a socket belongs to and when it connected, from its tags.
fn tagged(state: &worker::State, ws: &WebSocket) -> (Option<AgentId>, i64) {
    let tags = state.as_raw().get_tags(ws.as_ref()).unwrap_or_default();
    let agent = tags
        .iter()
        .find_map(|t| t.strip_prefix("agent:"))
        .and_then(|id| AgentId::parse(id).ok());
    let at = tags
        .iter()
        .find_map(|t| t.strip_prefix(AT_PREFIX))
        .and_then(|at| at.parse().ok())
        .unwrap_or(0);
    (agent, at)
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
    /// An agent's upgrade: the `ConnectAgent` command it carries, with the tenant's open
    /// sockets counted (authentication, rate limit, the tenant's socket limit, audit,
    /// catch-up), then the socket, accepted and
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
        let mut decoded = decoded;
        if let latchkey_contract::Channel::Caller {
            command:
                Some(latchkey_contract::CallerCommand::Socket(SocketCommand::ConnectAgent(connect))),
            ..
        } = &mut decoded.channel
        {
            connect.sockets_open = sockets(&self.state, None).len();
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
        let at = format!("{AT_PREFIX}{}", super::platform_now().unix_ms());
        let tags = vec![JsValue::from_str(&tag), JsValue::from_str(&at)];
        if let Err(e) = self
            .state
            .as_raw()
            .accept_websocket_with_tags(pair.server.as_ref(), tags)
        {
            console_error!("tenant object: accept a socket: {e:?}");
            return refuse(ApiError::internal(), rate);
        }
        // `{"type":"ping"}` is answered by the platform without waking the object.
        if let Ok(pair) =
            WebSocketRequestResponsePair::new(r#"{"type":"ping"}"#, r#"{"type":"pong"}"#)
        {
            let _ = self.state.as_raw().set_websocket_auto_response(&pair);
        }
        let agent_sockets = sockets(&self.state, Some(&tag));
        let connected_at: Vec<i64> = agent_sockets
            .iter()
            .map(|ws| tagged(&self.state, ws).1)
            .collect();
        for index in sockets_to_replace(&connected_at) {
            if let Some(ws) = agent_sockets.get(index).filter(|ws| **ws != pair.server) {
                close(ws, &Close::replaced());
            }
        }
        for frame in &connected.frames {
            pair.server.send_with_str(frame)?;
        }
        if schedule {
            self.schedule_maintenance().await;
        }
        Response::from_websocket(pair.client)
    }

    /// Sends a command's pushes to the sockets they are for, and closes revoked agents'.
    pub(super) fn push(&self, pushes: Vec<Push>) {
        if pushes.is_empty() || sockets(&self.state, None).is_empty() {
            return;
        }
        let resolved = match self.tenant.resolve_pushes(pushes) {
            Ok(resolved) => resolved,
            Err(e) => {
                console_error!("tenant object: resolve pushes: {}", e.message);
                return;
            }
        };
        for (agent, why) in &resolved.closes {
            for ws in sockets(&self.state, Some(&socket_tag(agent))) {
                close(&ws, why);
            }
        }
        let mut delivered = Vec::new();
        for delivery in resolved.deliveries {
            let mut sent = false;
            for ws in sockets(&self.state, Some(&socket_tag(&delivery.agent))) {
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
        let Some(agent) = tagged(&self.state, &ws).0 else {
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
