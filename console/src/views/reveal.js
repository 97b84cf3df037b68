// A value shown once, on the page's terms: in its own element, with Copy (the clipboard API)
// and Hide, removed from the DOM after `seconds` or when hidden. Returns { el, hide }.
import { h, say } from "../dom.js";

export function shownOnce(label, value, seconds, onGone) {
  let left = seconds;
  const countdown = h("span", { class: "muted" }, `Hidden in ${left} s`);
  const copy = h("button", { type: "button", class: "quiet" }, "Copy");
  const hideButton = h("button", { type: "button", class: "quiet" }, "Hide");
  const el = h("div", { class: "panel", role: "region", "aria-label": label }, h("p", { class: "revealed" }, value), h("div", { class: "row" }, copy, hideButton, countdown));
  let timer = null;
  let ticker = null;
  function hide() {
    clearTimeout(timer);
    clearInterval(ticker);
    el.remove();
    if (onGone) onGone();
  }
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      say("Copied to the clipboard.");
    } catch {
      say("The browser refused the clipboard.");
    }
  });
  hideButton.addEventListener("click", hide);
  timer = setTimeout(hide, seconds * 1000);
  ticker = setInterval(() => {
    left -= 1;
    countdown.textContent = `Hidden in ${left} s`;
  }, 1000);
  return { el, hide };
}
