"""Drives Latchkey's /mcp with the real MCP Python client (Streamable HTTP, a bearer).
Run by tests/e2e/mcp.rs; prints one JSON line.

MCP_MODE=legacy (default): `ClientSession.initialize()`, the 2025-11-25 handshake, then
tools/list and every tool. MCP_MODE=auto: the SDK's `Client`, which probes `server/discover`
and stays on 2026-07-28 when the server answers it; tools/list, list_secrets, describe_secret
and, when MCP_APPROVAL is set, check_approval on that approval.

Env: MCP_URL, MCP_BEARER (a master key), MCP_PREFIX (a namespace of this run), MCP_VALUE (the
value stored at $MCP_PREFIX/echo/key, usable against MCP_ECHO), MCP_ECHO (the echo base URL).
"""

import asyncio
import json
import os

import httpx2 as httpx
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client


def dump(result):
    return {
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
        "text": "".join(c.text for c in result.content if getattr(c, "text", None)),
    }


async def main():
    prefix = os.environ["MCP_PREFIX"]
    headers = {"Authorization": f"Bearer {os.environ['MCP_BEARER']}"}
    out = {}
    async with httpx.AsyncClient(headers=headers) as http:
        async with streamable_http_client(os.environ["MCP_URL"], http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                out["protocol"] = str(init.protocol_version)
                listed = await session.list_tools()
                out["tools"] = sorted(t.name for t in listed.tools)

                async def call(name, args):
                    out[name] = dump(await session.call_tool(name, args))

                await call("set_secret", {"path": f"{prefix}/app/db", "value": os.environ["MCP_VALUE"] + "-db"})
                await call("generate_secret", {"path": f"{prefix}/app/gen", "length": 24})
                await call("list_secrets", {"namespace": prefix})
                await call("describe_secret", {"path": f"{prefix}/echo/key"})
                await call("list_namespaces", {})
                await call("rotate_secret", {"path": f"{prefix}/app/gen"})
                await call("get_secret", {"path": f"{prefix}/app/db"})
                await call("call_api", {
                    "method": "GET",
                    "url": os.environ["MCP_ECHO"] + "/echo/mcp?k={{K}}",
                    "headers": {"Authorization": "Bearer {{K}}"},
                    "secrets": {"K": f"{prefix}/echo/key"},
                })
                await call("request_access", {"scope": [f"secrets:use:{prefix}/vault/*"], "ttl_seconds": 600, "reason": "mcp test"})
                approval = (out["request_access"]["structured"] or {}).get("approval_id")
                if approval:
                    await call("check_approval", {"approval_id": approval})
                out["bad_args"] = dump(await session.call_tool("describe_secret", {"path": f"{prefix}/nothing-here"}))
    print(json.dumps(out))


async def auto():
    prefix = os.environ["MCP_PREFIX"]
    headers = {"Authorization": f"Bearer {os.environ['MCP_BEARER']}"}
    out = {}
    async with httpx.AsyncClient(headers=headers) as http:
        transport = streamable_http_client(os.environ["MCP_URL"], http_client=http)
        async with Client(transport) as client:
            out["protocol"] = str(client.protocol_version)
            listed = await client.list_tools()
            out["tools"] = sorted(t.name for t in listed.tools)
            out["list_secrets"] = dump(await client.call_tool("list_secrets", {"namespace": prefix}))
            out["describe_secret"] = dump(await client.call_tool("describe_secret", {"path": f"{prefix}/echo/key"}))
            approval = os.environ.get("MCP_APPROVAL")
            if approval:
                out["check_approval"] = dump(await client.call_tool("check_approval", {"approval_id": approval}))
    print(json.dumps(out))


asyncio.run(auto() if os.environ.get("MCP_MODE") == "auto" else main())
