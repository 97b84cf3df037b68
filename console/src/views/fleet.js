// What the agents pages share: their tabs (the fleet, what the agents discovered, their
// grants) and the fleet's names for the agent pickers.
import { api } from "../api.js";
import { h } from "../dom.js";

const TABS = [
  ["#/agents", "Fleet"],
  ["#/agents/discovery", "Discovered"],
  ["#/agents/grants", "Grants"],
  ["#/agents/commands", "Commands"],
];

export function agentTabs(current) {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Agents pages" },
    TABS.map(([href, text]) => h("a", { href, "aria-current": href === current ? "page" : null }, text)),
  );
}

/** The fleet (not revoked first), at most 100 agents: `[{id, name, …}]`. */
export async function fleet() {
  const listed = await api.agents();
  return listed.data || [];
}

/** An agent picker: "any agent" (or none, when `required`) and the fleet by name. */
export function agentPicker(agents, selected, required) {
  return h(
    "select",
    { name: "agent", required },
    required ? h("option", { value: "" }, "Choose an agent") : h("option", { value: "" }, "any agent"),
    agents.map((a) => h("option", { value: a.id, selected: a.id === selected }, a.name)),
  );
}

/** The agent's name for an id (the id when it is not in the fleet's first page). */
export function nameOf(agents, id) {
  const found = agents.find((a) => a.id === id);
  return found ? found.name : id;
}
