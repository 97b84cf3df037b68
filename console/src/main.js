// The console's entry: restores the session (if the cookie still holds one), then routes by
// the URL's fragment. Nothing secret is ever put in the fragment, the history or storage.
import { resume, logOut, forget, whenExpired } from "./api.js";
import { clear, say } from "./dom.js";
import { loginView } from "./views/login.js";
import { secretsView } from "./views/secrets.js";
import { secretView } from "./views/secret.js";
import { newSecretView } from "./views/new.js";
import { auditView } from "./views/audit.js";
import { tokensView } from "./views/tokens.js";
import { approvalsView } from "./views/approvals.js";
import { agentsView } from "./views/agents.js";
import { usersView } from "./views/users.js";
import { requestsView } from "./views/requests.js";
// Administration: workflows and policies, notification channels, projects and environments.
import { workflowsView } from "./views/workflows.js";
import { channelsView } from "./views/channels.js";
import { projectsView } from "./views/projects.js";
const ADMIN_PAGES = { "/workflows": workflowsView, "/channels": channelsView, "/projects": projectsView };
import { discoveryView } from "./views/discovery.js";
import { grantsView } from "./views/grants.js";
import { commandsView } from "./views/commands.js";

/** Whether the person's permissions hold one of `wanted` (space-separated), or `admin`. */
function may(wanted) {
  const held = (session && session.permissions) || [];
  return held.includes("admin") || wanted.split(" ").some((one) => held.includes(one));
}

let session = null;
let leaving = null;

function main() {
  return document.getElementById("main");
}

function showSession() {
  const logged = Boolean(session);
  document.getElementById("nav").hidden = !logged;
  document.getElementById("logout").hidden = !logged;
  document.getElementById("who").textContent = logged ? session.email : "";
  // A person sees the pages their permissions open; the API refuses the rest anyway.
  for (const link of document.querySelectorAll("#nav a[data-needs]")) {
    link.hidden = !may(link.dataset.needs);
  }
}

async function route() {
  // A view that holds a revealed value wipes it before the next one draws.
  if (leaving) {
    leaving();
    leaving = null;
  }
  const target = main();
  clear(target);
  showSession();
  const hash = location.hash.replace(/^#/, "") || "/secrets";
  const [path, query = ""] = hash.split("?");
  for (const link of document.querySelectorAll("#nav a")) {
    const current = path.startsWith(link.getAttribute("href").slice(1));
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!session) {
    document.title = "Log in · Latchkey console";
    target.append(loginView(onLogin));
    return;
  }
  const params = new URLSearchParams(query);
  let view;
  if (path.startsWith("/secret/")) {
    view = secretView(decodeURIComponent(path.slice("/secret/".length)), session);
  } else if (path === "/new") {
    view = newSecretView();
  } else if (path === "/audit") {
    view = auditView(params);
  } else if (path === "/tokens") {
    view = tokensView(session);
  } else if (path === "/approvals") {
    view = approvalsView(session, params);
  } else if (path === "/agents") {
    view = agentsView();
  } else if (path === "/requests") {
    view = requestsView(session);
  } else if (path === "/users") {
    view = usersView();
  } else if (ADMIN_PAGES[path]) {
    view = ADMIN_PAGES[path]();
  } else if (path === "/agents/discovery") {
    view = discoveryView(params);
  } else if (path === "/agents/grants") {
    view = grantsView(params);
  } else if (path === "/agents/commands") {
    view = commandsView(params);
  } else {
    view = secretsView(params);
  }
  document.title = `${view.title} · Latchkey console`;
  leaving = view.leave || null;
  target.append(view.el);
  const heading = target.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

function onLogin(opened) {
  session = opened;
  if (!location.hash || location.hash === "#/login") location.hash = "#/secrets";
  else route();
}

whenExpired(() => {
  if (!session) return;
  session = null;
  forget();
  say("Your session ended; log in again.");
  route();
});

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await logOut();
  } catch {
    // The cookie is cleared either way.
  }
  session = null;
  say("Logged out.");
  route();
});

window.addEventListener("hashchange", route);
resume()
  .then((resumed) => {
    session = resumed;
  })
  .catch(() => {
    session = null;
  })
  .finally(route);
