// Access requests: ask for a secret one cannot read (a reason, how long); one's own requests,
// and when approved, their wraps, each retrieved once and shown like a revealed value. Others'
// pending requests the person may decide are in the approvals inbox.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox, say } from "../dom.js";
import { shownOnce } from "./reveal.js";

export function requestsView(session) {
  const error = errorBox();
  const mine = h("div", { id: "my-requests" });
  const shownArea = h("div", { id: "wrap-area", "aria-live": "polite" });
  let shown = null;

  const form = h(
    "form",
    { class: "stack", id: "ask" },
    field("Path", h("input", { name: "path", required: true, spellcheck: "false" })),
    field("Reason", h("input", { name: "reason", required: true })),
    field("Wrap valid for (seconds)", h("input", { name: "ttl_seconds", type: "number", min: "60", value: "600", inputmode: "numeric" })),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Ask for access")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(form);
    try {
      const made = await api.askRead({ path: v.path, reason: v.reason, ttl_seconds: Number(v.ttl_seconds || 600) });
      form.reset();
      say(`Asked (${made.id}); approvers decide.`);
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function retrieve(request, wrap) {
    error.textContent = "";
    try {
      const got = await api.unwrap(request.id, wrap.id);
      if (shown) shown.hide();
      shown = shownOnce(`Value of ${got.path || request.secret_id}`, got.value, 30, () => {
        shown = null;
      });
      shown.el.id = "wrapped-value";
      clear(shownArea);
      shownArea.append(shown.el);
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  /**
   * A discovered secret's value, carried by its agent, stored at a path without being shown:
   * retrieved once and written as the secret's fields (its keys), with the person's rights.
   */
  function storeForm(request, wrap) {
    const form = h(
      "form",
      { class: "row store", "aria-label": `Store ${request.secret_id} in Latchkey` },
      field("Store at path", h("input", { name: "path", required: true, spellcheck: "false", placeholder: "production/app/env" })),
      h("button", { type: "submit" }, "Store (retrieves it once)"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const path = values(form).path;
      let got = null;
      try {
        got = await api.unwrap(request.id, wrap.id);
      } catch (e) {
        error.textContent = e.status === 410 ? "That value was already retrieved." : e.message;
        return;
      }
      try {
        let fields = null;
        try {
          fields = JSON.parse(got.value);
        } catch {
          fields = null;
        }
        const body = { path, description: `Imported from discovered secret ${request.secret_id} (request ${request.id})` };
        if (fields && typeof fields === "object" && !Array.isArray(fields)) body.fields = fields;
        else body.value = got.value;
        fields = null;
        await api.createSecret(body);
        say(`Stored at ${path}.`);
        clear(shownArea);
        shownArea.append(h("p", { class: "ok", id: "imported" }, "Imported into ", h("a", { href: `#/secret/${encodeURIComponent(path)}` }, path), "."));
        load();
      } catch (e) {
        // The wrap is spent: rather than lose the value, show it once (like a revealed one)
        // so the person can store it elsewhere.
        error.textContent = `${e.message} The value was retrieved, so it is shown below once: copy it or store it at another path.`;
        if (shown) shown.hide();
        shown = shownOnce(`Value of ${request.secret_id}`, got.value, 60, () => {
          shown = null;
        });
        shown.el.id = "wrapped-value";
        clear(shownArea);
        shownArea.append(shown.el);
        load();
      } finally {
        got = null;
      }
    });
    return form;
  }

  async function load() {
    try {
      const listed = await api.requests();
      clear(mine);
      const own = listed.requests.filter((r) => r.requester_id.endsWith(session.user_id));
      if (!own.length) mine.append(h("p", { class: "muted" }, "You have asked for nothing yet."));
      for (const r of own) {
        const card = h(
          "article",
          { class: "panel", "data-request": r.id, "data-status": r.status },
          h("h3", {}, `${r.kind} ${r.path || r.secret_id}`),
          h("p", {}, h("span", { class: "request-status" }, r.status), ` · asked ${when(r.created_at)} · ${r.reason}`),
          r.execution ? h("p", { class: "muted" }, `On the agent's host: ${r.execution}`, r.execution_error ? ` (${r.execution_error})` : "") : null,
        );
        if (r.status === "approved" && r.kind === "read") {
          const wraps = await api.requestWraps(r.id).catch(() => ({ wraps: [] }));
          for (const w of wraps.wraps) {
            if (w.retrieved_at || w.status !== "available") {
              card.append(h("p", { class: "muted" }, `Wrap ${w.id}: ${w.status}`));
              continue;
            }
            const button = h("button", { type: "button", class: "retrieve" }, "Retrieve the value (once)");
            button.addEventListener("click", () => retrieve(r, w));
            card.append(h("div", { class: "row" }, button, h("span", { class: "muted" }, `until ${when(w.expires_at)}`)));
            if (r.secret_id) card.append(storeForm(r, w));
          }
        }
        mine.append(card);
      }
    } catch (e) {
      error.textContent = e.message;
    }
  }

  load();
  return {
    title: "Requests",
    el: h("section", {}, h("h1", {}, "Requests"), error, h("h2", {}, "Ask for access"), form, h("h2", {}, "Your requests"), shownArea, mine),
    leave() {
      if (shown) shown.hide();
    },
  };
}
