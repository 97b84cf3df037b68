// The approvals inbox: token requests the person may decide, with what the review page shows
// (who asks, for what scope, how far it reaches, the decisions so far), then approve or deny.
import { api } from "../api.js";
import { h, clear, field, when, errorBox, say } from "../dom.js";

const scopes = (scope) => [].concat(scope || []).join(" ");

export function approvalsView(session) {
  const me = session.user_id;
  const error = errorBox();
  const items = h("div", { id: "inbox" });

  function card(a) {
    const note = h("input", { name: "note", id: `note-${a.id}` });
    const approve = h("button", { type: "button", class: "approve" }, "Approve");
    const deny = h("button", { type: "button", class: "danger" }, "Deny");
    const decide = async (run, done) => {
      error.textContent = "";
      try {
        await run(note.value.trim());
        say(done);
        load();
      } catch (e) {
        error.textContent = e.message;
      }
    };
    approve.addEventListener("click", () => decide((c) => api.approve(a.id, c), `Approved ${a.id}.`));
    deny.addEventListener("click", () => decide((c) => api.deny(a.id, c), `Denied ${a.id}.`));
    return h(
      "article",
      { class: "panel", "data-approval": a.id, "aria-labelledby": `title-${a.id}` },
      h("h2", { id: `title-${a.id}` }, `${a.requester_description || a.requester} asks for a token`),
      h(
        "dl",
        { class: "meta" },
        h("dt", {}, "Requester"), h("dd", {}, a.requester),
        h("dt", {}, "Scope"), h("dd", {}, scopes(a.request.scope)),
        h("dt", {}, "Reaches"), h("dd", {}, `${a.secrets_reached} secret(s), up to ${a.tier}`),
        h("dt", {}, "TTL"), h("dd", {}, a.request.ttl_seconds ? `${a.request.ttl_seconds} s` : "default"),
        h("dt", {}, "Approvals"), h("dd", {}, `${a.approvers.length} of ${a.required_approvals}`),
        h("dt", {}, "Expires"), h("dd", {}, when(a.expires_at)),
      ),
      h("div", { class: "row" }, field("Note", note), approve, deny),
    );
  }

  // Others' access requests (a secret's read or change), decided here too.
  function requestCard(r) {
    const note = h("input", { name: "note", id: `note-${r.id}` });
    const approve = h("button", { type: "button", class: "approve" }, "Approve");
    const reject = h("button", { type: "button", class: "danger" }, "Reject");
    const decide = async (run, done) => {
      error.textContent = "";
      try {
        await run(note.value.trim());
        say(done);
        load();
      } catch (e) {
        error.textContent = e.message;
      }
    };
    approve.addEventListener("click", () => decide((c) => api.approveAccess(r.id, c), `Approved ${r.id}.`));
    reject.addEventListener("click", () => decide((c) => api.rejectAccess(r.id, c), `Rejected ${r.id}.`));
    return h(
      "article",
      { class: "panel", "data-request": r.id, "aria-labelledby": `title-${r.id}` },
      h("h2", { id: `title-${r.id}` }, `${r.requester_id} asks to ${r.kind} ${r.path || r.secret_id}`),
      h(
        "dl",
        { class: "meta" },
        h("dt", {}, "Reason"), h("dd", {}, r.reason),
        h("dt", {}, "Tier"), h("dd", {}, r.tier || "—"),
        h("dt", {}, "Approvals"), h("dd", {}, `${r.approvals.length} of ${r.required_approvals ?? "?"}`),
        h("dt", {}, "Expires"), h("dd", {}, when(r.expires_at)),
      ),
      h("div", { class: "row" }, field("Note", note), approve, reject),
    );
  }

  async function load() {
    clear(items);
    try {
      const [listed, asked] = await Promise.all([api.approvals("pending"), api.requests("pending").catch(() => ({ requests: [] }))]);
      const others = asked.requests.filter((r) => !r.requester_id.endsWith(me));
      if (!listed.approvals.length && !others.length) items.append(h("p", { class: "muted", id: "inbox-empty" }, "Nothing waits for your decision."));
      for (const a of listed.approvals) items.append(card(a));
      for (const r of others) items.append(requestCard(r));
    } catch (e) {
      error.textContent = e.status === 403 ? "Deciding approvals needs the approvals:decide permission." : e.message;
    }
  }

  load();
  return { title: "Approvals", el: h("section", {}, h("h1", {}, "Approvals"), error, items) };
}
