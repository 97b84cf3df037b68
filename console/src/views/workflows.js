// Administration: approval workflows (who approves, in which stages) and, below them, the
// policies that send requests to them (issue 24's `/api/v1/workflows` and `/api/v1/policies`).
// Reading them is open to any credential; changing a workflow needs `workflow.edit`, a policy
// `policies:write`: the API refuses whatever the page shows.
import { api } from "../api.js";
import { admin } from "../api-admin.js";
import { h, clear, field, errorBox, say } from "../dom.js";
import { policiesSection } from "./policies.js";
import { confirmButton, duration } from "./confirm.js";

export function workflowsView() {
  const error = errorBox();
  const formError = errorBox();
  const rows = h("tbody");
  const people = { roles: [], users: [] };
  let workflows = [];
  let editing = null;
  const policies = policiesSection(() => workflows);

  const roleName = (id) => (people.roles.find((r) => r.id === id) || { name: id }).name;
  const userName = (id) => (people.users.find((u) => u.id === id) || { email: id }).email;
  function approversText(a) {
    if (a.role) return `holders of the role ${roleName(a.role)}`;
    if (a.users) return a.users.map(userName).join(", ");
    return "anyone holding approvals:decide";
  }
  const stageList = (w) =>
    h("ol", { class: "stages" }, w.stages.map((s) => h("li", {}, s.name ? h("strong", {}, `${s.name}: `) : null, approversText(s.approvers), ` — ${s.approvals} approval${s.approvals === 1 ? "" : "s"}, times out after ${duration(s.timeout_seconds)}`)));

  // The form: 1 to 10 stages, each its own fieldset.
  const stages = h("div", { id: "stages", class: "stack" });
  function stageEditor(stage = { approvers: { any: true }, approvals: 1, timeout_seconds: 86400 }) {
    const kind = h("select", { name: "kind" }, h("option", { value: "any" }, "Anyone holding approvals:decide"), h("option", { value: "role" }, "Holders of a role"), h("option", { value: "users" }, "Listed people"));
    kind.value = stage.approvers.role ? "role" : stage.approvers.users ? "users" : "any";
    const role = h("select", { name: "role" }, people.roles.map((r) => h("option", { value: r.id }, r.name)));
    if (stage.approvers.role) role.value = stage.approvers.role;
    const roleField = field("Role", role);
    const chosen = stage.approvers.users || [];
    const usersField = people.users.length
      ? h("fieldset", { class: "choices" }, h("legend", {}, "People"), people.users.map((u) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "user", value: u.id, checked: chosen.includes(u.id) }), u.email)))
      : field("People", h("input", { name: "users", value: chosen.join(", "), spellcheck: "false" }), "User ids (usr_…), comma-separated");
    const show = () => {
      roleField.hidden = kind.value !== "role";
      usersField.hidden = kind.value !== "users";
    };
    kind.addEventListener("change", show);
    show();
    const remove = h("button", { type: "button", class: "quiet remove-stage" }, "Remove stage");
    const box = h(
      "fieldset",
      { class: "stage panel" },
      h("legend", { class: "stage-title" }, "Stage"),
      field("Stage name", h("input", { name: "name", value: stage.name || "" }), "Optional"),
      field("Approvers", kind),
      roleField,
      usersField,
      field("Approvals", h("input", { name: "approvals", type: "number", min: "1", max: "5", value: stage.approvals, inputmode: "numeric", required: true })),
      field("Timeout (seconds)", h("input", { name: "timeout_seconds", type: "number", min: "60", max: "604800", value: stage.timeout_seconds, inputmode: "numeric", required: true }), "60 s to 7 days (86400 is a day)"),
      h("div", { class: "row" }, remove),
    );
    remove.addEventListener("click", () => {
      box.remove();
      renumber();
    });
    return box;
  }
  function renumber() {
    const boxes = [...stages.children];
    boxes.forEach((box, i) => {
      box.querySelector(".stage-title").textContent = `Stage ${i + 1}`;
      box.querySelector(".remove-stage").hidden = boxes.length === 1;
    });
    addStage.disabled = boxes.length >= 10;
  }
  function readStage(box) {
    const get = (name) => box.querySelector(`[name=${name}]`);
    let approvers = { any: true };
    if (get("kind").value === "role") approvers = { role: get("role").value };
    if (get("kind").value === "users") {
      approvers = { users: people.users.length ? [...box.querySelectorAll("input[name=user]:checked")].map((c) => c.value) : get("users").value.split(/[\s,]+/).filter(Boolean) };
    }
    const stage = { approvers, approvals: Number(get("approvals").value), timeout_seconds: Number(get("timeout_seconds").value) };
    const name = get("name").value.trim();
    if (name) stage.name = name;
    return stage;
  }

  const title = h("h2", { id: "workflow-form-title" }, "New workflow");
  const name = h("input", { name: "name", id: "workflow-name", required: true, maxlength: "100" });
  const description = h("input", { name: "description" });
  const cancelWindow = h("input", { name: "cancel_window_seconds", type: "number", min: "0", value: "0", inputmode: "numeric" });
  const addStage = h("button", { type: "button", class: "quiet", id: "add-stage" }, "Add stage");
  const submit = h("button", { type: "submit" }, "Create workflow");
  const cancel = h("button", { type: "button", class: "quiet", hidden: true }, "Cancel edit");
  const form = h(
    "form",
    { class: "stack", id: "workflow-form", "aria-labelledby": "workflow-form-title" },
    field("Name", name),
    field("Description", description, "Optional"),
    stages,
    h("div", { class: "row" }, addStage),
    field("Cancel window (seconds)", cancelWindow, "After the last approval, how long the requester or an approver may still cancel"),
    h("div", { class: "row" }, submit, cancel),
    formError,
  );
  addStage.addEventListener("click", () => {
    stages.append(stageEditor());
    renumber();
    stages.lastElementChild.querySelector("select").focus();
  });
  function edit(w) {
    editing = w;
    name.value = w.name;
    description.value = w.description || "";
    cancelWindow.value = String(w.cancel_window_seconds);
    clear(stages);
    for (const s of w.stages) stages.append(stageEditor(s));
    renumber();
    title.textContent = `Edit ${w.name} (revision ${w.revision})`;
    submit.textContent = "Save as a new revision";
    cancel.hidden = false;
    formError.textContent = "";
    name.focus();
  }
  function blank() {
    editing = null;
    form.reset();
    clear(stages);
    stages.append(stageEditor());
    renumber();
    title.textContent = "New workflow";
    submit.textContent = "Create workflow";
    cancel.hidden = true;
  }
  cancel.addEventListener("click", blank);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.textContent = "";
    const body = { name: name.value.trim(), stages: [...stages.children].map(readStage), cancel_window_seconds: Number(cancelWindow.value || 0) };
    if (description.value.trim()) body.description = description.value.trim();
    try {
      const saved = editing ? await admin.updateWorkflow(editing.id, body) : await admin.createWorkflow(body);
      say(`Saved ${saved.name}, revision ${saved.revision}.`);
      blank();
      load();
    } catch (e) {
      formError.textContent = e.message;
    }
  });

  async function load() {
    error.textContent = "";
    try {
      const none = (member) => () => ({ [member]: [] });
      const [listed, roles, users] = await Promise.all([admin.workflows(), api.roles().catch(none("roles")), api.users().catch(none("users"))]);
      const first = !people.roles.length && !people.users.length;
      people.roles = roles.roles;
      people.users = users.users;
      if (first && !editing) blank();
      workflows = listed.workflows;
      clear(rows);
      for (const w of workflows) {
        let actions = h("span", { class: "muted" }, "Built in: its counts are the tier document's (PUT /v1/policies)");
        if (!w.built_in) {
          const change = h("button", { type: "button", class: "quiet", "aria-label": `Edit ${w.name}` }, "Edit");
          change.addEventListener("click", () => edit(w));
          const remove = confirmButton("Delete", w.name, async () => {
            try {
              await admin.deleteWorkflow(w.id);
              say(`Deleted ${w.name}.`);
              load();
            } catch (e) {
              error.textContent = e.message;
            }
          });
          actions = h("div", { class: "row" }, change, remove);
        }
        rows.append(h("tr", { "data-workflow": w.name }, h("td", {}, h("strong", {}, w.name), h("div", { class: "muted revision" }, `revision ${w.revision}`), w.description ? h("div", { class: "muted" }, w.description) : null), h("td", { "data-label": "Stages" }, stageList(w)), h("td", {}, actions)));
      }
      policies.load();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  load();
  const el = h(
    "section",
    {},
    h("h1", {}, "Workflows and policies"),
    h("p", { class: "muted" }, "A workflow is who approves, in which stages; a policy sends the requests that match it to a workflow. Whatever no policy matches follows the default. Requests in flight keep the stages they opened with."),
    h("h2", {}, "Workflows"),
    error,
    h("div", { class: "table-wrap" }, h("table", { id: "workflows", class: "cards" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Workflow"), h("th", { scope: "col" }, "Stages"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    title,
    form,
    policies.el,
  );
  return { title: "Workflows and policies", el };
}
