//! The agent socket on the `/api/v1` face (issue 23): `GET /api/v1/agents/me/connect` and
//! `GET /api/v1/agents/{id}/connect`, with an agent JWT or `X-Agent-Secret`. The caller was
//! resolved before (`Caller`); the upgrade goes to the tenant object, which authenticates it
//! once, accepts the socket and answers the 101 this passes back.

use crate::http::Reply;
use crate::tenant_client::Caller;
use latchkey_contract::caller::socket::ConnectAgent;
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::socket::parse_since;
use worker::{Env, Request};

pub async fn connect(
    request: &Request,
    env: &Env,
    caller: &Caller,
    id: Option<AgentId>,
    pairs: &[(String, String)],
) -> Reply {
    let upgrade = request.headers().get("Upgrade").ok().flatten();
    if !upgrade.is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        let error = ApiError::invalid_request(
            "this route is a WebSocket: send GET with 'Upgrade: websocket' (see README, 'The agent socket')",
        )
        .with("field", "Upgrade");
        return Err(caller.refuse(env, error).await);
    }
    let since = match pairs.iter().find(|(name, _)| name == "since") {
        Some((_, text)) => match parse_since(text) {
            Ok(since) => Some(since),
            Err(e) => return Err(caller.refuse(env, e).await),
        },
        None => None,
    };
    // The object counts the tenant's open sockets itself.
    let command = ConnectAgent {
        id,
        since,
        sockets_open: 0,
    };
    caller.upgrade(env, command.into()).await
}
