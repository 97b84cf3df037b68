// Grants: which paths each agent may reach and how (agent → path pattern, actions), with the
// clearance the grant reached when it was made; made for an agent and revoked here.
import { api } from "../api.js";
import { h, clear, field, when, errorBox, say } from "../dom.js";
import { agentTabs, fleet, agentPicker, nameOf } from "./fleet.js";
import { tierBadge } from "./secrets.js";

const ACTIONS = ["read", "write", "delete", "rotate", "use"];

export function grantsView(params) {
  const agent = params.get("agent") || "";
  const error = errorBox();
  const rows = h("tbody");
  const filter = h("form", { class: "filters", role: "search", "aria-label": "Filter grants" });
  const form = h("form", { class: "stack", id: "grant" });
  let agents = [];

  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const picked = filter.elements.agent.value;
    location.hash = picked ? `#/agents/grants?agent=${encodeURIComponent(picked)}` : "#/agents/grants";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const actions = ACTIONS.filter((a) => form.elements[`action-${a}`].checked);
    if (!actions.length) {
      error.textContent = "Choose at least one action.";
      return;
    }
    try {
      const made = await api.createGrant({ agent_id: form.elements.agent.value, path: form.elements.path.value.trim(), actions });
      say(`Granted ${made.path} to ${nameOf(agents, made.agent_id)}.`);
      form.elements.path.value = "";
      await load();
    } catch (e) {
      error.textContent = e.message;
    }
  });

  async function load() {
    const listed = await api.grants(agent);
    clear(rows);
    for (const g of listed.grants || []) {
      const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${g.path} for ${nameOf(agents, g.agent_id)}` }, "Revoke");
      revoke.addEventListener("click", async () => {
        error.textContent = "";
        try {
          await api.deleteGrant(g.grant_id);
          say(`Revoked ${g.path}.`);
          await load();
        } catch (e) {
          error.textContent = e.message;
        }
      });
      rows.append(
        h(
          "tr",
          { "data-grant": g.grant_id, "data-path": g.path },
          h("td", {}, nameOf(agents, g.agent_id)),
          h("td", {}, g.path, g.suspended_at ? h("div", { class: "error" }, `suspended ${when(g.suspended_at)}`) : null),
          h("td", {}, (g.actions || []).join(", ")),
          h("td", {}, tierBadge(g.cleared_tier)),
          h("td", { class: "hide-narrow" }, when(g.created_at), h("div", { class: "muted" }, g.created_by)),
          h("td", {}, revoke),
        ),
      );
    }
    if (!rows.children.length) rows.append(h("tr", {}, h("td", { colspan: "6", class: "muted" }, "No grants.")));
  }

  (async () => {
    try {
      agents = await fleet();
      filter.append(field("Agent", agentPicker(agents, agent, false)), h("button", { type: "submit" }, "Filter"));
      const live = agents.filter((a) => !a.revoked);
      form.append(
        field("Agent", agentPicker(live, agent, true)),
        field("Path pattern", h("input", { name: "path", required: true, placeholder: "production/web/*", autocomplete: "off" }), "a path, or a pattern: * is one segment, a final * everything below"),
        h("fieldset", {}, h("legend", {}, "Actions"), h("div", { class: "row" }, ACTIONS.map((a) => h("label", { class: "check" }, h("input", { type: "checkbox", name: `action-${a}`, checked: a === "read" }), a)))),
        h("div", { class: "row" }, h("button", { type: "submit" }, "Grant")),
      );
      await load();
    } catch (e) {
      error.textContent = e.status === 403 ? "Grants need the agents:admin permission." : e.message;
    }
  })();

  const el = h(
    "section",
    {},
    h("h1", {}, "Grants"),
    agentTabs("#/agents/grants"),
    error,
    filter,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "grants", class: "review" },
        h("caption", { class: "sr-only" }, "Each agent's grants"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Agent"), h("th", { scope: "col" }, "Path pattern"), h("th", { scope: "col" }, "Actions"), h("th", { scope: "col" }, "Clearance"), h("th", { scope: "col", class: "hide-narrow" }, "Granted"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Revoke")))),
        rows,
      ),
    ),
    h("h2", {}, "Grant an agent a path"),
    h("p", { class: "muted" }, "An agent reads only what its grants reach; you can grant only what you hold yourself."),
    form,
  );
  return { title: "Grants", el };
}
