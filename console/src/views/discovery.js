// What the agents discovered on their hosts, for review (seed 000: certificates "shown in the
// web interface for review"): certificates with their expiry, SSH keys, and the secrets an
// agent inventoried (seed 001's `GET /api/v1/secrets`). Metadata only: discovery never holds
// a certificate's or a key's material, nor a secret's value.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox } from "../dom.js";
import { agentTabs, fleet, agentPicker, nameOf } from "./fleet.js";

const DAY_MS = 86400000;
const SOON_DAYS = 30;
const TYPES = [["", "all"], ["certificates", "certificates"], ["ssh", "SSH keys"], ["secrets", "secrets"]];
const WITHIN = [["", "any time"], ["expired", "already expired"], ["30", "30 days"], ["90", "90 days"]];

/** Days from now to `text` (negative once past, a part day counted whole), or null. */
function daysLeft(text) {
  const left = new Date(text).getTime() - Date.now();
  if (Number.isNaN(left)) return null;
  return left < 0 ? Math.floor(left / DAY_MS) : Math.ceil(left / DAY_MS);
}

/** The expiry, highlighted in words (not by colour alone) when past or near. */
function expiry(text) {
  const days = daysLeft(text);
  if (days === null) return text;
  if (days < 0) return h("span", { class: "tier tier-critical expiry", "data-expiry": "expired" }, `expired ${when(text)}`);
  if (days <= SOON_DAYS) return h("span", { class: "tier tier-sensitive expiry", "data-expiry": "soon" }, `in ${days} day${days === 1 ? "" : "s"} (${when(text)})`);
  return h("span", { class: "expiry", "data-expiry": "later" }, when(text));
}

function table(id, caption, heads, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id, class: "review" },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, heads.map(([text, narrow]) => h("th", { scope: "col", class: narrow ? "hide-narrow" : null }, text)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: String(heads.length), class: "muted" }, "None found."))),
    ),
  );
}

export function discoveryView(params) {
  const agent = params.get("agent") || "";
  const type = params.get("type") || "";
  const within = params.get("within") || "";
  const error = errorBox();
  const body = h("div", { id: "discoveries", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  const detail = h("section", { id: "discovery-detail", class: "panel", hidden: true, "aria-labelledby": "detail-title", tabindex: "-1" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter discoveries" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    for (const [name, value] of Object.entries(values(form))) if (value) wanted.set(name, value);
    location.hash = `#/agents/discovery?${wanted}`;
  });

  /**
   * Importing an inventoried secret: its value is on the agent's host, so it is asked for like
   * any access request (approved by someone else, then read by the agent that holds it); once
   * carried out, the Requests page stores it at a path.
   */
  function importForm(secret) {
    const form = h(
      "form",
      { class: "stack", id: "import" },
      h("h3", {}, "Import into Latchkey"),
      h("p", { class: "muted" }, "The value stays on the host until an approver agrees; then the agent reads it and you store it at a path from the Requests page."),
      field("Reason", h("input", { name: "reason", required: true })),
      h("div", { class: "row" }, h("button", { type: "submit" }, "Ask to import")),
    );
    const said = h("p", { id: "import-result", "aria-live": "polite" });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const made = await api.askRead({ secret_id: secret.id, reason: values(form).reason });
        clear(said);
        said.append(h("span", { class: "ok" }, `Asked (${made.id}). Once it is approved and carried out, store it from `), h("a", { href: "#/requests" }, "Requests"), ".");
        form.reset();
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return [form, said];
  }

  /**
   * Taking a reported certificate or SSH key under management (`POST
   * /v1/agents/{id}/discovery/import`): recorded once with who and when; an imported
   * certificate is then one of its agent's assigned certificates. Nothing is copied: discovery
   * holds no key material.
   */
  function manageForm(kind, item) {
    const said = h("p", { id: "manage-result", "aria-live": "polite" });
    if (item.imported_at) {
      said.append(`Under management since ${when(item.imported_at)} (imported by ${item.imported_by}).`);
      return [said];
    }
    const button = h("button", { type: "button", id: "manage" }, "Import under management");
    button.addEventListener("click", async () => {
      error.textContent = "";
      try {
        const done = await api.importDiscovered(item.agent_id, { kind, fingerprint: item.fingerprint });
        button.remove();
        clear(said);
        said.append(h("span", { class: "ok" }, `Imported ${when(done.imported_at)}: now managed.`));
        // The listing says so too, without drawing the page again.
        item.imported_at = done.imported_at;
        item.imported_by = done.imported_by;
        const cell = body.querySelector(`tr[data-fingerprint="${CSS.escape(item.fingerprint)}"] .managed`);
        if (cell) cell.textContent = "imported";
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return [h("div", { class: "row" }, button), said];
  }

  function show(title, pairs, extra, opener) {
    clear(detail);
    const close = h("button", { type: "button", class: "quiet" }, "Close");
    close.addEventListener("click", () => {
      detail.hidden = true;
      // Back where the person was.
      if (opener && opener.isConnected) opener.focus();
    });
    detail.append(
      h("h2", { id: "detail-title" }, title),
      h("dl", { class: "meta" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      ...(extra || []),
      h("div", { class: "row" }, close),
    );
    detail.hidden = false;
    detail.focus();
  }

  function opener(label, title, pairs, extra) {
    const button = h("button", { type: "button", class: "quiet", "aria-label": `Details of ${label}` }, "Details");
    button.addEventListener("click", () => show(title, pairs, extra && extra(), button));
    return button;
  }

  async function load() {
    let agents = [];
    try {
      agents = await fleet();
    } catch (e) {
      clear(body);
      error.textContent = e.status === 403 ? "Discoveries need the agents:admin permission." : e.message;
      return;
    }
    form.append(
      field("Agent", agentPicker(agents, agent, false)),
      field("Type", h("select", { name: "type" }, TYPES.map(([v, t]) => h("option", { value: v, selected: v === type }, t)))),
      field("Certificates expiring", h("select", { name: "within" }, WITHIN.map(([v, t]) => h("option", { value: v, selected: v === within }, t)))),
      h("button", { type: "submit" }, "Filter"),
    );
    const wanted = (kind) => !type || type === kind;
    const certs = [];
    const keys = [];
    let secrets = [];
    try {
      const reach = agent ? agents.filter((a) => a.id === agent) : agents;
      if (wanted("certificates") || (wanted("ssh") && !within)) {
        const found = await Promise.all(reach.map((a) => api.discovery(a.id)));
        for (const d of found) {
          for (const c of d.certificates || []) certs.push({ ...c, agent_id: d.agent_id });
          for (const k of d.ssh_keys || []) keys.push({ ...k, agent_id: d.agent_id });
        }
      }
      if (wanted("secrets") && !within) {
        const page = await api.discovered("limit=200");
        secrets = (page.secrets || []).filter((s) => !agent || s.agent_id === agent);
      }
    } catch (e) {
      error.textContent = e.message;
    }
    const shown = certs
      .filter((c) => {
        const days = daysLeft(c.not_after);
        if (within === "expired") return days !== null && days < 0;
        if (within) return days !== null && days <= Number(within);
        return true;
      })
      .sort((a, b) => String(a.not_after).localeCompare(String(b.not_after)));
    clear(body);
    if (wanted("certificates")) {
      body.append(
        h("h2", {}, `Certificates (${shown.length})`),
        table(
          "discovered-certificates",
          "Discovered certificates, soonest expiry first",
          [["Subject"], ["Agent", true], ["Expires"], ["Location", true], ["Managed", true], [h("span", { class: "sr-only" }, "Details")]],
          shown.map((c) =>
            h(
              "tr",
              { "data-fingerprint": c.fingerprint },
              h("td", {}, c.subject),
              h("td", { class: "hide-narrow" }, nameOf(agents, c.agent_id)),
              h("td", {}, expiry(c.not_after)),
              h("td", { class: "hide-narrow" }, c.location || "—"),
              h("td", { class: "hide-narrow managed" }, c.imported_at ? "imported" : c.is_managed ? "yes" : "no"),
              h(
                "td",
                {},
                opener(c.subject, `Certificate ${c.subject}`, [
                  ["Subject", c.subject],
                  ["Issuer", c.issuer],
                  ["Serial number", c.serial_number],
                  ["Valid from", when(c.not_before)],
                  ["Valid until", expiry(c.not_after)],
                  ["Fingerprint", c.fingerprint],
                  ["DNS names", (c.dns_names || []).join(", ")],
                  ["IP addresses", (c.ip_addresses || []).join(", ")],
                  ["Location", c.location],
                  ["Source", c.source],
                  ["Managed by the agent", c.is_managed ? "yes" : "no"],
                  ["Imported", c.imported_at ? `${when(c.imported_at)} by ${c.imported_by}` : null],
                  ["Agent", nameOf(agents, c.agent_id)],
                  ["First seen", when(c.first_seen)],
                  ["Last seen", when(c.last_seen)],
                ], () => manageForm("certificate", c)),
              ),
            ),
          ),
        ),
      );
    }
    if (wanted("ssh") && !within) {
      body.append(
        h("h2", {}, `SSH keys (${keys.length})`),
        table(
          "discovered-ssh-keys",
          "Discovered SSH keys",
          [["Fingerprint"], ["Key"], ["Agent", true], ["Location", true], [h("span", { class: "sr-only" }, "Details")]],
          keys.map((k) =>
            h(
              "tr",
              { "data-fingerprint": k.fingerprint },
              h("td", {}, k.fingerprint),
              h("td", {}, [k.key_type, k.bits ? `${k.bits} bits` : null].filter(Boolean).join(", "), k.kind ? h("div", { class: "muted" }, k.kind) : null),
              h("td", { class: "hide-narrow" }, nameOf(agents, k.agent_id)),
              h("td", { class: "hide-narrow" }, [k.user, k.location].filter(Boolean).join(" · ") || "—"),
              h(
                "td",
                {},
                opener(k.fingerprint, `SSH key ${k.fingerprint}`, [
                  ["Fingerprint", k.fingerprint],
                  ["Type", k.key_type],
                  ["Bits", k.bits],
                  ["Kind", k.kind],
                  ["Comment", k.comment],
                  ["User", k.user],
                  ["Location", k.location],
                  ["Imported", k.imported_at ? `${when(k.imported_at)} by ${k.imported_by}` : null],
                  ["Agent", nameOf(agents, k.agent_id)],
                  ["First seen", when(k.first_seen)],
                  ["Last seen", when(k.last_seen)],
                ], () => manageForm("ssh_key", k)),
              ),
            ),
          ),
        ),
      );
    }
    if (wanted("secrets") && !within) {
      body.append(
        h("h2", {}, `Secrets (${secrets.length})`),
        table(
          "discovered-secrets",
          "Secrets the agents inventoried (names only)",
          [["Reference"], ["Where"], ["Agent", true], ["Status", true], [h("span", { class: "sr-only" }, "Details")]],
          secrets.map((s) =>
            h(
              "tr",
              { "data-id": s.id },
              h("td", {}, s.ref),
              h("td", {}, `${s.provider} · ${s.cluster_name}`),
              h("td", { class: "hide-narrow" }, nameOf(agents, s.agent_id)),
              h("td", { class: "hide-narrow" }, s.status),
              h(
                "td",
                {},
                opener(s.ref, `Secret ${s.ref}`, [
                  ["Reference", s.ref],
                  ["Provider", s.provider],
                  ["Cluster", s.cluster_name],
                  ["Keys", (s.key_names || []).join(", ")],
                  ["Labels", Object.entries(s.labels || {}).map(([k, v]) => `${k}:${v}`).join(", ")],
                  ["Status", s.status],
                  ["Agent", nameOf(agents, s.agent_id)],
                  ["First seen", when(s.first_seen_at)],
                  ["Last seen", when(s.last_seen_at)],
                ], () => importForm(s)),
              ),
            ),
          ),
        ),
      );
    }
    // Which filters the lists answer (a test waits for its own).
    body.dataset.loaded = params.toString();
  }

  load();
  const el = h(
    "section",
    {},
    h("h1", {}, "Discovered on hosts"),
    agentTabs("#/agents/discovery"),
    h("p", { class: "muted" }, "What the agents found on their hosts, for review: metadata only (no certificate, key or secret material). A certificate or SSH key can be imported under management from its details (an imported certificate is assigned to its agent); an inventoried secret can be imported into a Latchkey path (its details say how)."),
    error,
    form,
    detail,
    body,
  );
  return { title: "Discovered", el };
}
