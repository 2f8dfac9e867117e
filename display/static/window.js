// The screen above one window: its current number, its state and who serves there.
import { followHall, h, label } from "hub";
import { displayAuth, installOfflineShell, noteHallTime, onRefused, watchDisplay } from "./shell.js";

const FLASH_MS = 10000;
const root = document.querySelector(".screen");
const windowId = Number(root.dataset.windowId);
const number = root.dataset.windowNumber;
let win = null;
let flashTimer = null;

function render() {
  const el = document.getElementById("screen-number");
  const current = win && win.status !== "closed" ? win.current : null;
  el.textContent = current || "—";
  el.dataset.number = current || "";
  const stateEl = document.getElementById("screen-state");
  stateEl.className = `screen-state is-${win?.status || "closed"}`;
  let key = "idle";
  if (!win || win.status === "closed") key = "closed";
  else if (win.status === "paused") key = "paused";
  else if (current) key = win.current_status === "serving" ? "serving" : "calling";
  stateEl.replaceChildren(label(key, { r: win?.reason || "" }));
  const staff = win && win.status !== "closed" ? win.staff : null;
  document.getElementById("screen-staff").replaceChildren(
    staff ? h("span", {}, label("staff", { name: staff.name, no: staff.staff_no })) : "",
  );
}

function flash() {
  const el = document.getElementById("screen-number");
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => el.classList.remove("flash"), FLASH_MS);
}

// This window's row of the hall's state (the shared reducer's); a new call flashes.
const hub = followHall({
  namespace: "/display",
  auth: displayAuth(root.dataset.hall),
  onRefused,
  onChange(state, { name, payload, snapshot }) {
    if (snapshot) noteHallTime(snapshot.now);
    win = state.windows.find((w) => w.id === windowId) || null;
    render();
    if (name === "ticket.called" && payload.window === number) flash();
  },
});

watchDisplay(hub);
installOfflineShell();
