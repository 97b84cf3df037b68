// Administration: people and their roles. Listing, adding a person, giving and taking a role,
// removing a person, and the roles themselves (`roles.js`); each is the API's `users:admin` / `roles:admin` call, refused for anyone
// else whatever the page shows.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox, say } from "../dom.js";
import { rolesSection } from "./roles.js";

export function usersView() {
  const error = errorBox();
  const rows = h("tbody");
  let roles = [];

  const roleSelect = () => h("select", { name: "role_id" }, h("option", { value: "" }, "no role"), ...roles.map((r) => h("option", { value: r.id }, r.name)));
  const form = h("form", { class: "stack", id: "add-user" });
  function drawForm() {
    clear(form);
    form.append(
      field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
      field("Name", h("input", { name: "name", required: true })),
      field("Initial password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password", minlength: "12" }), "At least 12 characters; give it to them apart"),
      field("Role", roleSelect()),
      h("div", { class: "row" }, h("button", { type: "submit" }, "Add person")),
    );
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(form);
    try {
      const user = await api.createUser({ email: v.email, name: v.name, password: form.elements.password.value });
      if (v.role_id) await api.assignRole(user.id, v.role_id);
      form.reset();
      say(`Added ${user.email}.`);
      load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function load() {
    try {
      const [users, listedRoles, held] = await Promise.all([api.users(), api.roles(), api.userRoles()]);
      roles = listedRoles.roles;
      drawForm();
      clear(rows);
      for (const u of users.users) {
        const mine = held.user_roles.filter((r) => r.user_id === u.id);
        const remove = h("button", { type: "button", class: "danger", "aria-label": `Remove ${u.email}` }, "Remove");
        remove.addEventListener("click", async () => {
          try {
            await api.deleteUser(u.id);
            say(`Removed ${u.email}.`);
            load();
          } catch (e) {
            error.textContent = e.message;
          }
        });
        const give = roleSelect();
        give.setAttribute("aria-label", `Give ${u.email} a role`);
        give.addEventListener("change", async () => {
          if (!give.value) return;
          try {
            await api.assignRole(u.id, give.value);
            load();
          } catch (e) {
            error.textContent = e.message;
          }
        });
        const held_roles = mine.map((r) => {
          const take = h("button", { type: "button", class: "quiet", "aria-label": `Take ${r.role_name} from ${u.email}` }, `${r.role_name} ×`);
          take.addEventListener("click", async () => {
            try {
              await api.unassignRole(r.id);
              load();
            } catch (e) {
              error.textContent = e.message;
            }
          });
          return take;
        });
        rows.append(h("tr", { "data-user": u.email }, h("td", {}, u.email, h("div", { class: "muted" }, u.name)), h("td", { class: "roles" }, h("div", { class: "row" }, ...held_roles, give)), h("td", { class: "hide-narrow" }, u.suspended_at ? `suspended ${when(u.suspended_at)}` : when(u.last_login_at)), h("td", {}, remove)));
      }
    } catch (e) {
      error.textContent = e.status === 403 ? "People and roles need the users:admin permission." : e.message;
    }
  }

  load();
  // A role created or deleted there changes the pickers here.
  const rolesPart = rolesSection(load);
  const el = h(
    "section",
    {},
    h("h1", {}, "People"),
    error,
    h("div", { class: "table-wrap" }, h("table", { id: "users" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Roles"), h("th", { scope: "col", class: "hide-narrow" }, "Last login"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), rows)),
    h("h2", {}, "Add a person"),
    form,
    rolesPart.el,
  );
  return { title: "People", el };
}
