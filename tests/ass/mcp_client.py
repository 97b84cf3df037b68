"""Drives the published @agentsecretstore/mcp 1.0.0 server, unchanged, over stdio with the
real MCP Python client (`mcp.client.stdio`), against Latchkey's agentsecretstore face:
tools/list, then every tool called. Run by tests/e2e/faces_ass.rs; prints one JSON line of
each tool's answer.

Env: ASS_NODE (Node 22), ASS_SERVER (the package's bin/run.js), ASS_API_URL (the runtime's
/ass base), ASS_AGENT_KEY (a master key), ASS_PREFIX (a namespace of this run), ASS_VALUE.
"""

import asyncio
import json
import os

from mcp import ClientSession, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client


def text_of(result):
    """A tool's answer: the JSON in its one text content."""
    if result.is_error:
        raise RuntimeError(f"tool error: {result.content}")
    (content,) = result.content
    return json.loads(content.text)


async def main():
    prefix = os.environ["ASS_PREFIX"]
    ns = f"{prefix}/mcp"
    server = StdioServerParameters(
        command=os.environ["ASS_NODE"],
        args=[os.environ["ASS_SERVER"]],
        env={
            "ASS_API_URL": os.environ["ASS_API_URL"],
            "ASS_AGENT_KEY": os.environ["ASS_AGENT_KEY"],
        },
    )
    out = {}
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            out["tools"] = sorted(tool.name for tool in listed.tools)

            async def call(name, arguments):
                return text_of(await session.call_tool(name, arguments))

            out["set_secret"] = await call(
                "set_secret",
                {
                    "namespace": ns,
                    "key": "OPENAI_API_KEY",
                    "value": os.environ["ASS_VALUE"],
                    "secret_type": "api_key",
                },
            )
            out["get_secret"] = await call(
                "get_secret", {"namespace": ns, "key": "OPENAI_API_KEY"}
            )
            out["list_secrets"] = await call("list_secrets", {"namespace": ns})
            out["list_namespaces"] = await call("list_namespaces", {})
            out["request_token"] = await call(
                "request_token", {"scopes": [f"secrets:read:{ns}/*"], "ttl": "15m"}
            )
            out["delete_secret"] = await call(
                "delete_secret", {"namespace": ns, "key": "OPENAI_API_KEY"}
            )
            out["rotate_secret"] = await call(
                "rotate_secret", {"namespace": ns, "key": "OPENAI_API_KEY"}
            )
            # A sensitive secret: a token that reads it waits for approval.
            await call(
                "set_secret",
                {
                    "namespace": f"{prefix}/vault",
                    "key": "STRIPE_KEY",
                    "value": os.environ["ASS_VALUE"],
                    "access_tier": "sensitive",
                },
            )
            out["approval_needed"] = await call(
                "request_token",
                {"scopes": [f"secrets:read:{prefix}/vault/STRIPE_KEY"], "ttl": "1h"},
            )
            out["get_approval_status"] = await call(
                "get_approval_status",
                {"approval_id": out["approval_needed"]["approval_id"]},
            )
            # An error's message comes from the answer's `detail`.
            try:
                result = await session.call_tool(
                    "get_secret", {"namespace": ns, "key": "NEVER_SET"}
                )
                out["missing"] = (
                    " ".join(c.text for c in result.content) if result.is_error else None
                )
            except MCPError as error:
                out["missing"] = str(error)
    print(json.dumps(out))


asyncio.run(main())
