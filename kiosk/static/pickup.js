// Collect a result: the receipt's QR code (a scanner types the status link) or the case
// number gives a ticket in the hall's pickup queue, over REST with this kiosk's token.
import { h } from "hub";

const TOKEN_KEY = "onewindow.kiosk.token";
const config = document.getElementById("kiosk-config").dataset;
const $ = (id) => document.getElementById(id);
let busy = false;

function hallCode() {
  return document.documentElement.dataset.hall || "";
}

// A scanned status link ends in the receipt code; anything else is taken as typed.
function caseRef(text) {
  const value = text.trim();
  const match = /\/c\/([A-Za-z0-9_-]{16,60})\/?$/.exec(value);
  return match ? match[1] : value;
}

function open() {
  $("pickup-case").value = "";
  $("pickup-error").hidden = true;
  document.dispatchEvent(new CustomEvent("kiosk:show", { detail: { view: "pickup" } }));
  $("pickup-case").focus();
}

async function submit(event) {
  event.preventDefault();
  const ref = caseRef($("pickup-case").value);
  if (!ref || busy) return;
  busy = true;
  $("pickup-submit").disabled = true;
  $("pickup-error").hidden = true;
  try {
    const response = await fetch(`${config.api}/${encodeURIComponent(hallCode())}/pickup-tickets`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) || ""}` },
      body: JSON.stringify({ case: ref }),
    });
    const answer = await response.json();
    if (!response.ok) {
      $("pickup-error").textContent = answer.error?.message || response.statusText;
      $("pickup-error").hidden = false;
      return;
    }
    document.dispatchEvent(new CustomEvent("kiosk:ticket", { detail: answer }));
  } finally {
    busy = false;
    $("pickup-submit").disabled = false;
  }
}

$("pickup-keys").replaceChildren(
  ...[...$("pickup-keys").dataset.keys].map((key) =>
    h("button", { type: "button", class: "key", onclick: () => { $("pickup-case").value += key; } }, key)),
  h("button", { type: "button", class: "key", onclick: () => { $("pickup-case").value = $("pickup-case").value.slice(0, -1); } }, "⌫"),
);
$("pickup-open").addEventListener("click", open);
$("pickup-form").addEventListener("submit", submit);
