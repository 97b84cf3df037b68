// Agents: the fleet (online, degraded, offline, labels, last heartbeat), refreshed while the
// page is open, and a bootstrap token generated for new hosts (seed 000's "Settings → Agents →
// Generate Bootstrap Token"), shown once.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox, say } from "../dom.js";
import { shownOnce } from "./reveal.js";
import { agentTabs } from "./fleet.js";

const REFRESH_MS = 5000;

function labels(text) {
  const out = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf("=");
    if (at < 1) throw new Error(`label '${part}' must read key=value`);
    out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export function agentsView() {
  const error = errorBox();
  const rows = h("tbody");
  const result = h("div", { id: "bootstrap-result", "aria-live": "polite" });
  let shown = null;
  let timer = null;

  const form = h(
    "form",
    { class: "stack", id: "bootstrap" },
    field("Valid for (seconds)", h("input", { name: "ttl_seconds", type: "number", min: "60", value: "3600", inputmode: "numeric" })),
    field("Registrations", h("input", { name: "max_registrations", type: "number", min: "1", value: "1", inputmode: "numeric" })),
    field("Labels", h("input", { name: "labels", placeholder: "environment=production" }), "key=value pairs, comma-separated; every agent it registers gets them"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Generate bootstrap token")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(form);
    try {
      const body = { ttl_seconds: Number(v.ttl_seconds || 3600), max_registrations: Number(v.max_registrations || 1) };
      if (v.labels) body.labels = labels(v.labels);
      const made = await api.bootstrap(body);
      if (shown) shown.hide();
      shown = shownOnce("Bootstrap token", made.token, 120, () => {
        shown = null;
      });
      shown.el.id = "bootstrap-token";
      clear(result);
      result.append(h("p", { class: "ok" }, `Bootstrap token ${made.id}, until ${when(made.expires_at)}. Give it to the host's agent; it is shown this once.`), shown.el);
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function load() {
    try {
      const listed = await api.agents();
      clear(rows);
      for (const a of listed.data || []) {
        const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${a.name}` }, "Revoke");
        revoke.addEventListener("click", async () => {
          try {
            await api.revokeAgent(a.id);
            say(`Revoked ${a.name}.`);
            load();
          } catch (e) {
            error.textContent = e.message;
          }
        });
        rows.append(
          h("tr", { "data-agent": a.name }, h("td", {}, a.name, a.hostname ? h("div", { class: "muted" }, a.hostname) : null), h("td", { class: "agent-status" }, a.revoked ? "revoked" : a.status, a.status_reason ? h("div", { class: "muted" }, a.status_reason) : null), h("td", { class: "hide-narrow" }, Object.entries(a.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "—"), h("td", {}, when(a.last_heartbeat)), h("td", {}, a.revoked ? null : revoke)),
        );
      }
      if (!rows.children.length) rows.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No agents yet.")));
    } catch (e) {
      error.textContent = e.status === 403 ? "The fleet needs the agents:admin permission." : e.message;
    }
    timer = setTimeout(load, REFRESH_MS);
  }

  load();
  const el = h(
    "section",
    {},
    h("h1", {}, "Agents"),
    agentTabs("#/agents"),
    error,
    h("h2", {}, "Fleet"),
    h("div", { class: "table-wrap" }, h("table", { id: "fleet" }, h("caption", { class: "muted" }, "Refreshed every few seconds."), h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Agent"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col", class: "hide-narrow" }, "Labels"), h("th", { scope: "col" }, "Last heartbeat"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    h("h2", {}, "Add a host"),
    form,
    result,
  );
  return {
    title: "Agents",
    el,
    leave() {
      clearTimeout(timer);
      if (shown) shown.hide();
    },
  };
}
