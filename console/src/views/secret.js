// One secret: metadata, versions, and the actions on it. Its value is fetched only when the
// person clicks "Reveal" (an audited read like any other), shown for REVEAL_SECONDS, and then
// removed from the DOM with every reference this script held; leaving the page, hiding the
// tab or clicking "Hide" removes it sooner. Copying goes through the clipboard API only.
import { api } from "../api.js";
import { h, clear, field, values, when, say, errorBox } from "../dom.js";
import { tierBadge } from "./secrets.js";

export const REVEAL_SECONDS = 30;

function hostsText(rules) {
  return (rules || []).map((rule) => `${rule.host}${rule.path_prefix || ""}`).join(", ");
}

function parentOf(path) {
  const at = path.lastIndexOf("/");
  return at > 0 ? path.slice(0, at) : "";
}

async function metadata(path) {
  const q = new URLSearchParams({ q: path, include_deleted: "true", limit: "200" });
  const namespace = parentOf(path);
  if (namespace) q.set("namespace", namespace);
  const page = await api.listSecrets(q);
  return page.items.find((item) => item.path === path) || null;
}

export function secretView(path) {
  const error = errorBox();
  const meta = h("div", { class: "panel" }, h("p", { class: "muted" }, "Loading…"));
  const versions = h("tbody");
  const revealArea = h("div", { id: "reveal-area" });
  const actions = h("div", { class: "row" });
  let revealed = null; // { el, timer, ticker }

  function hide() {
    if (!revealed) return;
    clearTimeout(revealed.timer);
    clearInterval(revealed.ticker);
    revealed.el.remove();
    revealed = null;
    revealButton.hidden = false;
  }

  const onHidden = () => {
    if (document.visibilityState === "hidden") hide();
  };
  document.addEventListener("visibilitychange", onHidden);

  const revealButton = h("button", { type: "button", id: "reveal" }, "Reveal value");
  revealButton.addEventListener("click", async () => {
    error.textContent = "";
    revealButton.disabled = true;
    try {
      const read = await api.readSecret(path);
      show(read);
    } catch (e) {
      error.textContent = e.message;
    } finally {
      revealButton.disabled = false;
    }
  });

  function show(read) {
    hide();
    let left = REVEAL_SECONDS;
    const countdown = h("span", { class: "muted", id: "reveal-countdown" }, `Hidden again in ${left} s`);
    const copy = h("button", { type: "button", class: "quiet", id: "copy" }, "Copy");
    const hideButton = h("button", { type: "button", class: "quiet", id: "hide" }, "Hide");
    const value = read.value;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(value ?? "");
        say("Copied to the clipboard.");
      } catch {
        say("The browser refused the clipboard.");
      }
    });
    hideButton.addEventListener("click", () => {
      hide();
      revealButton.focus();
    });
    const fields = Object.entries(read.fields || {});
    const el = h(
      "div",
      { class: "panel", id: "revealed", role: "region", "aria-label": "Revealed value" },
      value !== undefined && value !== null ? h("p", { class: "revealed", id: "revealed-value" }, value) : null,
      fields.length
        ? h("dl", { class: "meta" }, ...fields.flatMap(([name, v]) => [h("dt", {}, name), h("dd", { class: "revealed" }, v)]))
        : null,
      h("div", { class: "row" }, copy, hideButton, countdown),
    );
    revealed = {
      el,
      timer: setTimeout(hide, REVEAL_SECONDS * 1000),
      ticker: setInterval(() => {
        left -= 1;
        countdown.textContent = `Hidden again in ${left} s`;
      }, 1000),
    };
    revealButton.hidden = true;
    revealArea.append(el);
    hideButton.focus();
  }

  async function load() {
    error.textContent = "";
    try {
      const item = await metadata(path);
      clear(meta);
      clear(actions);
      if (!item) {
        meta.append(h("p", {}, "No such secret, or you may not list it."));
        return;
      }
      meta.append(
        h(
          "dl",
          { class: "meta", id: "metadata" },
          h("dt", {}, "Tier"), h("dd", {}, tierBadge(item.tier)),
          h("dt", {}, "Version"), h("dd", { id: "current-version" }, String(item.version)),
          h("dt", {}, "Description"), h("dd", {}, item.description || "—"),
          h("dt", {}, "Tags"), h("dd", {}, Object.entries(item.tags || {}).map(([k, v]) => `${k}:${v}`).join(", ") || "—"),
          h("dt", {}, "Fields"), h("dd", {}, String(item.field_count)),
          h("dt", {}, "Allowed hosts"), h("dd", {}, hostsText(item.allowed_hosts) || "—"),
          h("dt", {}, "Created"), h("dd", {}, when(item.created_at)),
          h("dt", {}, "Updated"), h("dd", {}, when(item.updated_at)),
          h("dt", {}, "Expires"), h("dd", {}, when(item.expires_at)),
          item.deleted_at ? [h("dt", {}, "Deleted"), h("dd", { id: "deleted-at" }, when(item.deleted_at))] : null,
        ),
      );
      current = item;
      editForm.elements.description.value = item.description || "";
      tierSelect.value = item.tier;
      editForm.elements.tags.value = Object.entries(item.tags || {}).map(([k, v]) => `${k}:${v}`).join(", ");
      editForm.elements.allowed_hosts.value = hostsText(item.allowed_hosts);
      if (item.deleted_at) {
        const restore = h("button", { type: "button", id: "restore" }, "Restore");
        restore.addEventListener("click", () => act(() => api.restore(path), "Restored."));
        actions.append(restore);
        revealButton.hidden = true;
      } else {
        revealButton.hidden = Boolean(revealed);
        const remove = h("button", { type: "button", class: "danger", id: "delete" }, "Delete");
        let armed = false;
        remove.addEventListener("click", () => {
          if (!armed) {
            armed = true;
            remove.textContent = "Confirm delete (restorable for 30 days)";
            return;
          }
          act(() => api.remove(path), "Deleted; it can be restored.");
        });
        actions.append(remove);
      }
      const listed = await api.versions(path).catch(() => ({ versions: [] }));
      clear(versions);
      for (const v of listed.versions) {
        versions.append(h("tr", {}, h("td", {}, `v${v.version}`), h("td", {}, v.state), h("td", {}, when(v.created_at)), h("td", {}, when(v.expires_at))));
      }
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function act(run, done) {
    error.textContent = "";
    try {
      await run();
      say(done);
      hide();
      await load();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  // Edit (`PATCH`): the metadata, the allowed hosts of the broker among it, and a new value
  // only when one is typed (a new version then; none otherwise). If-Match keeps it from
  // overwriting a version written since the page loaded.
  let current = null;
  const tierSelect = h(
    "select",
    { name: "tier" },
    ...["standard", "sensitive", "critical"].map((tier) => h("option", { value: tier }, tier)),
  );
  const editForm = h(
    "form",
    { class: "stack", id: "edit" },
    field("New value", h("input", { name: "value", type: "password", autocomplete: "off" }), "Leave empty to keep the value (no new version)"),
    field("Tier", tierSelect, "Lowering it needs an admin"),
    field("Description", h("input", { name: "description" })),
    field("Tags", h("input", { name: "tags" }), "key:value pairs, comma-separated"),
    field("Allowed hosts", h("input", { name: "allowed_hosts", spellcheck: "false" }), "Hosts the broker may send it to, comma-separated (admins only)"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Save")),
  );
  editForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current) return;
    const v = values(editForm);
    const body = { description: v.description || null };
    const typed = editForm.elements.value.value;
    if (typed) body.value = typed;
    if (v.tier !== current.tier) body.tier = v.tier;
    const tags = {};
    for (const part of v.tags.split(",").map((p) => p.trim()).filter(Boolean)) {
      const at = part.indexOf(":");
      if (at > 0) tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
    }
    body.tags = tags;
    // Each host as `{host}` (a rule's path prefix and methods are kept when the list is left
    // as it was; editing the list replaces it).
    if (v.allowed_hosts !== hostsText(current.allowed_hosts)) {
      body.allowed_hosts = v.allowed_hosts.split(",").map((p) => p.trim()).filter(Boolean).map((host) => ({ host }));
    }
    act(() => api.patch(path, body, current.version), typed ? "Saved as a new version." : "Saved (the value is unchanged).").then(() => {
      editForm.elements.value.value = "";
    });
  });

  const rotateForm = h(
    "form",
    { class: "stack", id: "rotate" },
    field("New value", h("input", { name: "new_value", type: "password", autocomplete: "off", required: true })),
    field("Grace period (seconds)", h("input", { name: "grace_period_seconds", type: "number", min: "0", value: "300", inputmode: "numeric" }), "The old version stays readable this long."),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Rotate")),
  );
  rotateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { grace_period_seconds } = values(rotateForm);
    const new_value = rotateForm.elements.new_value.value;
    act(() => api.rotate(path, { new_value, grace_period_seconds: Number(grace_period_seconds || 0) }), "Rotated.").then(() => rotateForm.reset());
  });

  load();
  const el = h(
    "section",
    {},
    h("p", {}, h("a", { href: "#/secrets" }, "← Secrets")),
    h("h1", {}, path),
    error,
    meta,
    h("h2", {}, "Value"),
    h("p", { class: "muted" }, `Revealing reads the value (recorded in the audit trail) and hides it again after ${REVEAL_SECONDS} s.`),
    h("div", { class: "row" }, revealButton),
    revealArea,
    h("h2", {}, "Versions"),
    h("div", { class: "table-wrap" }, h("table", { id: "versions" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, "Readable until"))), versions)),
    h("h2", {}, "Edit"),
    editForm,
    h("h2", {}, "Rotate"),
    rotateForm,
    h("h2", {}, "Delete or restore"),
    actions,
  );
  return {
    title: path,
    el,
    leave() {
      hide();
      document.removeEventListener("visibilitychange", onHidden);
    },
  };
}
