// The policies part of the workflows page: which requests go to which workflow (criteria:
// project, environment, path glob, tier, request kind), enabled or not; the tier document's
// rules are listed after them, read-only (they feed the default workflow).
import { admin } from "../api-admin.js";
import { h, clear, field, errorBox, say } from "../dom.js";
import { confirmButton } from "./confirm.js";

const CRITERIA = ["project_id", "environment_id", "path_glob", "tier", "kind"];

/** A policy view as the body that would store it again. */
function bodyOf(p) {
  const body = { name: p.name, workflow_id: p.workflow_id, enabled: p.enabled };
  for (const member of ["description", ...CRITERIA]) if (p[member]) body[member] = p[member];
  return body;
}

const choices = (none, items) => [h("option", { value: "" }, none), ...items.map(([value, text]) => h("option", { value }, text))];

/** `workflows()` gives the workflows the page listed; `load()` draws the policies again. */
export function policiesSection(workflows) {
  const error = errorBox();
  const formError = errorBox();
  const rows = h("tbody");
  let projects = [];
  let environments = [];
  let editing = null;

  const projectName = (id) => (projects.find((p) => p.id === id) || { name: id }).name;
  const envName = (id) => (environments.find((e) => e.id === id) || { name: id }).name;
  const workflowName = (id) => (workflows().find((w) => w.id === id) || { name: id }).name;
  function criteria(p) {
    const out = [];
    if (p.project_id) out.push(`project ${projectName(p.project_id)}`);
    if (p.environment_id) out.push(`environment ${envName(p.environment_id)}`);
    if (p.path_glob) out.push(`path ${p.path_glob}`);
    if (p.tier) out.push(`tier ${p.tier}`);
    if (p.kind) out.push(`${p.kind} requests`);
    if (p.tier_counts) out.push(`approvals: standard ${p.tier_counts.standard}, sensitive ${p.tier_counts.sensitive}, critical ${p.tier_counts.critical}`);
    return out.join("; ");
  }

  const form = h("form", { class: "stack", id: "policy-form", "aria-labelledby": "policy-form-title" });
  const title = h("h3", { id: "policy-form-title" }, "New policy");
  function draw(p = { enabled: true }) {
    clear(form);
    const select = (name, none, items) => {
      const el = h("select", { name }, choices(none, items));
      el.value = p[name] || "";
      return el;
    };
    const mine = workflows().filter((w) => !w.built_in);
    const workflow = h("select", { name: "workflow_id", required: true }, mine.map((w) => h("option", { value: w.id }, w.name)));
    if (p.workflow_id) workflow.value = p.workflow_id;
    const submit = h("button", { type: "submit" }, editing ? "Save policy" : "Create policy");
    const cancel = h("button", { type: "button", class: "quiet", hidden: !editing }, "Cancel edit");
    cancel.addEventListener("click", () => {
      editing = null;
      title.textContent = "New policy";
      draw();
    });
    form.append(
      field("Name", h("input", { name: "name", required: true, maxlength: "100", value: p.name || "" })),
      field("Workflow", workflow, mine.length ? null : "Create a workflow first"),
      h("p", { class: "muted" }, "Criteria: name at least one; every one named must match."),
      field("Project", select("project_id", "Any project", projects.map((x) => [x.id, x.name]))),
      field("Environment", select("environment_id", "Any environment", environments.map((x) => [x.id, `${x.name} (${projectName(x.project_id)})`]))),
      field("Path glob", h("input", { name: "path_glob", spellcheck: "false", placeholder: "prod/payments/*", value: p.path_glob || "" })),
      field("Tier", select("tier", "Any tier", ["standard", "sensitive", "critical"].map((t) => [t, t]))),
      field("Request kind", select("kind", "Any kind", [["token", "token requests"], ["read", "read requests"], ["patch", "patch requests"], ["password", "password requests"]])),
      field("Description", h("input", { name: "description", value: p.description || "" }), "Optional"),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "enabled", checked: p.enabled }), "Enabled"),
      h("div", { class: "row" }, submit, cancel),
      formError,
    );
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.textContent = "";
    const body = { enabled: form.elements.enabled.checked };
    for (const member of ["name", "workflow_id", "description", ...CRITERIA]) {
      const value = form.elements[member].value.trim();
      if (value) body[member] = value;
    }
    try {
      const saved = editing ? await admin.updatePolicy(editing.id, body) : await admin.createPolicy(body);
      say(`Saved the policy ${saved.name}.`);
      editing = null;
      title.textContent = "New policy";
      load();
    } catch (e) {
      formError.textContent = e.message;
    }
  });

  async function change(p, body, done) {
    try {
      await admin.updatePolicy(p.id, body);
      say(done);
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function load() {
    error.textContent = "";
    try {
      const [listed, p, e] = await Promise.all([admin.policies(), admin.projects(), admin.environments()]);
      projects = p.projects;
      environments = e.environments;
      if (!editing) draw();
      clear(rows);
      for (const policy of listed.policies) {
        let actions = h("span", { class: "muted" }, "Tier document (PUT /v1/policies)");
        if (!policy.read_only) {
          const toggle = h("button", { type: "button", class: "quiet toggle", "aria-label": `${policy.enabled ? "Disable" : "Enable"} ${policy.name}` }, policy.enabled ? "Disable" : "Enable");
          toggle.addEventListener("click", () => change(policy, { ...bodyOf(policy), enabled: !policy.enabled }, `${policy.enabled ? "Disabled" : "Enabled"} ${policy.name}.`));
          const edit = h("button", { type: "button", class: "quiet", "aria-label": `Edit ${policy.name}` }, "Edit");
          edit.addEventListener("click", () => {
            editing = policy;
            title.textContent = `Edit ${policy.name}`;
            draw(policy);
            form.elements.name.focus();
          });
          const remove = confirmButton("Delete", policy.name, async () => {
            try {
              await admin.deletePolicy(policy.id);
              say(`Deleted ${policy.name}.`);
              load();
            } catch (err) {
              error.textContent = err.message;
            }
          });
          actions = h("div", { class: "row" }, toggle, edit, remove);
        }
        const name = policy.name || `Tier document rule for ${policy.path_glob}`;
        rows.append(
          h("tr", { "data-policy": name }, h("td", {}, h("strong", {}, name), policy.description ? h("div", { class: "muted" }, policy.description) : null), h("td", { "data-label": "Workflow" }, workflowName(policy.workflow_id)), h("td", { "data-label": "Matches" }, criteria(policy)), h("td", { class: "state", "data-label": "State" }, policy.enabled ? "enabled" : "disabled"), h("td", {}, actions)),
        );
      }
    } catch (e) {
      error.textContent = e.message;
    }
  }

  const el = h(
    "div",
    {},
    h("h2", {}, "Policies"),
    h("p", { class: "muted" }, "The most specific matching policy wins; disabled ones match nothing."),
    error,
    h("div", { class: "table-wrap" }, h("table", { id: "policies", class: "cards" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Policy"), h("th", { scope: "col" }, "Workflow"), h("th", { scope: "col" }, "Matches"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    title,
    form,
  );
  return { el, load };
}
