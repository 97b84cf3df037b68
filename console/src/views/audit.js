// The audit trail: filters, the cursor, and the chain's verification with a plain verdict.
import { api, tail, exportAudit } from "../api.js";
import { h, clear, field, values, when, errorBox } from "../dom.js";

const FILTERS = ["type", "namespace", "actor", "success"];

export function auditView(params) {
  const error = errorBox();
  const rows = h("tbody");
  const more = h("button", { type: "button", class: "quiet", hidden: true, id: "audit-more" }, "Older events");
  const verdict = h("div", { id: "verdict", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter events" },
    field("Type", h("input", { name: "type", value: params.get("type") || "", placeholder: "secret.read" })),
    field("Namespace", h("input", { name: "namespace", value: params.get("namespace") || "" })),
    field("Actor", h("input", { name: "actor", value: params.get("actor") || "" })),
    field("Outcome", h("select", { name: "success" }, ...[["", "any"], ["true", "succeeded"], ["false", "refused"]].map(([v, t]) => h("option", { value: v, selected: params.get("success") === v }, t)))),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    for (const [name, value] of Object.entries(values(form))) if (value) wanted.set(name, value);
    location.hash = `#/audit?${wanted}`;
  });

  async function load(cursor) {
    error.textContent = "";
    const q = new URLSearchParams();
    for (const name of FILTERS) if (params.get(name)) q.set(name, params.get(name));
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    try {
      const page = await api.audit(q);
      for (const e of page.events) {
        rows.append(
          h(
            "tr",
            { "data-type": e.type },
            h("td", {}, when(e.timestamp)),
            h("td", {}, e.type),
            h("td", {}, e.path || "—"),
            h("td", { class: "hide-narrow" }, e.actor_description ? `${e.actor} (${e.actor_description})` : e.actor),
            h("td", {}, e.success ? "ok" : `refused${e.reason ? `: ${e.reason}` : ""}`),
          ),
        );
      }
      more.hidden = !page.next_cursor;
      more.onclick = () => load(page.next_cursor);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  const verify = h("button", { type: "button", id: "verify" }, "Verify the chain");
  verify.addEventListener("click", async () => {
    clear(verdict);
    verify.disabled = true;
    try {
      const report = await api.verify();
      verdict.append(
        report.ok
          ? h("p", { class: "verdict ok" }, `Intact: all ${report.events_checked} events link up and match their hashes. Head ${report.head_hash.slice(0, 16)}…`)
          : h("p", { class: "verdict bad" }, `Broken: the chain fails at event ${report.first_bad_event_id} (after ${report.events_checked} events checked). Events were changed, removed or reordered.`),
      );
    } catch (e) {
      verdict.append(h("p", { class: "verdict bad" }, `Could not verify: ${e.message}`));
    } finally {
      verify.disabled = false;
    }
  });

  // The live tail: new events as they are recorded, newest first, until switched off or the
  // page is left.
  const live = h("tbody");
  const liveState = h("span", { class: "muted", id: "tail-state" }, "off");
  const tailButton = h("button", { type: "button", class: "quiet", id: "tail", "aria-pressed": "false" }, "Live tail");
  let controller = null;
  function row(e) {
    return h("tr", { "data-type": e.type }, h("td", {}, when(e.timestamp)), h("td", {}, e.type), h("td", {}, e.path || "—"), h("td", { class: "hide-narrow" }, e.actor_description ? `${e.actor} (${e.actor_description})` : e.actor), h("td", {}, e.success ? "ok" : "refused"));
  }
  async function follow() {
    let last = null;
    while (controller && !controller.signal.aborted) {
      liveState.textContent = "live";
      try {
        last = await tail(last, controller.signal, (_, e) => {
          live.prepend(row(e));
          while (live.children.length > 200) live.lastChild.remove();
        });
      } catch (e) {
        if (controller && !controller.signal.aborted) liveState.textContent = `stopped: ${e.message}`;
        return;
      }
    }
  }
  function stop() {
    if (controller) controller.abort();
    controller = null;
    tailButton.setAttribute("aria-pressed", "false");
    liveState.textContent = "off";
  }
  tailButton.addEventListener("click", () => {
    if (controller) return stop();
    controller = new AbortController();
    tailButton.setAttribute("aria-pressed", "true");
    follow();
  });

  const exportButton = h("button", { type: "button", class: "quiet", id: "export" }, "Export (JSON lines)");
  exportButton.addEventListener("click", async () => {
    error.textContent = "";
    const q = new URLSearchParams();
    for (const name of FILTERS) if (params.get(name)) q.set(name, params.get(name));
    q.set("format", "jsonl");
    q.set("limit", "1000");
    try {
      const text = await exportAudit(q);
      const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
      const link = h("a", { href: url, download: "audit.jsonl" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      error.textContent = e.message;
    }
  });

  load(null);
  const el = h(
    "section",
    {},
    h("h1", {}, "Audit"),
    h("div", { class: "row" }, verify, exportButton),
    verdict,
    h("h2", {}, "Live"),
    h("div", { class: "row" }, tailButton, liveState),
    h("div", { class: "table-wrap" }, h("table", { id: "live" }, h("caption", { class: "muted" }, "New events as they are recorded."), h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Event"), h("th", { scope: "col" }, "Path"), h("th", { scope: "col", class: "hide-narrow" }, "Actor"), h("th", { scope: "col" }, "Outcome"))), live)),
    h("h2", {}, "Trail"),
    form,
    error,
    h(
      "div",
      { class: "table-wrap" },
      h("table", { id: "events" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Event"), h("th", { scope: "col" }, "Path"), h("th", { scope: "col", class: "hide-narrow" }, "Actor"), h("th", { scope: "col" }, "Outcome"))), rows),
    ),
    more,
  );
  return { title: "Audit", el, leave: stop };
}
