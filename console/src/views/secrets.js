// Browse secrets by namespace, search and filter (tag, tier, expiry): metadata only. The list
// never carries a value; opening one is a separate page, and reading it a separate click.
import { api } from "../api.js";
import { h, clear, field, values, when, errorBox } from "../dom.js";

const DAY = 86400;

export function tierBadge(tier) {
  return h("span", { class: `tier tier-${tier}` }, tier);
}

export function secretLink(path) {
  return h("a", { href: `#/secret/${encodeURIComponent(path)}` }, path);
}

function tagsText(tags) {
  return Object.entries(tags || {}).map(([k, v]) => `${k}:${v}`).join(", ");
}

export function secretsView(params) {
  const namespace = params.get("namespace") || "";
  const error = errorBox();
  const rows = h("tbody");
  const more = h("button", { type: "button", class: "quiet", hidden: true }, "Load more");
  const count = h("p", { class: "muted", id: "secret-count" });
  const spaces = h("ul");
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter secrets" },
    field("Search", h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    field("Tag (key:value)", h("input", { name: "tag", value: params.get("tag") || "", placeholder: "team:ml" })),
    field(
      "Tier",
      h("select", { name: "tier" }, ...["", "standard", "sensitive", "critical"].map((t) => h("option", { value: t, selected: params.get("tier") === t }, t || "any"))),
    ),
    field(
      "Expiring within",
      h("select", { name: "expiring_within" }, ...[["", "any time"], [String(7 * DAY), "7 days"], [String(30 * DAY), "30 days"], [String(90 * DAY), "90 days"]].map(([v, t]) => h("option", { value: v, selected: params.get("expiring_within") === v }, t))),
    ),
    h("label", { class: "check" }, h("input", { name: "include_deleted", type: "checkbox", checked: params.get("include_deleted") === "true" }), "Deleted too"),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    if (namespace) wanted.set("namespace", namespace);
    for (const [name, value] of Object.entries(values(form))) {
      if (value === true) wanted.set(name, "true");
      else if (value) wanted.set(name, value);
    }
    location.hash = `#/secrets?${wanted}`;
  });

  function query(cursor) {
    const q = new URLSearchParams();
    for (const name of ["namespace", "q", "tag", "tier", "expiring_within", "include_deleted"]) {
      if (params.get(name)) q.set(name, params.get(name));
    }
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    return q;
  }

  async function load(cursor) {
    error.textContent = "";
    try {
      const page = await api.listSecrets(query(cursor));
      count.textContent = `${page.total} secret${page.total === 1 ? "" : "s"}${namespace ? ` in ${namespace}` : ""}`;
      for (const item of page.items) {
        rows.append(
          h(
            "tr",
            {},
            h("td", {}, secretLink(item.path), item.deleted_at ? h("span", { class: "muted" }, " (deleted)") : null),
            h("td", {}, tierBadge(item.tier)),
            h("td", { class: "hide-narrow" }, `v${item.version}`),
            h("td", { class: "hide-narrow" }, tagsText(item.tags)),
            h("td", { class: "hide-narrow" }, when(item.expires_at)),
          ),
        );
      }
      more.hidden = !page.next_cursor;
      more.onclick = () => load(page.next_cursor);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  // The namespaces: the first segment of every path the person may list.
  async function loadSpaces() {
    const seen = new Set();
    let cursor = null;
    try {
      for (let i = 0; i < 5; i++) {
        const q = new URLSearchParams({ limit: "200" });
        if (cursor) q.set("cursor", cursor);
        const page = await api.listSecrets(q);
        for (const item of page.items) seen.add(item.path.split("/")[0]);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
    } catch {
      return;
    }
    clear(spaces);
    const link = (name, label) =>
      h("li", {}, h("a", { href: name ? `#/secrets?namespace=${encodeURIComponent(name)}` : "#/secrets", "aria-current": name === namespace ? "true" : null }, label));
    spaces.append(link("", "All"), ...[...seen].sort().map((name) => link(name, name)));
  }

  load(null);
  loadSpaces();
  const el = h(
    "section",
    {},
    h("div", { class: "row" }, h("h1", {}, namespace ? `Secrets in ${namespace}` : "Secrets"), h("a", { class: "button", href: "#/new", id: "new-secret" }, "New secret")),
    h(
      "div",
      { class: "layout" },
      h("nav", { class: "namespaces", "aria-label": "Namespaces" }, h("h2", {}, "Namespaces"), spaces),
      h(
        "div",
        {},
        form,
        count,
        error,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("caption", { class: "muted" }, "Metadata only: values are never listed."),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Path"), h("th", { scope: "col" }, "Tier"), h("th", { scope: "col", class: "hide-narrow" }, "Version"), h("th", { scope: "col", class: "hide-narrow" }, "Tags"), h("th", { scope: "col", class: "hide-narrow" }, "Expires"))),
            rows,
          ),
        ),
        more,
      ),
    ),
  );
  return { title: "Secrets", el };
}
