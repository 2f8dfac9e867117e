// The hall as a client knows it: a snapshot, then each hub event applied in seq order.
// Pure functions over plain objects (no DOM, no socket, no clock): apply() never changes the
// state it is given, so a page can keep the previous state to see what an event changed.
// Event names and payloads are docs/api.md's ("Events"); snapshots are hall_snapshot()'s.

const RECENT_CALLS = 10; // the snapshot's recent_calls() keeps as many

/**
 * A hall state from a snapshot (public view, or the staff view with waiting lists). Given the
 * state before it, the new one keeps what only events tell: print faults of single tickets and
 * the place in line of tickets called since (so a no-show goes back to its place).
 */
export function fromSnapshot(snap, before = null) {
  const waiting = snap.waiting ? mapValues(snap.waiting, (list) => list.map((x) => ({ ...x }))) : null;
  const known = waiting ? { ...before?.known } : {};
  for (const [code, list] of Object.entries(waiting || {})) {
    for (const x of list) known[x.id] = fact(x, code);
  }
  const windows = (snap.windows || []).map((w) => ({ ...w }));
  const queues = (snap.queues || []).map((q) => {
    // What one person waiting costs one open window, read back from the hub's estimate, so
    // the estimate can follow the count between snapshots; unknown while nobody waits.
    const open = Math.max(1, q.open_windows || 0);
    const service_s = q.waiting > 0 ? (q.estimated_wait_s * open) / q.waiting : null;
    return { ...q, service_s };
  });
  return {
    hall: snap.hall,
    name: snap.name,
    name_en: snap.name_en,
    seq: snap.seq,
    now: snap.now,
    at: snap.now,
    notice: snap.notice || "",
    calls: (snap.calls || []).map((c) => ({ ...c })),
    windows,
    queues,
    waiting,
    printer_faults: (snap.printer_faults || []).map((p) => ({ ...p })),
    print_faults: before?.print_faults || [],
    bad_ratings: (snap.bad_ratings || []).map((r) => ({ ...r })),
    stranded: (snap.stranded || []).map((t) => ({ ...t })),
    wait_target_s: snap.wait_target_s ?? null,
    known,
  };
}

/** The state after one hub event; an event this module does not know leaves it as it was. */
export function apply(state, name, ev) {
  const handler = HANDLERS[name];
  if (!handler || !state || !ev) return state;
  const next = handler({ ...state }, ev);
  next.seq = typeof ev.seq === "number" ? ev.seq : state.seq;
  if (ev.at) next.at = ev.at;
  return next;
}

/** A waiting list of the staff view: the queue's entries in line order (empty on public views). */
export function waitingList(state, code) {
  return state?.waiting?.[code] || [];
}

/**
 * One ticket as a resident or a counter sees it (the hub's ticket JSON) after an event about
 * it; any other event leaves it as it was. People ahead and the estimate are the hub's to
 * recount (events do not say who was ahead of whom).
 */
export function applyToTicket(ticket, name, ev) {
  if (!ticket || !ev || ev.ticket_id !== ticket.id || !name.startsWith("ticket.")) return ticket;
  if (name === "ticket.issued") return ticket;
  const next = {
    ...ticket,
    status: ev.status ?? ticket.status,
    calls: ev.calls ?? ticket.calls,
    queue: ev.queue ?? ticket.queue,
    window: ev.window ?? null,
    window_name: ev.window_name ?? null,
  };
  if (name === "ticket.called") next.called_at = ev.at;
  if (next.status !== "waiting") Object.assign(next, { ahead: 0, estimated_wait_s: 0 });
  return next;
}

// ---- handlers: each gets a shallow copy of the state and returns it --------------------------

const HANDLERS = {
  // 差评 and their follow-up (notifications for the board; hall/stats).
  "rating.bad"(s, ev) {
    const entry = { rating_id: ev.rating_id, number: ev.number, window: ev.window, score: ev.score,
      due_on: ev.due_on, overdue: Boolean(ev.overdue), at: ev.at };
    return { ...s, bad_ratings: [...(s.bad_ratings || []).filter((r) => r.rating_id !== ev.rating_id), entry] };
  },

  // Tickets sent to a window that is no longer open (the board's alert sweep, hall/stats).
  "board.stranded"(s, ev) {
    return { ...s, stranded: (ev.tickets || []).map((t) => ({ ...t })) };
  },

  "rating.followed_up"(s, ev) {
    if (!ev.closed) return s;
    return { ...s, bad_ratings: (s.bad_ratings || []).filter((r) => r.rating_id !== ev.rating_id) };
  },

  "ticket.issued"(s, ev) {
    s = withWaiting(s, ev.queue, ev.waiting);
    const entry = {
      id: ev.ticket_id,
      number: ev.number,
      status: "waiting",
      priority: ev.priority ?? null,
      // The event names the matter by its code; a page maps codes to names (matter_code).
      matter: ev.matter_name ?? null,
      matter_code: ev.matter ?? null,
      target_window: null,
      queued_at: ev.at,
    };
    return putEntry(s, ev.queue, entry);
  },

  "ticket.called"(s, ev) {
    const call = {
      number: ev.number,
      window: ev.window,
      window_name: ev.window_name,
      queue: ev.queue,
      recall: Boolean(ev.recall),
      at: ev.at,
    };
    s.calls = [call, ...s.calls].slice(0, RECENT_CALLS);
    s = withWindow(s, (w) => w.number === ev.window, { current: ev.number, current_status: "called" });
    s = withWaiting(s, ev.queue, ev.waiting);
    return dropEntry(s, ev.ticket_id);
  },

  "ticket.started"(s, ev) {
    return withWindow(s, (w) => w.number === ev.window, { current: ev.number, current_status: "serving" });
  },

  "ticket.finished"(s, ev) {
    s = leaveWindow(s, ev.window, ev.number);
    s = withWaiting(s, ev.queue, ev.waiting);
    const { [ev.ticket_id]: _done, ...known } = s.known;
    s.known = known;
    return s;
  },

  "ticket.no_show"(s, ev) {
    s = leaveWindow(s, ev.window, ev.number);
    s = withWaiting(s, ev.queue, ev.waiting);
    return putEntry(s, ev.queue, entryFor(s, ev, { status: "no_show", target_window: null }));
  },

  "ticket.requeued"(s, ev) {
    s = withWaiting(s, ev.queue, ev.waiting);
    return putEntry(s, ev.queue, entryFor(s, ev, { status: "waiting" }));
  },

  "ticket.transferred"(s, ev) {
    s = leaveWindow(s, ev.from_window, ev.number);
    s = withWaiting(s, ev.from_queue, ev.from_waiting);
    s = withWaiting(s, ev.queue, ev.waiting);
    const target = ev.to_window != null ? s.windows.find((w) => w.number === ev.to_window) : null;
    return putEntry(s, ev.queue, entryFor(s, ev, { status: "waiting", target_window: target ? target.id : null, note: ev.note || "" }));
  },

  // The resident's own moves from the status page (hall/queue/services.py: cancel, defer).
  "ticket.cancelled"(s, ev) {
    s = withWaiting(s, ev.queue, ev.waiting);
    s = dropEntry(s, ev.ticket_id);
    const { [ev.ticket_id]: _gone, ...known } = s.known;
    s.known = known;
    return s;
  },

  "ticket.deferred"(s, ev) {
    // Same entry (its note, its target window), a later place; "late" once said stays.
    const listed = Object.values(s.waiting || {}).flat().find((x) => x.id === ev.ticket_id);
    const late = Boolean(ev.late || listed?.late);
    return putEntry(s, ev.queue, { ...entryFor(s, ev, {}), ...listed, queued_at: ev.queued_at, late });
  },

  "window.opened": windowChanged,
  "window.paused": windowChanged,
  "window.resumed": windowChanged,
  "window.closed": windowChanged,

  "hall.notice"(s, ev) {
    s.notice = ev.notice || "";
    return s;
  },

  // A ticket whose print is retrying or failed, until it prints (the board's alerts). An
  // expired job is no fault: its ticket was called (or cancelled) before the paper came out.
  "print.updated"(s, ev) {
    const others = s.print_faults.filter((p) => p.number !== ev.number);
    if (ev.state === "printed" || ev.state === "expired") s.print_faults = others;
    else if (ev.reason) s.print_faults = [...others, { number: ev.number, ticket_id: ev.ticket_id, job_id: ev.job_id, reason: ev.reason }];
    return s;
  },

  "printer.fault"(s, ev) {
    const others = s.printer_faults.filter((p) => p.device_id !== ev.device_id);
    s.printer_faults = [...others, { device_id: ev.device_id, device: ev.device, fault: ev.reason, since: ev.since ?? ev.at ?? null }];
    return s;
  },

  "printer.ok"(s, ev) {
    s.printer_faults = s.printer_faults.filter((p) => p.device_id !== ev.device_id);
    return s;
  },
};

function windowChanged(s, ev) {
  const changes = { status: ev.status, reason: ev.reason, staff: ev.staff ?? null };
  if (ev.status === "closed") Object.assign(changes, { current: null, current_status: null });
  s = withWindow(s, (w) => w.id === ev.window_id, changes);
  // Open windows per queue, and with them the estimates, follow the windows.
  s.queues = s.queues.map((q) => estimate({ ...q, open_windows: openWindows(s.windows, q.code) }));
  return s;
}

// ---- helpers ---------------------------------------------------------------------------------

function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

/** What the state remembers of a ticket, to list it again after a no-show or a transfer. */
function fact(entry, queue) {
  return {
    id: entry.id,
    number: entry.number,
    queue,
    priority: entry.priority ?? null,
    matter: entry.matter ?? null,
    matter_code: entry.matter_code ?? null,
    queued_at: entry.queued_at,
  };
}

/**
 * A waiting-list entry for a ticket coming back into line. A ticket keeps its place (queued_at)
 * through a no-show, a re-queue and a transfer; when it was called before our snapshot the
 * state never saw its place, and the event's time stands in for it.
 */
function entryFor(s, ev, changes) {
  const known = s.known[ev.ticket_id] || {};
  return {
    id: ev.ticket_id,
    number: ev.number,
    status: "waiting",
    priority: known.priority ?? null,
    matter: known.matter ?? null,
    matter_code: known.matter_code ?? null,
    target_window: null,
    queued_at: known.queued_at || ev.at,
    ...changes,
  };
}

function openWindows(windows, code) {
  return windows.filter((w) => w.status === "open" && (w.queues || []).includes(code)).length;
}

function estimate(q) {
  if (!q.waiting) return { ...q, estimated_wait_s: 0 };
  if (q.service_s == null) return { ...q, estimated_wait_s: null };
  return { ...q, estimated_wait_s: Math.round((q.waiting * q.service_s) / Math.max(1, q.open_windows)) };
}

function withWaiting(s, code, waiting) {
  if (code == null || typeof waiting !== "number") return s;
  s.queues = s.queues.map((q) => {
    if (q.code !== code) return q;
    const next = estimate({ ...q, waiting });
    if (!waiting) next.longest_wait_s = 0;
    return next;
  });
  return s;
}

function withWindow(s, match, changes) {
  s.windows = s.windows.map((w) => (match(w) ? { ...w, ...changes } : w));
  return s;
}

/** The window no longer has this ticket (unless it already moved on to another one). */
function leaveWindow(s, number, ticketNumber) {
  return withWindow(s, (w) => w.number === number && (w.current === ticketNumber || w.current == null), {
    current: null,
    current_status: null,
  });
}

function dropEntry(s, id) {
  if (!s.waiting) return s;
  let changed = false;
  const waiting = mapValues(s.waiting, (list) => {
    if (!list.some((x) => x.id === id)) return list;
    changed = true;
    return list.filter((x) => x.id !== id);
  });
  if (changed) s.waiting = waiting;
  return s;
}

/** Put a ticket's entry in its queue's list at its place in line (queued_at, then id). */
function putEntry(s, code, entry) {
  if (!s.waiting || code == null) return s;
  s = dropEntry(s, entry.id);
  const list = s.waiting[code] || [];
  const key = (x) => [Date.parse(x.queued_at) || 0, x.id];
  const [t, id] = key(entry);
  let at = list.findIndex((x) => {
    const [xt, xid] = key(x);
    return xt > t || (xt === t && xid > id);
  });
  if (at < 0) at = list.length;
  s.waiting = { ...s.waiting, [code]: [...list.slice(0, at), entry, ...list.slice(at)] };
  s.known = { ...s.known, [entry.id]: fact(entry, code) };
  return s;
}
