import { logIn } from "../api.js";
import { h, field, values, errorBox } from "../dom.js";

export function loginView(onLogin) {
  const error = errorBox();
  const form = h(
    "form",
    { class: "stack", id: "login", novalidate: true },
    // A message to an approver links here with its tenant filled in (`?tenant=tn_…`).
    field("Tenant ID", h("input", { name: "tenant", id: "tenant", autocomplete: "organization", required: true, spellcheck: "false", value: new URLSearchParams(location.search).get("tenant") })),
    field("Email", h("input", { name: "email", id: "email", type: "email", autocomplete: "username", required: true })),
    field("Password", h("input", { name: "password", id: "password", type: "password", autocomplete: "current-password", required: true })),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Log in")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { tenant, email } = values(form);
    error.textContent = "";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const session = await logIn(tenant, email, form.elements.password.value);
      form.reset();
      onLogin(session);
    } catch (e) {
      error.textContent = e.message;
      form.elements.password.value = "";
      form.elements.password.focus();
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { "aria-labelledby": "login-title" }, h("h1", { id: "login-title" }, "Log in"), h("p", { class: "muted" }, "Your tenant user's email and password. The session ends after 30 minutes without use."), form);
}
