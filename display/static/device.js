// The display as a device: a token handed over as "#token=…" is kept and dropped from the
// address; the hall chooser of a display without a token shows a pairing code; a paired
// display says it is alive every minute and opens its hall's board (its own hall only); it
// connects with its token (shell.js) and staff may open its maintenance view (maintenance.js).
import { adoptToken, heartbeat, pageOf, pairDevice } from "device";

const $ = (id) => document.getElementById(id);
const api = $("display-device").dataset.api;
const chooser = $("pairing") !== null;
const token = adoptToken("display");

function startPairing() {
  pairDevice({
    api,
    onCode(code) {
      $("pairing-code").textContent = code;
      $("pairing").hidden = false;
    },
    onError() {
      $("pairing").hidden = true;
    },
    onPaired(_token, device) {
      location.replace(pageOf(device));
    },
  });
}

if (token) {
  heartbeat({
    api,
    kind: "display",
    token,
    onDevice(device) {
      if (device.kind !== "display") return;
      // A display shows its own hall (the hub refuses its token for another hall's board).
      const shown = document.querySelector("[data-hall]")?.dataset.hall;
      if (chooser || (shown && shown !== device.hall)) location.replace(pageOf(device));
    },
    onRevoked() {
      // A revoked display goes back to showing a pairing code.
      if (chooser) startPairing();
      else location.replace("/display/");
    },
  });
} else if (chooser) {
  startPairing();
}
