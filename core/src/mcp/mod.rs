//! Latchkey as a remote MCP server (`/mcp`, Streamable HTTP, revision 2025-11-25): the
//! JSON-RPC framing, version negotiation and transport checks ([`protocol`]), and the tools,
//! their definitions and argument parsing ([`tools`]). Pure: the Worker's `mcp` module reads
//! the request, calls these, runs the tenant commands and writes the answer.

pub mod protocol;
pub mod tools;

#[cfg(test)]
mod tests;
