// A queue from the phone: pick a matter, take a ticket (no login; the hub's phone limit
// applies), land on its status page. The ticket is remembered on this phone so a resident
// who comes back to the poster's page finds it again rather than taking a second one.
import { label, minutes, split, t, tr } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("phone-app");
const KEY = `onewindow.phone.${app.dataset.hall}`;
const LIVE = ["waiting", "called", "serving"];

function showError(message) {
  const box = $("phone-error");
  box.hidden = !message;
  box.replaceChildren();
  if (!message) return;
  const pair = split(message);
  pair.parts.forEach((text, i) => {
    if (i) box.append(" ");
    const span = document.createElement("span");
    span.className = i === 0 && pair.parts.length === 2 ? "zh" : "en";
    span.textContent = text;
    box.append(span);
  });
  box.scrollIntoView({ block: "center" });
}

function setBusy(busy) {
  for (const button of document.querySelectorAll("[data-take]")) {
    if (busy) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }
}

async function take(code) {
  showError("");
  setBusy(true);
  try {
    const response = await fetch(app.dataset.takeUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ matter: code }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status !== 201) {
      showError(body?.error?.message || t("The hub did not answer; try again."));
      return;
    }
    const ticket = body.ticket;
    try {
      localStorage.setItem(KEY, JSON.stringify({ number: ticket.number, url: ticket.status_url }));
    } catch {
      // Private browsing may refuse storage: the status page itself is all the resident needs.
    }
    location.assign(ticket.status_url);
  } catch {
    showError(t("The hub is unreachable; try again shortly."));
  } finally {
    setBusy(false);
  }
}

for (const button of document.querySelectorAll("[data-take]")) {
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") !== "true") take(button.dataset.take);
  });
}

// A ticket this phone took earlier that is still in line: offer it before a second one.
async function showMine() {
  let mine = null;
  try {
    mine = JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    return;
  }
  if (!mine?.url) return;
  const token = new URL(mine.url, location.href).pathname.split("/").pop();
  try {
    const response = await fetch(`/api/v1/tickets/${encodeURIComponent(token)}`, { cache: "no-store" });
    if (!response.ok) return;
    const { ticket } = await response.json();
    if (!LIVE.includes(ticket.status)) return;
    $("mine-text").replaceChildren(label("mine", { n: ticket.number }));
    $("mine-link").href = mine.url;
    $("mine").hidden = false;
  } catch {
    // Offline: the matters still show; nothing to offer.
  }
}

function waitLine(m) {
  if (!m.open) return label("closed_now");
  if (m.full) return label("full");
  return label("wait_line", { w: tr("waiting_n", { n: m.waiting }), t: minutes(m.estimated_wait_s) });
}

// The waiting counts and estimates, read again now and then while the page is open.
async function refresh() {
  try {
    const response = await fetch(app.dataset.matters, { cache: "no-store" });
    if (!response.ok) return;
    for (const m of (await response.json()).matters) {
      const row = document.querySelector(`.phone-matter[data-matter="${CSS.escape(m.code)}"]`);
      if (!row) continue;
      row.querySelector("[data-wait]").replaceChildren(waitLine(m));
      row.querySelector("[data-take]").disabled = !m.open || m.full;
    }
  } catch {
    // Offline for a moment: the last counts stay until the next round.
  }
}

showMine();
setInterval(refresh, 30000);
