// The hall board: newest call large, recent calls, windows, people waiting, clock, notice.
import { followHall, h, hallClock, label, tr } from "hub";
import { Announcer } from "./announcer.js";
import { displayAuth, installOfflineShell, noteHallTime, onRefused, watchDisplay } from "./shell.js";

const FLASH_MS = 10000;
// A no-show put back in line within its grace is shown this long under the recent calls.
const BACK_IN_LINE_MS = 120000;
const BACK_IN_LINE_MAX = 2;
const RECENT = 5;
const root = document.querySelector(".board");
const announcer = new Announcer(document.getElementById("announcer"), document.getElementById("sound-on"));
const state = { calls: [], windows: [], queues: [], notice: "" };
const seen = new Set();
let clock = hallClock(null);
let flashTimer = null;
let backInLine = []; // [{number, until}] newest first

const callKey = (c) => `${c.number}|${c.window}|${c.at}|${c.recall ? 1 : 0}`;

if (matchMedia("(orientation: portrait)").matches) document.documentElement.classList.add("portrait");

/**
 * Each number once, newest first: a recall moves the number to the top with a 再次呼叫
 * badge instead of listing it a second time.
 */
function distinctCalls() {
  const seenNumbers = new Set();
  const out = [];
  for (const c of state.calls) {
    if (seenNumbers.has(c.number)) continue;
    seenNumbers.add(c.number);
    out.push(c);
  }
  return out;
}

function renderLatest() {
  const latest = distinctCalls()[0];
  const box = document.getElementById("latest");
  document.getElementById("latest-number").textContent = latest ? latest.number : "—";
  const where = document.getElementById("latest-window");
  where.replaceChildren(latest ? label("go_to_window", { w: latest.window }) : label("no_calls"));
  box.dataset.number = latest ? latest.number : "";
  box.dataset.recall = String(Boolean(latest?.recall));
  document.getElementById("latest-recall").hidden = !latest?.recall;
}

function flash() {
  const box = document.getElementById("latest");
  box.classList.remove("flash");
  void box.offsetWidth; // restart the animation for a call that follows within 10 s
  box.classList.add("flash");
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
}

function renderRecent() {
  const list = document.getElementById("recent");
  list.replaceChildren(
    // Each "back in line" line takes a recent call's room, so the panel never overflows.
    ...distinctCalls().slice(1, RECENT + 1 - backInLine.length).map((c) =>
      h("li", { class: "recent-item", dataset: { number: c.number, recall: String(Boolean(c.recall)) } },
        h("span", { class: "recent-number" }, c.number),
        h("span", { class: "recent-arrow", "aria-hidden": "true" }, "→"),
        h("span", { class: "recent-window" }, label("window_n", { w: c.window })),
        c.recall ? h("span", { class: "tag" }, tr("recall").parts[0]) : null,
      ),
    ),
  );
}

function renderBackInLine() {
  const now = Date.now();
  backInLine = backInLine.filter((b) => b.until > now);
  const list = document.getElementById("back-in-line");
  list.hidden = backInLine.length === 0;
  list.replaceChildren(
    ...backInLine.map((b) =>
      h("li", { class: "back-item", dataset: { number: b.number } }, label("back_in_line", { n: b.number }))),
  );
}

function renderWindows() {
  const list = document.getElementById("windows");
  const shown = state.windows.filter((w) => w.status !== "closed");
  list.replaceChildren(
    ...shown.map((w) =>
      h("li", { class: `window-cell is-${w.status}`, dataset: { window: w.number } },
        h("span", { class: "window-no", "aria-label": tr("window_n", { w: w.number }).toString() },
          tr("window_short", { w: w.number }).parts[0]),
        w.status === "paused"
          ? h("span", { class: "window-state" }, label("paused"))
          : h("span", { class: "window-current" }, w.current || "—"),
      ),
    ),
  );
}

function renderQueues() {
  const list = document.getElementById("queues");
  list.replaceChildren(
    ...state.queues.map((q) =>
      h("li", { class: "queue-row", dataset: { queue: q.code } },
        h("span", { class: "queue-name" }, h("span", { class: "zh" }, q.name), " ",
          q.name_en && document.documentElement.lang !== "en" ? h("span", { class: "en" }, q.name_en) : null),
        h("span", { class: "queue-count" }, String(q.waiting)),
      ),
    ),
  );
}

function render() {
  renderLatest();
  renderBackInLine();
  renderRecent();
  renderWindows();
  renderQueues();
  const notice = document.getElementById("notice");
  if (notice.textContent !== state.notice) notice.textContent = state.notice;
}

function announce(call) {
  flash();
  announcer.add(call.number, call.window, Boolean(call.recall));
}

// The hall's state is the shared reducer's; a call is flashed and spoken as it comes, and
// calls made while we were away are found in the next snapshot.
function onChange(next, { snapshot, first, name, payload }) {
  if (name === "ticket.requeued") {
    backInLine = [{ number: payload.number, until: Date.now() + BACK_IN_LINE_MS },
      ...backInLine.filter((b) => b.number !== payload.number)].slice(0, BACK_IN_LINE_MAX);
  }
  // Called again: the call itself says where to go now.
  if (name === "ticket.called") backInLine = backInLine.filter((b) => b.number !== payload.number);
  Object.assign(state, { calls: next.calls, windows: next.windows, queues: next.queues, notice: next.notice });
  if (snapshot) {
    clock = hallClock(snapshot.now);
    noteHallTime(snapshot.now);
    tick();
    // Calls made while we were away: show and speak them (oldest first), never silently skip.
    const missed = first ? [] : next.calls.filter((c) => !seen.has(callKey(c))).reverse();
    next.calls.forEach((c) => seen.add(callKey(c)));
    render();
    missed.forEach(announce);
    return;
  }
  render();
  if (name === "ticket.called") {
    seen.add(callKey(next.calls[0]));
    announce(next.calls[0]);
  }
}

function tick() {
  const now = clock.now();
  const pad = (n) => String(n).padStart(2, "0");
  document.getElementById("clock-time").textContent =
    `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  const zh = new Intl.DateTimeFormat("zh-CN", { timeZone: "UTC", month: "long", day: "numeric", weekday: "long" }).format(now);
  const en = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" }).format(now);
  const text = document.documentElement.lang === "en" ? en : `${zh} ${en}`;
  const date = document.getElementById("clock-date");
  if (date.textContent !== text) date.textContent = text;
}

setInterval(tick, 1000);
setInterval(() => {
  if (backInLine.length) render();
}, 10000);
tick();

const hub = followHall({
  namespace: "/display",
  auth: displayAuth(root.dataset.hall),
  onRefused,
  onChange,
});

watchDisplay(hub);
installOfflineShell();
