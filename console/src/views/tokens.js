// Tokens: mint one (scope, TTL, IP rules, uses), shown once; when its scope reaches secrets
// that need approval the answer is 202 and the page waits for the decision, then shows the
// token the first poll carries. The list (admins) and revocation, connected OAuth/MCP apps
// (grants) apart.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox, say } from "../dom.js";
import { shownOnce } from "./reveal.js";

const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const scopes = (scope) => [].concat(scope || []).join(" ");

export function tokensView(session) {
  const error = errorBox();
  const result = h("div", { id: "mint-result", "aria-live": "polite" });
  const rows = h("tbody");
  const listError = h("p", { class: "muted" });
  let shown = null;
  let polling = null;

  const form = h(
    "form",
    { class: "stack", id: "mint" },
    field("Scope", h("input", { name: "scope", required: true, spellcheck: "false", placeholder: "secrets:read:staging/*" }), "One or more scopes, space-separated"),
    field("TTL (seconds)", h("input", { name: "ttl_seconds", type: "number", min: "60", value: "3600", inputmode: "numeric" })),
    field("Description", h("input", { name: "description" })),
    field("Allowed IPs", h("input", { name: "allowed_ips", placeholder: "10.0.0.0/8" }), "Addresses or CIDR ranges, comma-separated; empty for any"),
    field("Max uses", h("input", { name: "max_uses", type: "number", min: "1", inputmode: "numeric" }), "Empty for no limit"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Mint token")),
    error,
  );

  function showToken(value, id) {
    if (shown) shown.hide();
    shown = shownOnce("New token", value, 60, () => {
      shown = null;
    });
    shown.el.id = "token-value";
    clear(result);
    result.append(h("p", { class: "ok" }, "Your token ", h("code", { id: "token-id" }, id), ", shown this once:"), shown.el);
  }

  function stopPolling() {
    if (polling) clearTimeout(polling);
    polling = null;
  }

  async function poll(id) {
    try {
      const view = await api.approval(id);
      if (view.status === "approved" && view.token && view.token.value) {
        stopPolling();
        showToken(view.token.value, view.token.id);
        loadList();
        return;
      }
      if (["denied", "expired", "cancelled"].includes(view.status)) {
        stopPolling();
        clear(result);
        result.append(h("p", { class: "error", id: "mint-outcome" }, `The request was ${view.status}.`));
        return;
      }
      const status = result.querySelector("#mint-status");
      if (status) status.textContent = `Waiting for approval: ${view.approvers.length} of ${view.required_approvals} (${view.status}).`;
    } catch (e) {
      error.textContent = e.message;
    }
    polling = setTimeout(() => poll(id), 2000);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    stopPolling();
    const v = values(form);
    const body = { scope: list(v.scope) };
    if (body.scope.length === 1) body.scope = body.scope[0];
    if (v.ttl_seconds) body.ttl_seconds = Number(v.ttl_seconds);
    if (v.description) body.description = v.description;
    if (v.allowed_ips) body.allowed_ips = list(v.allowed_ips);
    if (v.max_uses) body.max_uses = Number(v.max_uses);
    try {
      const minted = await api.mintToken(body);
      if (minted.value) {
        showToken(minted.value, minted.id);
        loadList();
      } else {
        clear(result);
        result.append(
          h("p", { id: "mint-pending" }, `Approval required (${minted.approval_request_id}). ${minted.message}`),
          h("p", { class: "muted", id: "mint-status" }, "Waiting for approval…"),
        );
        poll(minted.approval_request_id);
      }
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function loadList() {
    clear(rows);
    clear(apps);
    listError.textContent = "";
    try {
      const listed = await api.tokens();
      for (const t of listed.tokens || []) {
        if (t.oauth_client) {
          apps.append(appRow(t));
          continue;
        }
        const revoke = h("button", { type: "button", class: "danger", "data-token": t.id, "aria-label": `Revoke ${t.id}` }, "Revoke");
        revoke.addEventListener("click", async () => {
          try {
            await api.revokeToken(t.id);
            say(`Revoked ${t.id}.`);
            loadList();
          } catch (e) {
            listError.textContent = e.message;
          }
        });
        rows.append(
          h("tr", { "data-id": t.id }, h("td", {}, t.id, t.description ? h("div", { class: "muted" }, t.description) : null), h("td", {}, scopes(t.scope)), h("td", { class: "hide-narrow" }, when(t.expires_at)), h("td", { class: "hide-narrow" }, t.max_uses ? `${t.uses} / ${t.max_uses}` : String(t.uses)), h("td", { class: "state" }, t.revoked ? "revoked" : "active"), h("td", {}, t.revoked ? null : revoke)),
        );
      }
    } catch (e) {
      listError.textContent = e.status === 403 ? "Listing tokens needs the admin permission." : e.message;
    }
  }

  // An OAuth grant (an MCP client the person connected) is a token too: its own section,
  // revoked the same way (access and refresh both stop).
  const apps = h("tbody");
  function appRow(t) {
    const name = (t.description || "").replace(/^OAuth: /, "") || t.oauth_client;
    const revoke = h("button", { type: "button", class: "danger", "data-token": t.id, "aria-label": `Revoke ${name}` }, "Revoke");
    revoke.addEventListener("click", async () => {
      try {
        await api.revokeToken(t.id);
        say(`Revoked ${name}.`);
        loadList();
      } catch (e) {
        listError.textContent = e.message;
      }
    });
    return h("tr", { "data-id": t.id }, h("td", {}, h("strong", {}, name), h("div", { class: "muted" }, t.oauth_client)), h("td", { "data-label": "Scopes" }, scopes(t.scope), t.audience ? h("div", { class: "muted" }, `for ${t.audience}`) : null), h("td", { "data-label": "Connected" }, when(t.created_at)), h("td", { "data-label": "Last used" }, when(t.last_used_at)), h("td", { class: "state", "data-label": "State" }, t.revoked ? "revoked" : "active"), h("td", {}, t.revoked ? null : revoke));
  }

  loadList();
  const el = h(
    "section",
    {},
    h("h1", {}, "Tokens"),
    h("h2", {}, "Mint a token"),
    h("p", { class: "muted" }, `A token never reaches more than you do (${session.email}). A scope that reaches sensitive or critical secrets waits for approvers.`),
    form,
    result,
    h("h2", {}, "Tokens"),
    listError,
    h("div", { class: "table-wrap" }, h("table", { id: "tokens" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Token"), h("th", { scope: "col" }, "Scope"), h("th", { scope: "col", class: "hide-narrow" }, "Expires"), h("th", { scope: "col", class: "hide-narrow" }, "Uses"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    h("h2", {}, "Connected apps"),
    h("p", { class: "muted" }, "MCP and other OAuth clients people connected; each acts with the scopes its person consented to."),
    h("div", { class: "table-wrap" }, h("table", { id: "connected", class: "cards" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "App"), h("th", { scope: "col" }, "Scopes"), h("th", { scope: "col" }, "Connected"), h("th", { scope: "col" }, "Last used"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), apps)),
  );
  return {
    title: "Tokens",
    el,
    leave() {
      stopPolling();
      if (shown) shown.hide();
    },
  };
}
