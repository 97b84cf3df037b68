// Commands and jobs: what was sent to one agent and where each stands (a command waits for
// the agent's next heartbeat, then is delivered; a job is queued, claimed, then succeeds or
// fails), refreshed while the page is open; and a command sent or a job queued from here
// (`POST /api/v1/jobs`, seed 001).
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox } from "../dom.js";
import { agentTabs, fleet, agentPicker } from "./fleet.js";

const REFRESH_MS = 5000;
const COMMANDS = ["force_sync", "rotate", "renew_certificate", "update"];

function table(id, caption, heads, rows, empty) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id, class: "review" },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, heads.map(([text, narrow]) => h("th", { scope: "col", class: narrow ? "hide-narrow" : null }, text)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: String(heads.length), class: "muted" }, empty))),
    ),
  );
}

const paramsText = (params) => (params && Object.keys(params).length ? JSON.stringify(params) : "—");

export function commandsView(params) {
  const agent = params.get("agent") || "";
  const error = errorBox();
  const picker = h("form", { class: "filters", "aria-label": "Choose an agent" });
  const form = h("form", { class: "stack", id: "command" });
  const jobForm = h("form", { class: "stack", id: "job" });
  const sent = h("div", { id: "command-result", "aria-live": "polite" });
  const activity = h("div", { id: "activity" });
  let timer = null;
  let left = false;

  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = picker.elements.agent.value;
    location.hash = chosen ? `#/agents/commands?agent=${encodeURIComponent(chosen)}` : "#/agents/commands";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(form);
    try {
      const body = { type: v.type };
      if (v.params) {
        body.params = JSON.parse(v.params);
        if (!body.params || typeof body.params !== "object" || Array.isArray(body.params)) throw new Error("Parameters must be a JSON object.");
      }
      const queued = await api.queueCommand(agent, body);
      clear(sent);
      sent.append(h("p", { class: "ok" }, `Queued ${queued.type} (${queued.id}); the agent receives it with its next heartbeat.`));
      form.elements.params.value = "";
      clearTimeout(timer);
      await load();
    } catch (e) {
      error.textContent = e instanceof SyntaxError ? "Parameters are not valid JSON." : e.message;
    }
  });

  /** A form's optional `params`: a JSON object, or absent. */
  function paramsOf(text) {
    if (!text) return undefined;
    const parsed = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("Parameters must be a JSON object.");
    return parsed;
  }

  jobForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const v = values(jobForm);
    try {
      const queued = await api.queueJob({ agent_id: agent, type: v.type, params: paramsOf(v.params) || {} });
      clear(sent);
      sent.append(h("p", { class: "ok" }, `Queued the job ${queued.type} (${queued.id}); the agent claims it when it next asks.`));
      jobForm.reset();
      clearTimeout(timer);
      await load();
    } catch (e) {
      error.textContent = e instanceof SyntaxError ? "Parameters are not valid JSON." : e.message;
    }
  });

  async function load() {
    try {
      const got = await api.commands(agent);
      clear(activity);
      activity.append(
        h("h2", {}, "Commands"),
        table(
          "commands",
          "Commands sent to the agent, newest first",
          [["Command"], ["Parameters", true], ["Sent"], ["State"]],
          (got.commands || []).map((c) =>
            h(
              "tr",
              { "data-command": c.id, "data-state": c.delivered_at ? "delivered" : "waiting" },
              h("td", {}, c.type),
              h("td", { class: "hide-narrow" }, paramsText(c.params)),
              h("td", {}, when(c.created_at)),
              h("td", { class: "state" }, c.delivered_at ? `delivered ${when(c.delivered_at)}` : "waiting for its heartbeat"),
            ),
          ),
          "No commands sent.",
        ),
        h("h2", {}, "Jobs"),
        table(
          "jobs",
          "Jobs queued for the agent, newest first",
          [["Job"], ["Parameters", true], ["Queued"], ["Status"]],
          (got.jobs || []).map((j) =>
            h(
              "tr",
              { "data-job": j.id, "data-status": j.status },
              h("td", {}, j.type, h("div", { class: "muted" }, j.source === "request" ? "from an access request" : "by an admin")),
              h("td", { class: "hide-narrow" }, paramsText(j.params)),
              h("td", {}, when(j.created_at)),
              h(
                "td",
                { class: "state" },
                j.status,
                j.attempts > 1 ? ` (${j.attempts} attempts)` : null,
                j.completed_at ? h("div", { class: "muted" }, when(j.completed_at)) : null,
                j.error ? h("div", { class: "error" }, j.error) : null,
              ),
            ),
          ),
          "No jobs.",
        ),
      );
    } catch (e) {
      error.textContent = e.message;
    }
    if (!left) timer = setTimeout(load, REFRESH_MS);
  }

  (async () => {
    try {
      const agents = await fleet();
      picker.append(field("Agent", agentPicker(agents, agent, true)), h("button", { type: "submit" }, "Show"));
      const chosen = agents.find((a) => a.id === agent);
      if (!chosen) return;
      if (!chosen.revoked) {
        form.append(
          field("Command", h("select", { name: "type" }, COMMANDS.map((c) => h("option", { value: c }, c.replaceAll("_", " "))))),
          field("Parameters", h("textarea", { name: "params", rows: "2", placeholder: '{"path": "production/web/tls"}' }), "optional, a JSON object"),
          h("div", { class: "row" }, h("button", { type: "submit" }, `Send to ${chosen.name}`)),
        );
        form.before(h("h2", {}, "Send a command"));
        jobForm.append(
          field("Job type", h("input", { name: "type", required: true, spellcheck: "false", placeholder: "sync" })),
          field("Parameters", h("textarea", { name: "params", rows: "2", placeholder: '{"depth": 2}' }), "optional, a JSON object"),
          h("div", { class: "row" }, h("button", { type: "submit" }, `Queue for ${chosen.name}`)),
        );
        jobForm.before(h("h2", {}, "Queue a job"));
      }
      await load();
    } catch (e) {
      error.textContent = e.status === 403 ? "Commands need the agents:admin permission." : e.message;
    }
  })();

  const el = h("section", {}, h("h1", {}, "Commands and jobs"), agentTabs("#/agents/commands"), error, picker, h("div", {}, form), h("div", {}, jobForm), sent, activity);
  return {
    title: "Commands",
    el,
    leave() {
      left = true;
      clearTimeout(timer);
    },
  };
}
