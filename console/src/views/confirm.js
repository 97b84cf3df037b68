// Small pieces the administration pages share.
import { h } from "../dom.js";

/** Seconds in the largest whole unit. */
export function duration(seconds) {
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

/** A second click within a few seconds confirms a deletion. */
export function confirmButton(label, name, act) {
  const button = h("button", { type: "button", class: "danger", "aria-label": `${label} ${name}` }, label);
  let armed = null;
  const disarm = () => {
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.setAttribute("aria-label", `${label} ${name}`);
  };
  button.addEventListener("click", () => {
    if (armed) {
      disarm();
      act();
      return;
    }
    button.textContent = "Confirm";
    button.setAttribute("aria-label", `Confirm: ${label.toLowerCase()} ${name}`);
    armed = setTimeout(disarm, 5000);
  });
  return button;
}
