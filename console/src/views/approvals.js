// The approvals inbox: everything the person may decide, with the context the review page
// shows: token requests (who asks, for what scope, how far it reaches, the decisions so far and
// who was told), access requests (a secret's read or change) and agents' password requests,
// each at its workflow stage. A message about a read, patch or password request links here
// (`#/approvals?request=<id>`): that card is brought into view and focused.
import { api } from "../api.js";
import { h, clear, field, when, errorBox, say } from "../dom.js";

const scopes = (scope) => [].concat(scope || []).join(" ");
const DONE = { approve: "approved", deny: "denied", reject: "rejected", cancel: "cancelled" };
const decided = (who, what, at, note) => `${who} ${DONE[what] || what} ${when(at)}${note ? `: ${note}` : ""}`;

function approversText(approvers) {
  if (!approvers || approvers.any) return "anyone who may decide";
  if (approvers.role) return `role ${approvers.role}`;
  if (approvers.users) return approvers.users.join(", ");
  return "—";
}

/** The stage a request is at, in words, or nothing before workflows. */
function stageText(item) {
  const s = item.stage;
  if (!s) return null;
  const total = (item.stages && item.stages.length) || s.index + 1;
  const name = s.name ? ` (${s.name})` : "";
  return `${s.index + 1} of ${total}${name}: ${s.approvals.length} of ${s.approvals_required} from ${approversText(s.approvers)}, until ${when(s.deadline)}`;
}

/** Rows of a definition list, skipping empty values. */
function meta(rows) {
  const list = h("dl", { class: "meta" });
  for (const [term, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(h("dt", {}, term), h("dd", {}, String(value)));
  }
  return list;
}

export function approvalsView(session, params) {
  const me = session.user_id;
  const wanted = params.get("request");
  const error = errorBox();
  const items = h("div", { id: "inbox" });

  /** One thing to decide: its facts, optional details, a note, Approve and the refusal. */
  function card({ id, kind, title, rows, details = [], approve, refuse, refuseLabel, refusedSay }) {
    const note = h("input", { name: "note", id: `note-${id}` });
    const yes = h("button", { type: "button", class: "approve" }, "Approve");
    const no = h("button", { type: "button", class: "danger" }, refuseLabel);
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
    yes.addEventListener("click", () => decide(approve, `Approved ${id}.`));
    no.addEventListener("click", () => decide(refuse, `${refusedSay} ${id}.`));
    return h(
      "article",
      { class: "panel", [`data-${kind}`]: id, "data-id": id, "aria-labelledby": `title-${id}` },
      h("h2", { id: `title-${id}` }, title),
      meta(rows),
      ...details,
      h("div", { class: "row" }, field("Note", note), yes, no),
    );
  }

  function history(title, entries) {
    if (!entries || !entries.length) return null;
    return h("details", {}, h("summary", {}, title), h("ul", {}, ...entries.map((text) => h("li", {}, text))));
  }

  function tokenCard(a) {
    const decisions = (a.decisions || []).map((d) => decided(d.approver, d.decision, d.at, d.note));
    const told = (a.notifications || []).map((n) => `${n.channel} ${n.recipient}: ${n.status}${n.last_error ? ` (${n.last_error})` : ""}`);
    return card({
      id: a.id,
      kind: "approval",
      title: `${a.requester_description || a.requester} asks for a token`,
      rows: [
        ["Requester", a.requester],
        ["Scope", scopes(a.request.scope)],
        ["Reaches", `${a.secrets_reached} secret(s), up to ${a.tier}`],
        ["TTL", a.request.ttl_seconds ? `${a.request.ttl_seconds} s` : "default"],
        ["Addresses", (a.request.allowed_ips || []).join(", ")],
        ["Uses", a.request.max_uses ?? null],
        ["Approvals", `${a.approvers.length} of ${a.required_approvals}`],
        ["Stage", stageText(a)],
        ["Expires", when(a.expires_at)],
      ],
      details: [history("Decisions so far", decisions), history("Who was told", told)].filter(Boolean),
      approve: (c) => api.approve(a.id, c),
      refuse: (c) => api.deny(a.id, c),
      refuseLabel: "Deny",
      refusedSay: "Denied",
    });
  }

  function accessCard(r) {
    const decisions = (r.approvals || []).map((d) => decided(d.approver_id, d.decision, d.created_at, d.comment));
    return card({
      id: r.id,
      kind: "request",
      title: `${r.requester_id} asks to ${r.kind} ${r.path || r.secret_id}`,
      rows: [
        ["Reason", r.reason],
        ["Tier", r.tier || "—"],
        ["Approvals", `${(r.approvals || []).length} of ${r.required_approvals ?? "?"}`],
        ["Stage", stageText(r)],
        ["Expires", when(r.expires_at)],
      ],
      details: [history("Decisions so far", decisions)].filter(Boolean),
      approve: (c) => api.approveAccess(r.id, c),
      refuse: (c) => api.rejectAccess(r.id, c),
      refuseLabel: "Reject",
      refusedSay: "Rejected",
    });
  }

  function passwordCard(p) {
    return card({
      id: p.id,
      kind: "password",
      title: `Agent ${p.agent_id} asks for a new password at ${p.path}`,
      rows: [
        ["Reason", p.reason],
        ["Asked", when(p.created_at)],
        ["Stage", stageText(p) || "one decision by an agents:admin holder"],
      ],
      approve: () => api.approvePassword(p.id),
      refuse: (c) => api.rejectPassword(p.id, c),
      refuseLabel: "Reject",
      refusedSay: "Rejected",
    });
  }

  function bringIntoView() {
    if (!wanted) return;
    const target = items.querySelector(`[data-id="${CSS.escape(wanted)}"]`);
    if (!target) {
      say(`${wanted} is not waiting for your decision (decided, expired, or not yours to decide).`);
      return;
    }
    target.classList.add("wanted");
    target.scrollIntoView({ block: "start" });
    const heading = target.querySelector("h2");
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }

  async function load() {
    clear(items);
    const none = { approvals: [], requests: [], data: [] };
    const [tokens, asked, passwords] = await Promise.all([
      api.approvals("pending").catch(() => none),
      api.requests("pending").catch(() => none),
      api.passwordRequests("pending").catch(() => none),
    ]);
    const others = asked.requests.filter((r) => !r.requester_id.endsWith(me));
    const count = tokens.approvals.length + others.length + passwords.data.length;
    if (!count) items.append(h("p", { class: "muted", id: "inbox-empty" }, "Nothing waits for your decision."));
    for (const a of tokens.approvals) items.append(tokenCard(a));
    for (const r of others) items.append(accessCard(r));
    for (const p of passwords.data) items.append(passwordCard(p));
    bringIntoView();
  }

  load().catch((e) => {
    error.textContent = e.message;
  });
  return { title: "Approvals", el: h("section", {}, h("h1", {}, "Approvals"), error, items) };
}
