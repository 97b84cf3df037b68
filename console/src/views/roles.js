// Administration: roles and the permissions they grant (a part of the People page). Listing,
// creating a role, changing a custom role's permissions and deleting it; built-in roles are
// shown read-only. Each is the API's `roles:admin` call, refused for anyone else.
import { api } from "../api.js";
import { h, clear, field, values, errorBox, say } from "../dom.js";

const list = (text) => text.split(",").map((p) => p.trim()).filter(Boolean);

/** The roles part: `changed` runs after a change (the people's role pickers redraw). */
export function rolesSection(changed) {
  const error = errorBox();
  const rows = h("tbody");

  const form = h(
    "form",
    { class: "stack", id: "add-role" },
    field("Name", h("input", { name: "name", required: true, spellcheck: "false" })),
    field("Description", h("input", { name: "description" })),
    field("Permissions", h("input", { name: "permissions", required: true, spellcheck: "false", placeholder: "secrets:read:team/*, audit:read" }), "Scopes, comma-separated"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Create role")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(form);
    try {
      const role = await api.createRole({ name: v.name, description: v.description || undefined, permissions: list(v.permissions) });
      form.reset();
      say(`Created the role ${role.name}.`);
      await load();
      changed();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  function row(role) {
    const permissions = role.permissions.join(", ");
    if (role.built_in) {
      return h("tr", { "data-role": role.name }, h("td", {}, role.name, h("div", { class: "muted" }, "built in")), h("td", {}, permissions), h("td", {}));
    }
    const input = h("input", { name: "permissions", value: permissions, spellcheck: "false", "aria-label": `Permissions of ${role.name}` });
    const save = h("button", { type: "button", class: "quiet" }, "Save");
    save.addEventListener("click", async () => {
      error.textContent = "";
      try {
        await api.setRolePermissions(role.id, list(input.value));
        say(`Saved the permissions of ${role.name}.`);
        await load();
      } catch (e) {
        error.textContent = e.message;
      }
    });
    const remove = h("button", { type: "button", class: "danger", "aria-label": `Delete the role ${role.name}` }, "Delete");
    remove.addEventListener("click", async () => {
      error.textContent = "";
      try {
        await api.deleteRole(role.id);
        say(`Deleted the role ${role.name}.`);
        await load();
        changed();
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return h(
      "tr",
      { "data-role": role.name },
      h("td", {}, role.name, role.description ? h("div", { class: "muted" }, role.description) : null),
      h("td", {}, h("div", { class: "row" }, input, save)),
      h("td", {}, remove),
    );
  }

  async function load() {
    try {
      const listed = await api.roles();
      clear(rows);
      for (const role of listed.roles) rows.append(row(role));
    } catch (e) {
      error.textContent = e.status === 403 ? "Roles need the roles:admin permission." : e.message;
    }
  }

  load();
  const el = h(
    "section",
    { "aria-labelledby": "roles-title" },
    h("h2", { id: "roles-title" }, "Roles"),
    error,
    h("div", { class: "table-wrap" }, h("table", { id: "roles" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Permissions"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    h("h3", {}, "Create a role"),
    form,
  );
  return { el, load };
}
