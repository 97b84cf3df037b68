// Builds elements from data without ever parsing it as HTML: text goes in as text nodes, so
// nothing a secret's path, tag or an audit event carries can become markup or script.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

let said = 0;
/** A short message in the live region (read out by screen readers). */
export function say(text) {
  const status = document.getElementById("status");
  status.textContent = text;
  const mine = ++said;
  setTimeout(() => {
    if (mine === said) status.textContent = "";
  }, 4000);
}

export function when(text) {
  if (!text) return "—";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

/** A labelled field. */
export function field(label, input, hint) {
  return h("label", {}, label, input, hint ? h("span", { class: "muted" }, hint) : null);
}

/** The form's named values (trimmed strings; checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value.trim();
  }
  return out;
}

export function errorBox() {
  return h("p", { class: "error", role: "alert" });
}
