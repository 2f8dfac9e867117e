// The maintenance view: staff press and hold the hall's name for 3 s, log in, and see the
// kiosk's connection, device, hall, printer and the hub's version; they may pair it again or
// make it forget its token. The hub checks both the staff login and the device's own token;
// residents never get past the login. The staff token is logged out when the view closes.
import { label, t } from "hub";
import { fill, maintenanceView } from "maintenance";

const TOKEN_KEY = "onewindow.kiosk.token";
const $ = (id) => document.getElementById(id);

function show(state) {
  const online = document.documentElement.dataset.hub === "online";
  fill("maint-connection", label(online ? "hub_online" : "hub_offline"));
  const device = state ? state.device : null;
  fill("maint-device", device ? `${device.name} (#${device.id}, ${device.kind})` : "—");
  fill("maint-hall", device ? `${device.hall_name} (${device.hall})` : "—");
  if (!device || !device.printer_url) fill("maint-printer", label("printer_none"));
  else {
    const fault = device.printer_fault ? device.printer_fault : t("printer_ok");
    const jobs = device.open_jobs ? [label("printer_jobs", { n: device.open_jobs })] : [];
    fill("maint-printer", device.printer_url, fault, ...jobs);
    $("maint-printer").classList.toggle("notice-error", Boolean(device.printer_fault));
  }
  fill("maint-version", state ? state.version : "—");
}

const close = maintenanceView({
  handle: $("kiosk-title"),
  api: "/api/v1",
  deviceToken: () => localStorage.getItem(TOKEN_KEY),
  show,
});
$("maint-forget").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(TOKEN_KEY);
  location.reload();
});
$("maint-repair").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(TOKEN_KEY);
  location.replace(`${location.pathname}${location.search}#repair`);
  location.reload();
});
