// The connection every client shares: snapshot first, then events in seq order; a gap or a
// reconnect brings a fresh snapshot; a banner and disabled actions while the hub is away.
import { io } from "socket.io-client";
import { apply, fromSnapshot } from "state";

const strings = JSON.parse(document.getElementById("strings")?.textContent || "{}");

/**
 * A value given in both languages ([zh, en]); in a label each language takes its own part,
 * so "已等候 5 分钟 Waited 5 min" never nests both languages inside each other.
 */
export class Pair {
  constructor(parts) {
    this.parts = parts;
  }
  part(i) {
    return this.parts[Math.min(i, this.parts.length - 1)];
  }
  toString() {
    return this.parts.join(" ");
  }
}

/** A translated label as a Pair of plain texts (Chinese first; only English on an English page). */
export function tr(key, values = {}) {
  const entry = strings[key] || [key];
  const parts = Array.isArray(entry) ? entry : pluralForms(entry.plural, values.n);
  return new Pair(parts.map((p, i) => fill(p, values, i)));
}

/**
 * The plural form of each language's part for the count n (hall/pages.py: plural): Chinese
 * first when there are two parts, English last; CLDR categories through Intl.PluralRules.
 */
function pluralForms(forms, n) {
  return forms.map((byCategory, i) => {
    const lang = forms.length === 2 && i === 0 ? "zh" : "en";
    const category = new Intl.PluralRules(lang).select(Number(n));
    return byCategory[category] ?? byCategory.other;
  });
}

/** A translated label as plain text: "中文 English". */
export function t(key, values = {}) {
  return tr(key, values).toString();
}

/** A translated label as two spans, Chinese first, English second. */
export function label(key, values = {}) {
  const parts = tr(key, values).parts;
  const frag = document.createDocumentFragment();
  parts.forEach((text, i) => {
    const span = document.createElement("span");
    const zh = parts.length === 2 && i === 0;
    span.className = zh ? "zh" : "en";
    span.lang = zh ? "zh" : "en";
    span.textContent = text;
    if (i) frag.append(" ");
    frag.append(span);
  });
  return frag;
}

/** Text given as "中文 / English" by the hub, as a Pair. */
export function split(text) {
  const parts = String(text ?? "").split(" / ");
  if (parts.length !== 2) return new Pair([String(text ?? "")]);
  return new Pair(document.documentElement.lang === "en" ? [parts[1]] : parts);
}

function fill(text, values, i) {
  return text.replace(/%\((\w+)\)s/g, (_, name) => {
    const value = values[name];
    return value instanceof Pair ? value.part(i) : String(value ?? "");
  });
}

/** Minutes as a Pair ("12 分钟" / "12 min"); under a minute reads "<1". */
export function minutes(seconds) {
  const n = seconds < 60 ? "<1" : String(Math.round(seconds / 60));
  return tr("%(n)s min", { n });
}

/** An element with a class and children (strings become text, never HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** The hub's clock offset from ours, and the hall's UTC offset, from a snapshot's "now". */
export function hallClock(nowIso) {
  const match = /([+-])(\d\d):(\d\d)$/.exec(nowIso || "");
  const offsetMin = match ? (match[1] === "-" ? -1 : 1) * (+match[2] * 60 + +match[3]) : 0;
  const skewMs = nowIso ? Date.parse(nowIso) - Date.now() : 0;
  return {
    /** Hall-local wall time as a Date whose UTC fields read as local fields. */
    now: () => new Date(Date.now() + skewMs + offsetMin * 60000),
    /** Seconds since an ISO instant, by the hub's clock. */
    since: (iso) => Math.max(0, Math.round((Date.now() + skewMs - Date.parse(iso)) / 1000)),
  };
}

/**
 * The hub's reason for refusing a connection as {code, message}. python-socketio sends a
 * refusal's single argument as the message text (a dict's repr when the hub passes the
 * error body), or the body as data when given (message, data): read both shapes.
 */
function refusal(err) {
  if (err?.data?.message) return err.data;
  const text = String(err?.message || "");
  const message = /'message': '([^']*)'/.exec(text);
  const code = /'code': '([^']*)'/.exec(text);
  return { code: code ? code[1] : "refused", message: message ? message[1] : text };
}

const banner = () => document.getElementById("hub-banner");

function setOnline(online) {
  document.documentElement.dataset.hub = online ? "online" : "offline";
  const el = banner();
  if (el) el.hidden = online;
  for (const button of document.querySelectorAll("[data-needs-hub]")) {
    button.setAttribute("aria-disabled", String(!online));
  }
}

/**
 * Connect to a hub namespace.
 * onSnapshot(snapshot, {first}) gets every snapshot (on connect, after a gap, on request);
 * onEvent(name, payload) gets each event exactly once, in order; onRefused(error) gets the
 * hub's refusal of the connection (bad token, unknown hall). A namespace whose first message
 * is not called "snapshot" names it (snapshotEvent), and snapshotOf(ack) reads the snapshot
 * out of the answer to a "snapshot" request (the hall namespaces answer {snapshot});
 * onOnline(online) hears the connection come and go.
 */
export function connectHub({
  namespace,
  auth,
  onSnapshot,
  onEvent,
  onRefused,
  onOnline,
  snapshotEvent = "snapshot",
  snapshotOf = (ack) => ack?.snapshot,
  transports = ["websocket"],
  reconnectionDelayMax = 3000,
}) {
  let seq = null;
  let snapshots = 0;
  let pending = [];
  let asking = false;
  const socket = io(namespace, {
    auth,
    transports,
    reconnectionDelay: 500,
    reconnectionDelayMax,
  });
  const online = (value) => {
    setOnline(value);
    onOnline?.(value);
  };
  online(false);

  function takeSnapshot(snap) {
    seq = snap.seq;
    onSnapshot?.(snap, { first: snapshots === 0 });
    snapshots += 1;
    document.documentElement.dataset.seq = String(seq);
    const queued = pending.filter((ev) => ev[1].seq > seq);
    pending = [];
    queued.forEach(([name, payload]) => deliver(name, payload));
  }

  function deliver(name, payload) {
    // Notifications (print jobs, printers) are outside the hall's sequence: each carries the
    // whole state of its job or printer, and a snapshot recovers any that were missed.
    if (payload && typeof payload === "object" && !("seq" in payload)) {
      onEvent?.(name, payload);
      return;
    }
    if (seq === null || asking) {
      pending.push([name, payload]);
      return;
    }
    if (typeof payload?.seq !== "number" || payload.seq <= seq) return;
    if (payload.seq > seq + 1) {
      resync();
      return;
    }
    seq = payload.seq;
    document.documentElement.dataset.seq = String(seq);
    onEvent?.(name, payload);
    // The hall's configuration changed (hall config import): queues, windows, matters and
    // names may all differ, so take the whole hall again rather than patch it.
    if (name === "config.changed") resync();
  }

  async function resync() {
    if (asking) return;
    asking = true;
    try {
      const ack = await socket.timeout(8000).emitWithAck("snapshot", {});
      asking = false;
      const snap = snapshotOf(ack);
      if (snap) takeSnapshot(snap);
    } catch {
      asking = false;
    }
  }

  socket.on("connect", () => online(true));
  socket.on(snapshotEvent, (snap) => {
    asking = false;
    takeSnapshot(snap);
  });
  socket.onAny((name, payload) => {
    if (name !== snapshotEvent) deliver(name, payload);
  });
  socket.on("disconnect", (reason) => {
    online(false);
    seq = null;
    // The hub dropped us on purpose (e.g. a restart): the client will not retry by itself.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
  });
  socket.on("connect_error", (err) => {
    online(false);
    // A refusal by the hub (bad token, unknown hall) ends the retries; a lost hub does not.
    if (!socket.active) onRefused?.(refusal(err));
  });

  return {
    socket,
    resync,
    get online() {
      return socket.connected;
    },
    /** Emit and wait for the ack; a timeout or a lost hub becomes an error like the hub's. */
    async request(event, data = {}) {
      if (!socket.connected) {
        return { error: { code: "offline", message: t("The hub is unreachable; try again shortly.") } };
      }
      try {
        return await socket.timeout(10000).emitWithAck(event, data);
      } catch {
        return { error: { code: "timeout", message: t("The hub did not answer; try again.") } };
      }
    },
  };
}

/**
 * Follow a hall through connectHub, keeping its state with the shared reducer (state.js):
 * onChange(state, change) after the first snapshot and after every event or later snapshot,
 * where change is {snapshot, first} or {name, payload}, with the state before it as `before`.
 * Only a gap in seq or a reconnect brings a snapshot; events are applied as they come.
 */
export function followHall({ onChange, ...options }) {
  let state = null;
  const hub = connectHub({
    ...options,
    onSnapshot(snapshot, { first }) {
      const before = state;
      state = fromSnapshot(snapshot, state);
      onChange?.(state, { snapshot, first, before });
    },
    onEvent(name, payload) {
      const before = state;
      state = apply(state, name, payload);
      if (state !== before) onChange?.(state, { name, payload, before });
    },
  });
  return {
    socket: hub.socket,
    resync: hub.resync,
    request: hub.request,
    get online() {
      return hub.online;
    },
    get state() {
      return state;
    },
  };
}
