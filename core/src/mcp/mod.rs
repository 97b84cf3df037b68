//! Latchkey as a remote MCP server (`/mcp`, Streamable HTTP, revisions 2025-11-25 and
//! 2026-07-28): the JSON-RPC framing, version negotiation and transport checks ([`protocol`];
//! the 2026-07-28 lane's envelope and header checks in [`modern`]), and the tools,
//! their definitions and argument parsing ([`tools`]). Pure: the Worker's `mcp` module reads
//! the request, calls these, runs the tenant commands and writes the answer.

pub mod modern;
pub mod protocol;
pub mod tools;

#[cfg(test)]
mod tests;
