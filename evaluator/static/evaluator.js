// The evaluator at a window: it follows the hall over /display, and when its window finishes a
// ticket it asks the resident for one rating (一次一评), sent with the device's own token.
import { adoptToken, heartbeat, pageOf, pairDevice } from "device";
import { connectHub, label, t } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("evaluator-app");
const { hall, window: windowNumber, api } = app.dataset;
let current = null;
let chosen = null;
let resetTimer = null;

// A provisioning script opens the page with #token=…: keep it, and drop it from the address.
const token = adoptToken("evaluator");

function show(state) {
  app.dataset.state = state;
  $("ev-idle").hidden = state !== "idle";
  $("ev-ask").hidden = state !== "ask";
  $("ev-thanks").hidden = state !== "thanks";
}

function ask(ticket) {
  clearTimeout(resetTimer);
  current = ticket;
  chosen = null;
  $("ev-prompt").replaceChildren(label("rate_n", { n: ticket.number }));
  $("ev-bad").hidden = true;
  $("ev-error").hidden = true;
  $("ev-text").value = "";
  for (const box of document.querySelectorAll("input[name=reason]")) box.checked = false;
  for (const b of document.querySelectorAll(".ev-level")) b.setAttribute("aria-pressed", "false");
  show("ask");
  // Nobody rated within two minutes: back to the welcome screen.
  resetTimer = setTimeout(() => show("idle"), 120000);
}

async function send(body) {
  const response = await fetch(`${api}/tickets/${current.id}/rating`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 201 || answer?.error?.code === "already_rated") {
    current = null;
    show("thanks");
    clearTimeout(resetTimer);
    resetTimer = setTimeout(() => show("idle"), 6000);
    return;
  }
  $("ev-error").textContent = answer?.error?.message || t("The hub did not answer; try again.");
  $("ev-error").hidden = false;
  $("ev-bad").hidden = false;
}

for (const button of document.querySelectorAll(".ev-level")) {
  button.addEventListener("click", () => {
    if (!current) return;
    chosen = Number(button.dataset.score);
    for (const b of document.querySelectorAll(".ev-level")) {
      b.setAttribute("aria-pressed", String(b === button));
    }
    // A 差评 (不满意, 非常不满意) needs a reason or a comment; the others go at once.
    if (chosen <= 2) $("ev-bad").hidden = false;
    else send({ score: chosen });
  });
}

$("ev-bad").addEventListener("submit", (event) => {
  event.preventDefault();
  const reasons = [...document.querySelectorAll("input[name=reason]:checked")].map((b) => b.value);
  const text = $("ev-text").value.trim();
  if (!reasons.length && !text) {
    $("ev-error").replaceChildren(label("need_reason"));
    $("ev-error").hidden = false;
    return;
  }
  send({ score: chosen, reasons, text });
});

// No token: a pairing code for an admin to enter on /admin/devices (with this window's number).
function startPairing() {
  pairDevice({
    api,
    onCode(code) {
      $("pairing-code").textContent = code;
      $("pairing").hidden = false;
      $("ev-setup").hidden = true;
    },
    onError() {
      $("pairing").hidden = true;
    },
    onPaired(_token, device) {
      location.replace(pageOf(device));
    },
  });
}

if (!token) {
  show("idle");
  startPairing();
} else if (!hall || !windowNumber) {
  // Paired, opened without its hall or window: go to the ones it was paired for, if known.
  show("idle");
  heartbeat({
    api,
    kind: "evaluator",
    token,
    onDevice(device) {
      const target = pageOf(device);
      if (!target.endsWith("window=")) location.replace(target);
      $("ev-setup").replaceChildren(label("setup_needed"));
      $("ev-setup").hidden = false;
    },
    onRevoked: startPairing,
  });
} else {
  heartbeat({ api, kind: "evaluator", token, onRevoked: () => location.replace("/evaluator/") });
  show("idle");
  connectHub({
    namespace: "/display",
    auth: { hall },
    onEvent(name, ev) {
      if (name === "ticket.finished" && String(ev.window) === windowNumber) {
        ask({ id: ev.ticket_id, number: ev.number });
      }
    },
  });
}
