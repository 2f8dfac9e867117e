// The display's maintenance view, shaped like the kiosk's: staff press and hold the hall's
// (or the window's) name for 3 s, log in, and see the device, its hall, the connection (with
// the device token or the hall code alone), the hub's address, the last event heard and the
// hub's version; they may play a test announcement, reload, pair the display again or make
// it forget its token. The hub checks the staff login and the display's own token; the staff
// token is logged out when the view closes (or after 2 minutes).
import { label } from "hub";
import { tokenKey } from "device";
import { fill, maintenanceView } from "maintenance";

// A number the hub never issues (numbers start at 1): nobody in the hall takes it for a call.
const TEST_NUMBER = "A000";
const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const config = $("display-device").dataset;
const page = document.querySelector("[data-hall]").dataset;
let testAudio = null;

function lastEvent() {
  const at = root.dataset.lastEvent;
  if (!at) return label("no_event");
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
  // In the hall's time zone (the offset of the hub's last snapshot), on a 24-hour clock.
  const match = /([+-])(\d\d):(\d\d)$/.exec(root.dataset.hallNow || "");
  const offsetMin = match ? (match[1] === "-" ? -1 : 1) * (+match[2] * 60 + +match[3]) : 0;
  const time = new Date(Date.parse(at) + offsetMin * 60000).toISOString().slice(11, 19);
  return `${time} (${seconds} s)`;
}

function show(state) {
  const device = state ? state.device : null;
  fill("maint-device", device ? `${device.name || "—"} (#${device.id}, ${device.kind})` : label("not_paired"));
  fill("maint-hall", device ? `${device.hall_name} (${device.hall})` : page.hall);
  const online = root.dataset.hub === "online";
  const via = root.dataset.displayAuth === "token" ? "via_token" : "via_hall";
  fill("maint-connection", label(online ? "hub_online" : "hub_offline"), label(via));
  $("maint-connection").dataset.online = String(online);
  fill("maint-hub", location.origin);
  fill("maint-last-event", lastEvent());
  fill("maint-version", state ? state.version : "—");
  $("maint-test-state").hidden = true;
}

function testState(key) {
  const el = $("maint-test-state");
  el.dataset.state = key;
  el.replaceChildren(label(`test_${key}`));
  el.hidden = false;
}

// The test announcement plays on this display only (a click lets the browser play sound).
function testAnnouncement() {
  testAudio?.pause();
  const window = page.windowNumber || "0";
  const audio = new Audio(`${config.voiceUrl}?${new URLSearchParams({ number: TEST_NUMBER, window })}`);
  testAudio = audio;
  testState("playing");
  audio.addEventListener("ended", () => testState("done"), { once: true });
  audio.addEventListener("error", () => testState("failed"), { once: true });
  audio.play().catch(() => testState("failed"));
}

const close = maintenanceView({
  handle: document.querySelector("[data-maint-hold]"),
  api: config.api,
  deviceToken: () => localStorage.getItem(tokenKey("display")),
  hall: page.hall,
  show,
});
$("maint-test").addEventListener("click", testAnnouncement);
$("maint-reload").addEventListener("click", async () => {
  await close();
  location.reload();
});
// Forget: this page goes on by the hall's code alone. Pair again: a fresh pairing code.
$("maint-forget").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(tokenKey("display"));
  location.reload();
});
$("maint-repair").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(tokenKey("display"));
  location.replace("/display/");
});
