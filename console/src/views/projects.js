// Administration: projects and their environments (issue 24's `/api/v1/projects` and
// `/api/v1/environments`). An environment scopes stored secrets by path prefix and discovered
// ones by cluster or agent; policies name them. Reading is any credential's; changes need
// `projects:admin`. Archiving a project, or deleting an environment, that still holds secrets
// is refused (409, shown as it comes) unless forced, which moves and deletes no secret.
import { api } from "../api.js";
import { admin } from "../api-admin.js";
import { h, clear, field, values, when, errorBox, say } from "../dom.js";
import { confirmButton } from "./confirm.js";

const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function projectsView() {
  const error = errorBox();
  const listing = h("div", { id: "projects", class: "stack" });
  let projects = [];
  let agents = null;

  /** The API's refusal in `box`, and for a 409 a button that does it anyway. */
  function refused(box, e, label, again) {
    clear(box);
    box.append(h("p", { class: "error", role: "alert" }, e.message));
    if (e.status !== 409) return;
    const force = h("button", { type: "button", class: "danger force" }, label);
    force.addEventListener("click", async () => {
      try {
        await again();
        load();
      } catch (err) {
        clear(box);
        box.append(h("p", { class: "error", role: "alert" }, err.message));
      }
    });
    box.append(force);
  }

  function projectCard(p, envs) {
    const notice = h("div", { class: "notice" });
    const archived = p.status === "archived";
    const next = archived ? "active" : "archived";
    const status = h("button", { type: "button", class: "quiet project-status", "aria-label": `${archived ? "Activate" : "Archive"} ${p.name}` }, archived ? "Activate" : "Archive");
    status.addEventListener("click", async () => {
      try {
        await admin.projectStatus(p.id, next, false);
        say(`${p.name} is ${next}.`);
        load();
      } catch (e) {
        refused(notice, e, "Archive anyway (no secret is deleted)", () => admin.projectStatus(p.id, next, true));
      }
    });
    const rows = envs.map((env) => {
      const remove = confirmButton("Delete", env.name, async () => {
        try {
          await admin.deleteEnvironment(env.id, false);
          say(`Deleted ${env.name}.`);
          load();
        } catch (e) {
          refused(notice, e, "Delete anyway (its secrets stay where they are)", () => admin.deleteEnvironment(env.id, true));
        }
      });
      return h("tr", { "data-environment": env.name }, h("td", {}, h("strong", {}, env.name)), h("td", { "data-label": "Path prefix" }, h("code", {}, env.path_prefix)), h("td", { "data-label": "Clusters" }, env.clusters.join(", ") || "—"), h("td", { "data-label": "Agents" }, env.agents.join(", ") || "—"), h("td", {}, remove));
    });
    return h(
      "article",
      { class: "panel", "data-project": p.name },
      h("div", { class: "row" }, h("h3", {}, p.name), h("span", { class: `tier project-${p.status}` }, p.status), status),
      p.description ? h("p", { class: "muted" }, p.description) : null,
      notice,
      rows.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "cards" }, h("caption", { class: "sr-only" }, `Environments of ${p.name}`), h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Environment"), h("th", { scope: "col" }, "Path prefix"), h("th", { scope: "col" }, "Clusters"), h("th", { scope: "col" }, "Agents"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), h("tbody", {}, rows)))
        : h("p", { class: "muted" }, `No environments yet (created ${when(p.created_at)}).`),
    );
  }

  const projectForm = h(
    "form",
    { class: "stack", id: "new-project" },
    field("Name", h("input", { name: "name", required: true, maxlength: "100" })),
    field("Description", h("input", { name: "description" }), "Optional"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Create project")),
  );
  projectForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(projectForm);
    try {
      const made = await admin.createProject(v.description ? v : { name: v.name });
      projectForm.reset();
      say(`Created ${made.name}.`);
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  const envForm = h("form", { class: "stack", id: "new-environment" });
  function drawEnvForm() {
    const chosen = new Set([...envForm.querySelectorAll("input[name=agent]:checked")].map((c) => c.value));
    const project = envForm.elements.project_id ? envForm.elements.project_id.value : "";
    clear(envForm);
    const select = h("select", { name: "project_id", required: true }, projects.filter((p) => p.status === "active").map((p) => h("option", { value: p.id }, p.name)));
    if (project) select.value = project;
    const agentsField = agents && agents.length
      ? h("fieldset", { class: "choices" }, h("legend", {}, "Agents"), agents.map((a) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "agent", value: a.id, checked: chosen.has(a.id) }), a.name)))
      : field("Agents", h("input", { name: "agents", spellcheck: "false" }), "Agent ids (agt_…), comma-separated; optional");
    envForm.append(
      field("Project", select),
      field("Name", h("input", { name: "name", required: true, maxlength: "100" })),
      field("Path prefix", h("input", { name: "path_prefix", required: true, spellcheck: "false", placeholder: "prod/payments/" }), "Whole path segments ending in /"),
      field("Clusters", h("input", { name: "clusters", spellcheck: "false" }), "Comma-separated; optional"),
      agentsField,
      h("div", { class: "row" }, h("button", { type: "submit" }, "Create environment")),
    );
  }
  envForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(envForm);
    const picked = agents && agents.length ? [...envForm.querySelectorAll("input[name=agent]:checked")].map((c) => c.value) : list(v.agents || "");
    try {
      const made = await admin.createEnvironment({ project_id: v.project_id, name: v.name, path_prefix: v.path_prefix, clusters: list(v.clusters), agents: picked });
      say(`Created ${made.name}.`);
      envForm.reset();
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function load() {
    try {
      const [p, e] = await Promise.all([admin.projects(), admin.environments()]);
      if (agents === null) agents = await api.agents().then((a) => (a.data || []).filter((x) => !x.revoked), () => []);
      projects = p.projects;
      clear(listing);
      for (const project of projects) listing.append(projectCard(project, e.environments.filter((env) => env.project_id === project.id)));
      if (!projects.length) listing.append(h("p", { class: "muted" }, "No projects yet."));
      drawEnvForm();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  load();
  const el = h(
    "section",
    {},
    h("h1", {}, "Projects and environments"),
    h("p", { class: "muted" }, "An environment gathers the secrets under its path prefix, and those its clusters' or agents' hosts report; policies can name a project or an environment."),
    error,
    h("h2", {}, "Projects"),
    listing,
    h("h2", {}, "New project"),
    projectForm,
    h("h2", {}, "New environment"),
    envForm,
  );
  return { title: "Projects and environments", el };
}
