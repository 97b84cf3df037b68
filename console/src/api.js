// The console's only way to the server: the public API, as the logged-in person. The session
// is an HttpOnly cookie this script cannot read; what it holds is the CSRF token the session
// response gave, in memory only (never storage, never the URL), sent on every call.
let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `request failed (${status})`);
    this.status = status;
    this.code = error.code || "error";
  }
}

export async function call(method, url, body, headers = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin", cache: "no-store" };
  if (csrf) init.headers["X-Latchkey-CSRF"] = csrf;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed);
    if (response.status === 401 && onExpired) onExpired(error);
    throw error;
  }
  return parsed;
}

let onExpired = null;
/** Called when a request answers 401 (the session ended: idle, lifetime, logout elsewhere). */
export function whenExpired(handler) {
  onExpired = handler;
}

/** `GET /v1/audit?format=jsonl…`: the text as it comes, for a download. */
export async function exportAudit(query) {
  const response = await fetch(`/v1/audit?${query}`, { headers: csrf ? { "X-Latchkey-CSRF": csrf } : {}, credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.text();
}

export async function resume() {
  const response = await fetch("/console/session", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return null;
  const session = await response.json();
  csrf = session.csrf_token;
  return session;
}

export async function logIn(tenant, email, password) {
  const session = await call("POST", "/console/session", { tenant, email, password });
  csrf = session.csrf_token;
  return session;
}

export async function logOut() {
  try {
    await call("DELETE", "/console/session");
  } finally {
    csrf = null;
  }
}

export function forget() {
  csrf = null;
}

/**
 * `GET /v1/events` (server-sent events) read with fetch: `EventSource` cannot send the CSRF
 * header the cookie needs. Calls `onEvent(type, event)` for each event until `signal` aborts
 * or the server ends the stream; resolves with the last event id seen.
 */
export async function tail(lastId, signal, onEvent) {
  const headers = { Accept: "text/event-stream" };
  if (csrf) headers["X-Latchkey-CSRF"] = csrf;
  if (lastId) headers["Last-Event-ID"] = lastId;
  const response = await fetch("/v1/events", { headers, signal, credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const error = new ApiError(response.status, body);
    if (response.status === 401 && onExpired) onExpired(error);
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = lastId;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) last = line.slice(4);
        else if (line.startsWith("event: ")) type = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data && type !== "end") {
        try {
          onEvent(type, JSON.parse(data));
        } catch {
          // Not JSON: nothing to show.
        }
      }
    }
  }
}

const enc = (path) => encodeURIComponent(path);

export const api = {
  listSecrets: (query) => call("GET", `/v1/secrets?${query}`),
  createSecret: (body) => call("POST", "/v1/secrets", body),
  readSecret: (path) => call("GET", `/v1/secrets/${enc(path)}`),
  versions: (path) => call("GET", `/v1/secrets/${enc(path)}/versions`),
  patch: (path, body, version) => call("PATCH", `/v1/secrets/${enc(path)}`, body, { "If-Match": String(version) }),
  rotate: (path, body) => call("POST", `/v1/secrets/${enc(path)}/rotate`, body),
  remove: (path) => call("DELETE", `/v1/secrets/${enc(path)}`),
  restore: (path) => call("POST", `/v1/secrets/${enc(path)}/restore`),
  audit: (query) => call("GET", `/v1/audit?${query}`),
  verify: () => call("GET", "/v1/audit/verify"),
  askRead: (body) => call("POST", "/v1/requests/read", body),
  requests: (status) => call("GET", status ? `/v1/requests?status=${enc(status)}` : "/v1/requests"),
  requestWraps: (id) => call("GET", `/v1/requests/${enc(id)}/wraps`),
  unwrap: (id, wrap) => call("GET", `/v1/requests/${enc(id)}/wraps/${enc(wrap)}`),
  approveAccess: (id, comment) => call("POST", `/v1/requests/${enc(id)}/approve`, comment ? { comment } : {}),
  rejectAccess: (id, reason) => call("POST", `/v1/requests/${enc(id)}/reject`, reason ? { reason } : {}),
  passwordRequests: (status) => call("GET", `/v1/admin/password-requests?status=${enc(status)}`),
  approvePassword: (id) => call("POST", `/v1/admin/password-requests/${enc(id)}/approve`, {}),
  rejectPassword: (id, reason) => call("POST", `/v1/admin/password-requests/${enc(id)}/reject`, reason ? { reason } : {}),
  users: () => call("GET", "/v1/users"),
  createUser: (body) => call("POST", "/v1/users", body),
  deleteUser: (id) => call("DELETE", `/v1/users/${enc(id)}`),
  roles: () => call("GET", "/v1/roles"),
  createRole: (body) => call("POST", "/v1/roles", body),
  setRolePermissions: (id, permissions) => call("PUT", `/v1/roles/${enc(id)}/permissions`, { permissions }),
  deleteRole: (id) => call("DELETE", `/v1/roles/${enc(id)}`),
  userRoles: () => call("GET", "/v1/user-roles"),
  assignRole: (user_id, role_id) => call("POST", "/v1/user-roles", { user_id, role_id }),
  unassignRole: (id) => call("DELETE", `/v1/user-roles/${enc(id)}`),
  agents: () => call("GET", "/v1/agents?per_page=100"),
  bootstrap: (body) => call("POST", "/v1/agents/bootstrap", body),
  revokeAgent: (id) => call("POST", `/v1/agents/${enc(id)}/revoke`),
  // The agents pages (fleet commands, discoveries, grants).
  queueCommand: (id, body) => call("POST", `/v1/agents/${enc(id)}/commands`, body),
  commands: (id) => call("GET", `/v1/agents/${enc(id)}/commands`),
  queueJob: (body) => call("POST", "/api/v1/jobs", body),
  importDiscovered: (agent, body) => call("POST", `/v1/agents/${enc(agent)}/discovery/import`, body),
  discovery: (id) => call("GET", `/v1/agents/${enc(id)}/discovery`),
  discovered: (query) => call("GET", `/api/v1/secrets?${query}`),
  grants: (agent) => call("GET", agent ? `/v1/grants?agent_id=${enc(agent)}` : "/v1/grants"),
  createGrant: (body) => call("POST", "/v1/grants", body),
  deleteGrant: (id) => call("DELETE", `/v1/grants/${enc(id)}`),
  mintToken: (body) => call("POST", "/v1/tokens", body),
  tokens: () => call("GET", "/v1/tokens"),
  revokeToken: (id) => call("DELETE", `/v1/tokens/${enc(id)}`),
  approval: (id) => call("GET", `/v1/approvals/${enc(id)}`),
  approvals: (status) => call("GET", `/v1/approvals?status=${enc(status)}`),
  approve: (id, comment) => call("POST", `/v1/approvals/${enc(id)}/approve`, comment ? { comment } : {}),
  deny: (id, reason) => call("POST", `/v1/approvals/${enc(id)}/deny`, reason ? { reason } : {}),
};
