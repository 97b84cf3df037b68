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
      shown = shownOnce(`Value of ${got.path}`, got.value, 30, () => {
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
