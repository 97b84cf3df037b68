"""Connects to Latchkey's /mcp the way claude.ai or ChatGPT would: the real MCP Python client's
OAuth (`OAuthClientProvider`), with no bearer to start with. Discovery from the 401, protected-
resource metadata, authorization-server metadata, dynamic client registration, authorize with
PKCE (a person signs in and consents in headless Chromium: tests/browser/consent.mjs), the code
exchange, then an MCP session. Then, by hand at the token endpoint: refresh with rotation, and
reuse of a spent refresh token (which ends the grant). Then a second grant for the same client,
ended with /oauth/revoke. Run by tests/e2e/oauth.rs; prints one JSON line of observations
(never a token: only prefixes and comparisons).

Env: MCP_URL, OAUTH_TENANT, OAUTH_EMAIL, OAUTH_PASSWORD (the person who consents),
OAUTH_REDIRECT (the client's redirect URI: nothing listens there, the browser catches it),
OAUTH_PREFIX (the namespace list_secrets lists), NODE (the node binary).
"""

import asyncio
import json
import os
import pathlib

import httpx2 as httpx
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

ROOT = pathlib.Path(__file__).resolve().parents[2]
MCP_URL = os.environ["MCP_URL"]
PROTOCOL = "2025-11-25"


class Memory(TokenStorage):
    """What a connector keeps between requests: the registration and the tokens."""

    def __init__(self, client: OAuthClientInformationFull | None = None):
        self.tokens: OAuthToken | None = None
        self.client = client

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Person:
    """The redirect handler opens the authorize URL in Chromium, where the person signs in and
    allows; the callback handler hands the client what reached its redirect URI."""

    def __init__(self):
        self.reports: list[dict] = []

    async def redirect(self, url: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            os.environ.get("NODE", "node"),
            str(ROOT / "tests/browser/consent.mjs"),
            url,
            os.environ["OAUTH_TENANT"],
            os.environ["OAUTH_EMAIL"],
            os.environ["OAUTH_PASSWORD"],
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"consent.mjs failed ({proc.returncode}): {out.decode()} {err.decode()}")
        report = json.loads(out.decode().strip().splitlines()[-1])
        report["authorize_url"] = url
        self.reports.append(report)

    async def callback(self) -> AuthorizationCodeResult:
        report = self.reports[-1]
        query = report.get("query") or {}
        if "code" not in query:
            raise RuntimeError(f"no code reached the redirect URI: {json.dumps(report)}")
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


def client_metadata() -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name="Latchkey e2e connector",
        redirect_uris=[os.environ["OAUTH_REDIRECT"]],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )


def prefix(token: str | None) -> str | None:
    """Which kind of token this is (`lk_tok_`, `lk_rt_`), never the token."""
    if not token:
        return None
    for known in ("lk_tok_", "lk_rt_", "lk_code_"):
        if token.startswith(known):
            return known
    return "other"


def dump(result) -> dict:
    return {
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
        "text": "".join(c.text for c in result.content if getattr(c, "text", None)),
    }


async def connect(provider: OAuthClientProvider, traffic: list, calls: bool) -> dict:
    """An MCP session through the provider: every request it makes (discovery, registration,
    token exchange, MCP) is recorded in `traffic`."""

    async def log(response: httpx.Response) -> None:
        request = response.request
        traffic.append(
            {
                "method": request.method,
                "url": str(request.url).split("?")[0],
                "status": response.status_code,
                "www_authenticate": response.headers.get("www-authenticate"),
                "has_bearer": "authorization" in request.headers,
            }
        )

    seen: dict = {}
    async with httpx.AsyncClient(auth=provider, event_hooks={"response": [log]}, timeout=120) as http:
        async with streamable_http_client(MCP_URL, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = await session.initialize()
                seen["protocol"] = str(init.protocol_version)
                listed = await session.list_tools()
                seen["tools"] = sorted(t.name for t in listed.tools)
                if calls:
                    seen["list_secrets"] = dump(
                        await session.call_tool("list_secrets", {"namespace": os.environ["OAUTH_PREFIX"]})
                    )
    return seen


async def mcp_status(http: httpx.AsyncClient, bearer: str) -> int:
    """The status of a bare tools/list with `bearer` (200 while the grant lives, then 401)."""
    reply = await http.post(
        MCP_URL,
        headers={
            "Authorization": f"Bearer {bearer}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": PROTOCOL,
        },
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    return reply.status_code


def form_reply(reply: httpx.Response) -> dict:
    try:
        body = reply.json()
    except ValueError:
        body = None
    out = {"status": reply.status_code, "content_type": reply.headers.get("content-type")}
    if isinstance(body, dict):
        out["error"] = body.get("error")
        out["keys"] = sorted(body)
        out["token_type"] = body.get("token_type")
        out["expires_in"] = body.get("expires_in")
        out["access_prefix"] = prefix(body.get("access_token"))
        out["refresh_prefix"] = prefix(body.get("refresh_token"))
    return out


async def main() -> None:
    out: dict = {}
    person = Person()

    # 1. The whole flow, driven by the client from one unauthenticated request.
    storage = Memory()
    provider = OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=client_metadata(),
        storage=storage,
        redirect_handler=person.redirect,
        callback_handler=person.callback,
    )
    traffic: list = []
    out.update(await connect(provider, traffic, calls=True))
    out["traffic"] = traffic
    out["consent"] = person.reports[-1] if person.reports else None
    metadata = provider.context.oauth_metadata
    prm = provider.context.protected_resource_metadata
    out["issuer"] = str(metadata.issuer) if metadata else None
    out["resource"] = str(prm.resource) if prm else None
    out["authorization_servers"] = [str(s) for s in prm.authorization_servers] if prm else None
    client = storage.client
    out["client"] = client.model_dump(mode="json", exclude_none=True) if client else None
    first = storage.tokens
    out["tokens"] = {
        "access_prefix": prefix(first.access_token),
        "refresh_prefix": prefix(first.refresh_token),
        "token_type": first.token_type,
        "expires_in": first.expires_in,
        "scope": first.scope,
    }
    token_url = str(metadata.token_endpoint)
    revoke_url = str(metadata.revocation_endpoint) if metadata.revocation_endpoint else None
    resource = provider.context.get_resource_url()

    async with httpx.AsyncClient(timeout=60) as http:

        async def refresh(refresh_token: str) -> httpx.Response:
            return await http.post(
                token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": client.client_id,
                    "resource": resource,
                },
            )

        # 2. Refresh with rotation, then reuse of the spent refresh token.
        rotation: dict = {"first_access_works": await mcp_status(http, first.access_token)}
        rotated = await refresh(first.refresh_token)
        rotation["refresh"] = form_reply(rotated)
        second_tokens = rotated.json() if rotated.status_code == 200 else {}
        at2, rt2 = second_tokens.get("access_token"), second_tokens.get("refresh_token")
        rotation["new_access_differs"] = bool(at2) and at2 != first.access_token
        rotation["new_refresh_differs"] = bool(rt2) and rt2 != first.refresh_token
        rotation["new_access_works"] = await mcp_status(http, at2) if at2 else None
        rotation["reuse"] = form_reply(await refresh(first.refresh_token))
        # The reuse ended the grant: the access and refresh tokens minted by the rotation die too.
        rotation["new_access_after_reuse"] = await mcp_status(http, at2) if at2 else None
        rotation["new_refresh_after_reuse"] = form_reply(await refresh(rt2)) if rt2 else None
        out["rotation"] = rotation

        # 3. A second grant for the same registered client (no second registration), ended by
        # revoking its refresh token at /oauth/revoke.
        storage2 = Memory(client)
        provider2 = OAuthClientProvider(
            server_url=MCP_URL,
            client_metadata=client_metadata(),
            storage=storage2,
            redirect_handler=person.redirect,
            callback_handler=person.callback,
        )
        traffic2: list = []
        second = await connect(provider2, traffic2, calls=False)
        revocation: dict = {"traffic": traffic2, "tools": second.get("tools")}
        tokens = storage2.tokens
        revocation["access_differs_from_first_grant"] = tokens.access_token not in (first.access_token, at2)
        revocation["access_works"] = await mcp_status(http, tokens.access_token)
        revocation["revoke_url"] = revoke_url
        if revoke_url:
            revoked = await http.post(
                revoke_url,
                data={"token": tokens.refresh_token, "token_type_hint": "refresh_token", "client_id": client.client_id},
            )
            revocation["revoke_status"] = revoked.status_code
            revocation["access_after_revoke"] = await mcp_status(http, tokens.access_token)
            revocation["refresh_after_revoke"] = form_reply(await refresh(tokens.refresh_token))
            unknown = await http.post(revoke_url, data={"token": "lk_rt_not-a-token", "client_id": client.client_id})
            revocation["revoke_unknown_status"] = unknown.status_code
        out["revocation"] = revocation
    print(json.dumps(out))


asyncio.run(main())
