// 补充评价 on the status page: once the ticket is finished, the resident may rate the service
// (once; the hub refuses a second rating, or one after the hall's days, with a clear message).
import { label } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("status-app");
const box = $("rate");
let score = null;

function sync() {
  if (box.dataset.done !== "1") box.hidden = app.dataset.status !== "done";
}
new MutationObserver(sync).observe(app, { attributes: true, attributeFilter: ["data-status"] });
sync();

function finish(message) {
  box.dataset.done = "1";
  for (const b of box.querySelectorAll("button")) b.disabled = true;
  $("rate-bad").hidden = true;
  $("rate-result").replaceChildren(message);
  $("rate-result").hidden = false;
}

async function send(body) {
  const response = await fetch(box.dataset.url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 201) finish(label("thanks"));
  else if (answer?.error?.code === "reason_required") {
    $("rate-result").replaceChildren(answer.error.message);
    $("rate-result").hidden = false;
  } else finish(answer?.error?.message || "");
}

for (const button of box.querySelectorAll(".rate-level")) {
  button.addEventListener("click", () => {
    score = Number(button.dataset.score);
    for (const b of box.querySelectorAll(".rate-level")) b.setAttribute("aria-pressed", String(b === button));
    if (score <= 2) $("rate-bad").hidden = false;
    else send({ score });
  });
}

$("rate-bad").addEventListener("submit", (event) => {
  event.preventDefault();
  const reasons = [...box.querySelectorAll("input[name=reason]:checked")].map((b) => b.value);
  const text = $("rate-text").value.trim();
  if (!reasons.length && !text) {
    $("rate-result").replaceChildren(label("need_reason"));
    $("rate-result").hidden = false;
    return;
  }
  send({ score, reasons, text });
});
