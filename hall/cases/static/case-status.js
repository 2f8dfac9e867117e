// The resident's case page: one case, followed live over the /case namespace by its receipt
// code. The hub sends the case first; each "case.changed" nudge makes the page ask for it
// again (the nudge carries only the number and state). No personal data is ever sent here.
import { Pair, connectHub, h, label, split } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("case-app");
let current = JSON.parse($("case-data").textContent);

function line(key, values = {}) {
  return h("p", {}, label(key, values));
}

function pairText(text) {
  const pair = split(text);
  const parts = pair.parts;
  if (parts.length === 1) return document.createTextNode(parts[0]);
  return h("span", {}, parts[0], h("span", { class: "en", lang: "en" }, parts[1]));
}

function facts(c) {
  const out = [];
  if (c.deadline && (c.status === "in_review" || c.status === "returned")) {
    out.push(h("p", {}, h("strong", {}, label("promised", { d: c.deadline }))));
  }
  if (c.clock_stopped) out.push(line("paused"));
  if (c.missing_documents.length) {
    out.push(line("bring"));
    out.push(h("ul", { id: "case-missing" }, ...c.missing_documents.map((m) =>
      h("li", {}, h("strong", {}, m.name), "：", m.reason))));
  }
  if (c.deferred_documents.length) {
    out.push(line("later"));
    out.push(h("ul", {}, ...c.deferred_documents.map((d) =>
      h("li", {}, h("strong", {}, d.name), " · ", label("due", { d: d.due })))));
  }
  if (c.status === "refused") {
    out.push(line("refused"), h("p", {}, h("strong", {}, pairText(c.reason))), line("rights"));
  }
  if (c.decision && (c.status === "ready" || c.status === "closed")) {
    out.push(line(c.decision === "rejected" ? "rejected" : "approved"));
  }
  return out;
}

function where(c) {
  const post = c.delivery === "post";
  if (c.status === "closed") {
    return [
      line("handed", { d: (c.handed_over_at || "").slice(0, 10) }),
      post && c.tracking_number ? line("posted", { t: c.tracking_number }) : null,
    ];
  }
  if (c.status === "ready") {
    if (post) return [line("ready_post", { a: c.address })];
    return [
      line("ready_window", { h: new Pair([c.hall_name, c.hall_name_en || c.hall_name]) }),
      c.pickup_windows.length ? line("windows", { w: c.pickup_windows.join("、") }) : null,
      c.pickup_ticket ? line("pickup_ticket", { n: c.pickup_ticket }) : line("kiosk"),
    ];
  }
  if (post && c.status !== "refused") return [line("post", { a: c.address })];
  return [];
}

function hallTime(c) {
  const match = /([+-])(\d\d):(\d\d)$/.exec(c.received_at || "");
  const offsetMin = match ? (match[1] === "-" ? -1 : 1) * (+match[2] * 60 + +match[3]) : 0;
  const local = new Date(Date.now() + offsetMin * 60000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}

function render(c) {
  current = c;
  app.dataset.status = c.status;
  $("case-number").textContent = c.number;
  const state = $("case-state");
  state.dataset.status = c.status;
  state.replaceChildren(pairText(c.status_label));
  $("case-facts").replaceChildren(...facts(c));
  const place = where(c).filter(Boolean);
  $("case-where").replaceChildren(...place);
  $("case-where").hidden = place.length === 0;
  $("updated").replaceChildren(label("updated", { t: hallTime(c) }));
}

render(current);
const hub = connectHub({
  namespace: "/case",
  auth: { case: app.dataset.code },
  onSnapshot: (snap) => render(snap.case),
  onEvent: (name) => {
    if (name === "case.changed") hub.resync();
  },
});
