// Administration: where approval requests are announced (`GET/PUT /v1/notifications`, admin
// only): a Slack incoming webhook, a signed webhook (URL and shared secret), email addresses.
// The Slack URL and the webhook secret are credentials: the API never shows them back, so the
// page shows only that they are set, and a save sends every channel again (the API replaces
// the whole set): a set secret must be entered again, or its channel turned off explicitly.
import { admin } from "../api-admin.js";
import { h, clear, field, errorBox, say } from "../dom.js";

const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function channelsView() {
  const error = errorBox();
  const now = h("dl", { class: "meta", id: "channels-now" });
  let state = null;

  const slackUrl = h("input", { name: "slack_webhook_url", type: "url", autocomplete: "off", spellcheck: "false", placeholder: "https://hooks.slack.com/services/…" });
  const slackOff = h("input", { type: "checkbox", name: "slack_off" });
  const slackOffLabel = h("label", { class: "check" }, slackOff, "Turn Slack off");
  const hookUrl = h("input", { name: "webhook_url", type: "url", autocomplete: "off", spellcheck: "false", placeholder: "https://example.com/latchkey" });
  const hookSecret = h("input", { name: "webhook_secret", type: "password", autocomplete: "new-password", minlength: "16", maxlength: "256" });
  const hookOff = h("input", { type: "checkbox", name: "webhook_off" });
  const hookOffLabel = h("label", { class: "check" }, hookOff, "Turn the webhook off");
  const emails = h("input", { name: "email_to", autocomplete: "off", spellcheck: "false", placeholder: "security@example.com" });
  const form = h(
    "form",
    { class: "stack", id: "channels" },
    h("fieldset", { class: "panel stack" }, h("legend", {}, "Slack"), field("Incoming webhook URL", slackUrl, "Never shown again once saved"), slackOffLabel),
    h("fieldset", { class: "panel stack" }, h("legend", {}, "Signed webhook"), field("URL", hookUrl), field("Secret", hookSecret, "16 to 256 bytes; the receiver checks X-Latchkey-Signature with it. Never shown again"), hookOffLabel),
    field("Email addresses", emails, "Comma-separated; empty for none"),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Save channels")),
    error,
  );

  function wipe() {
    slackUrl.value = "";
    hookSecret.value = "";
  }

  function show(view) {
    state = view;
    clear(now);
    const row = (term, text) => [h("dt", {}, term), h("dd", {}, text)];
    now.append(
      ...row("Slack", view.slack ? `on, posts to ${view.slack.host} (URL set, not shown)` : "off"),
      ...row("Webhook", view.webhook ? `on, ${view.webhook.url} (secret set, not shown)` : "off"),
      ...row("Email", view.email ? view.email.to.join(", ") : "none"),
    );
    wipe();
    slackOff.checked = false;
    hookOff.checked = false;
    slackOffLabel.hidden = !view.slack;
    hookOffLabel.hidden = !view.webhook;
    hookUrl.value = view.webhook ? view.webhook.url : "";
    emails.value = view.email ? view.email.to.join(", ") : "";
  }

  /** The body the form says, or why it cannot be sent. */
  function body() {
    const out = {};
    if (!slackOff.checked && slackUrl.value.trim()) out.slack_webhook_url = slackUrl.value.trim();
    else if (!slackOff.checked && state.slack) throw new Error("Slack is on: enter its webhook URL again to keep it (it is never shown back), or tick “Turn Slack off”.");
    const url = hookUrl.value.trim();
    if (!hookOff.checked && (url || hookSecret.value)) {
      if (!url) throw new Error("The webhook needs its URL.");
      if (!hookSecret.value) throw new Error(state.webhook ? "The webhook is on: enter its secret again to keep it (it is never shown back), or tick “Turn the webhook off”." : "The webhook needs a secret.");
      out.webhook = { url, secret: hookSecret.value };
    }
    const to = list(emails.value);
    if (to.length) out.email = { to };
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      show(await admin.setNotifications(body()));
      say("Saved the channels.");
    } catch (e) {
      error.textContent = e.message;
    }
  });

  admin
    .notifications()
    .then(show)
    .catch((e) => {
      error.textContent = e.status === 403 ? "Notification channels need the admin permission." : e.message;
    });

  const el = h(
    "section",
    {},
    h("h1", {}, "Notification channels"),
    h("p", { class: "muted" }, "Where approval requests are announced, each with a link to decide it."),
    h("h2", {}, "Now"),
    now,
    h("h2", {}, "Change"),
    h("p", { class: "muted" }, "Saving sets every channel as this form says."),
    form,
  );
  return { title: "Notification channels", el, leave: wipe };
}
