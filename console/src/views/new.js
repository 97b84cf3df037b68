import { api } from "../api.js";
import { h, field, values, errorBox, say } from "../dom.js";

/** `key:value, key:value` → {key: value}. */
function parseTags(text) {
  const tags = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf(":");
    if (at < 1) throw new Error(`tag '${part}' must read key:value`);
    tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return tags;
}

export function newSecretView() {
  const error = errorBox();
  const form = h(
    "form",
    { class: "stack", id: "new-secret-form" },
    field("Path", h("input", { name: "path", required: true, spellcheck: "false", placeholder: "production/openai/api-key" })),
    field("Value", h("input", { name: "value", type: "password", autocomplete: "off", required: true })),
    field("Tier", h("select", { name: "tier" }, ...["standard", "sensitive", "critical"].map((t) => h("option", { value: t }, t)))),
    field("Description", h("input", { name: "description" })),
    field("Tags", h("input", { name: "tags", placeholder: "team:ml, env:prod" }), "key:value pairs, comma-separated"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Create")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const { path, tier, description, tags } = values(form);
    try {
      const body = { path, value: form.elements.value.value, tier };
      if (description) body.description = description;
      if (tags) body.tags = parseTags(tags);
      const created = await api.createSecret(body);
      form.reset();
      say(`Created ${created.path} (version ${created.version}).`);
      location.hash = `#/secret/${encodeURIComponent(created.path)}`;
    } catch (e) {
      error.textContent = e.message;
    }
  });
  return { title: "New secret", el: h("section", {}, h("p", {}, h("a", { href: "#/secrets" }, "← Secrets")), h("h1", {}, "New secret"), form) };
}
