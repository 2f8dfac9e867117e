// The display as a device: a token handed over as "#token=…" is kept and dropped from the
// address; the hall chooser of a display without a token shows a pairing code; a paired
// display says it is alive every minute and opens its hall's board.
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
      if (chooser && device.kind === "display") location.replace(pageOf(device));
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
