"""Reference data kept in the process: halls, queues, matters, windows, device and staff tokens,
and the working-day calendar (the days the administrators entered).

The hot path (issue a ticket, call the next one) reads these on every request and they
change rarely, so reading them from the database each time was most of its statements.
Entries are plain frozen records, never ORM objects, so no session is needed to read them.

They are dropped when they change: a service that changes reference data marks its session
(``changed(session)``); after the commit this process forgets what it holds and, when the
hub runs several processes, tells the others through Redis. A time limit (``REFERENCE_TTL_S``,
``TOKEN_TTL_S``) bounds what a change made outside any hub process (the command line on a
hub without a message queue) can leave behind.
"""

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hall import clock
from hall.calendar import Calendar, EnteredDay
from hall.config import queue_channel
from hall.errors import NotFound

log = logging.getLogger(__name__)

CHANNEL = "hall:reference-changed"
REVOKED = b"revoked"


@dataclass(frozen=True)
class HallRef:
    """A hall's settings."""

    id: int
    code: str
    name: str
    name_en: str
    timezone: str
    allow_phone_tickets: bool
    hours: dict[str, Any] | None
    workdays_only: bool
    priority_classes: tuple[str, ...]
    priority_streak_max: int
    max_calls: int
    no_show_grace_min: int
    default_service_s: int
    notice: str


@dataclass(frozen=True)
class QueueRef:
    """A queue of a hall."""

    id: int
    hall_id: int
    code: str
    prefix: str
    name: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class MatterRef:
    """A matter of a hall, with the ticketing rules the hot path needs."""

    id: int
    hall_id: int
    queue_id: int
    code: str
    name: str
    name_en: str
    daily_cap: int | None
    cap_warning: int | None
    hours: dict[str, Any] | None


@dataclass(frozen=True)
class WindowRef:
    """A window's fixed part: its hall, number, name and the queues it serves in order."""

    id: int
    hall_id: int
    number: str
    name: str
    name_en: str
    queue_ids: tuple[int, ...]


@dataclass(frozen=True)
class StaffRef:
    """A staff member as a token names them."""

    id: int
    username: str
    name: str
    staff_no: str
    role: str
    hall_id: int | None
    department_id: int | None
    active: bool


@dataclass(frozen=True)
class DeviceRef:
    """A device as its token names it."""

    id: int
    hall_id: int
    kind: str
    name: str
    printer_url: str | None


@dataclass
class _HallData:
    hall: HallRef
    queues: dict[int, QueueRef]
    matters_by_id: dict[int, MatterRef]
    matters_by_code: dict[str, MatterRef]
    loaded: float


class ReferenceCache:
    """The process's copy of reference data; see the module's docstring."""

    def __init__(
        self,
        factory: sessionmaker,
        *,
        reference_ttl_s: float,
        token_ttl_s: float,
        token_idle_s: float = 1800.0,
        touch_every_s: float = 60.0,
    ):
        self._factory = factory
        self._reference_ttl_s = reference_ttl_s
        self._token_ttl_s = token_ttl_s
        self._token_idle_s = token_idle_s
        self._touch_every_s = touch_every_s
        self._lock = threading.Lock()
        self._halls: dict[int, _HallData] = {}
        self._hall_ids: dict[str, int] = {}
        self._windows: dict[int, tuple[WindowRef, float]] = {}
        self._tokens: dict[str, _TokenEntry] = {}
        self._calendar: tuple[Calendar, float] | None = None
        # Staff tokens used since their last use was written down: hash -> when.
        self._touched: dict[str, datetime] = {}
        self.broadcaster: Any = None  # set when several processes share a message queue
        self.on_revoked: list[Any] = []  # called after tokens died (cut their sockets)

    # -- halls, queues, matters, windows --------------------------------------------------

    def hall(self, code: str) -> HallRef:
        """The hall with this code (404 ``hall_not_found`` when there is none)."""
        hall_id = self._hall_ids.get(code)
        data = self._halls.get(hall_id) if hall_id is not None else None
        if data is None or self._stale(data.loaded, self._reference_ttl_s):
            data = self._load_hall(code=code)
        return data.hall

    def hall_by_id(self, hall_id: int) -> HallRef:
        """The hall with this id."""
        return self._hall_data(hall_id).hall

    def queue(self, hall_id: int, queue_id: int) -> QueueRef:
        """A queue of the hall."""
        return self._hall_data(hall_id).queues[queue_id]

    def queues(self, hall_id: int) -> list[QueueRef]:
        """The hall's queues by code."""
        return sorted(self._hall_data(hall_id).queues.values(), key=lambda q: q.code)

    def matter(self, hall_id: int, ref: int | str) -> MatterRef:
        """An active matter of the hall by id or code (404 ``matter_not_found``)."""
        data = self._hall_data(hall_id)
        from hall.schemas import as_id

        number = as_id(ref)
        if number is not None:
            matter = data.matters_by_id.get(number)
        else:
            matter = data.matters_by_code.get(ref)
        if matter is None:
            raise NotFound(f"事项不存在 / no such matter: {str(ref)[:40]}", code="matter_not_found")
        return matter

    def matter_by_id(self, hall_id: int, matter_id: int | None) -> MatterRef | None:
        """A matter of the hall by id, retired ones included (old tickets name them)."""
        if matter_id is None:
            return None
        found = self._hall_data(hall_id).matters_by_id.get(matter_id)
        return found or self._load_matter(matter_id)

    def window(self, window_id: int) -> WindowRef:
        """A window by id (404 ``window_not_found``)."""
        entry = self._windows.get(window_id)
        if entry is None or self._stale(entry[1], self._reference_ttl_s):
            entry = (self._load_window(window_id), time.monotonic())
            self._windows[window_id] = entry
        return entry[0]

    def calendar(self) -> Calendar:
        """The working-day calendar: the entered days over the package (``hall/calendar.py``)."""
        held = self._calendar
        if held is None or self._stale(held[1], self._reference_ttl_s):
            held = (self._load_calendar(), time.monotonic())
            self._calendar = held
        return held[0]

    # -- tokens ----------------------------------------------------------------------------

    def who(self, token_hash: str) -> StaffRef | DeviceRef | None:
        """The staff member (valid token: not expired, not idle too long, active account) or
        the (unrevoked) device of a token. No statement while the entry is fresh: a staff
        token's use is noted here and written down at most once a minute (``flush_touches``).
        """
        entry = self._tokens.get(token_hash)
        just_read = entry is None or self._stale(entry.loaded, self._token_ttl_s)
        if just_read:
            entry = self._entry(token_hash)
            if entry is None:
                return None
        if entry.expires_at is None:  # a device
            return entry.who
        now = clock.now()
        if entry.expires_at < now:
            return None
        last = max(entry.last_used, self._touched.get(token_hash, entry.last_used))
        if (now - last).total_seconds() > self._token_idle_s:
            # Idle here; another process may have used it since: read its last use again.
            if not just_read and (fresh := self._entry(token_hash)) is not None:
                entry = fresh
                last = max(entry.last_used, self._touched.get(token_hash, entry.last_used))
            if (now - last).total_seconds() > self._token_idle_s:
                return None
        if (now - entry.last_used).total_seconds() >= self._touch_every_s:
            self._touched[token_hash] = now
        return entry.who

    def dead(self, token_hashes: Iterable[str]) -> set[str]:
        """Of these tokens, those that no longer work (expired, idle too long, revoked,
        disabled), judged without counting as a use. For the sweep over open sockets: the
        held entries are judged here, and only those not held, stale or idle here are read
        again, in one batch (another process may have used an idle token since)."""
        now = clock.now()
        found: set[str] = set()
        again: list[str] = []
        for token_hash in set(token_hashes):
            entry = self._tokens.get(token_hash)
            if entry is None or self._stale(entry.loaded, self._token_ttl_s):
                again.append(token_hash)
            elif self._ended(token_hash, entry, now):
                if entry.expires_at is not None and entry.expires_at < now:
                    found.add(token_hash)
                else:
                    again.append(token_hash)
        fresh = self._load_tokens(again) if again else {}
        for token_hash in again:
            entry = fresh.get(token_hash)
            if entry is None:
                self.forget_token(token_hash)
                found.add(token_hash)
                continue
            self._tokens[token_hash] = entry
            if self._ended(token_hash, entry, now):
                found.add(token_hash)
        return found

    def _ended(self, token_hash: str, entry: "_TokenEntry", now: datetime) -> bool:
        if entry.expires_at is None:  # a device: only revocation ends it
            return False
        last = max(entry.last_used, self._touched.get(token_hash, entry.last_used))
        return entry.expires_at < now or (now - last).total_seconds() > self._token_idle_s

    def _entry(self, token_hash: str) -> "_TokenEntry | None":
        found = self._load_token(token_hash)
        if found is None:
            self._tokens.pop(token_hash, None)
            self._touched.pop(token_hash, None)
            return None
        self._tokens[token_hash] = found
        return found

    def forget_token(self, token_hash: str) -> None:
        """Drop one token (this process), e.g. at logout."""
        self._tokens.pop(token_hash, None)
        self._touched.pop(token_hash, None)

    def flush_touches(self, write_lock: Any) -> None:
        """Write down the last use of the staff tokens used since (one UPDATE batch, outside
        any request's transaction), so the idle timeout holds across processes."""
        if not self._touched:
            return
        from hall.admin.models import AuthToken

        # Never wait for the writer lock here (a unit nested in a writer would wait on itself):
        # when another writer holds it, the next unit writes the uses down.
        acquire = getattr(write_lock, "acquire", None)
        if acquire is not None and not acquire(blocking=False):
            return
        touched, self._touched = self._touched, {}
        try:
            with self._factory() as session:
                for token_hash, at in touched.items():
                    session.execute(
                        update(AuthToken)
                        .where(AuthToken.token_hash == token_hash)
                        .values(last_used_at=at)
                    )
                    entry = self._tokens.get(token_hash)
                    if entry is not None:
                        self._tokens[token_hash] = replace(entry, last_used=at)
                session.commit()
        except Exception:  # the database is away: the next use tries again
            log.warning("could not write down token use", exc_info=True)
            for token_hash, at in touched.items():
                self._touched.setdefault(token_hash, at)
        finally:
            if acquire is not None:
                write_lock.release()

    # -- invalidation ----------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything this process holds."""
        with self._lock:
            self._halls.clear()
            self._hall_ids.clear()
            self._windows.clear()
            self._tokens.clear()
            self._calendar = None

    def changed(self) -> None:
        """Reference data changed and was committed: forget it here and in every process."""
        self.clear()
        if self.broadcaster is not None:
            self.broadcaster.send()

    def revoked(self) -> None:
        """Tokens died (logout, disabled account, revoked device): forget them everywhere and
        let every process cut the sockets opened with them."""
        self.clear()
        if self.broadcaster is not None:
            self.broadcaster.send(REVOKED)
        else:
            self.tokens_died()

    def tokens_died(self) -> None:
        """Run the hooks that cut sockets whose token no longer works (this process)."""
        for hook in self.on_revoked:
            try:
                hook()
            except Exception:
                log.exception("cutting revoked sockets failed")

    # -- loading ---------------------------------------------------------------------------

    @staticmethod
    def _stale(loaded: float, ttl: float) -> bool:
        return time.monotonic() - loaded > ttl

    def _hall_data(self, hall_id: int) -> _HallData:
        data = self._halls.get(hall_id)
        if data is None or self._stale(data.loaded, self._reference_ttl_s):
            data = self._load_hall(hall_id=hall_id)
        return data

    def _session(self) -> Session:
        session = self._factory()
        session.connection(execution_options={"readonly": True})
        return session

    def _load_hall(self, *, code: str | None = None, hall_id: int | None = None) -> _HallData:
        from hall.admin.models import Hall
        from hall.queue.models import Matter, Queue

        with self._session() as session:
            query = select(Hall).where(
                Hall.code == code if code is not None else Hall.id == hall_id
            )
            hall = session.scalar(query)
            if hall is None:
                shown = code if code is not None else str(hall_id)
                raise NotFound(f"大厅不存在 / no such hall: {shown[:40]}", code="hall_not_found")
            queues = session.scalars(select(Queue).where(Queue.hall_id == hall.id)).all()
            matters = session.scalars(
                select(Matter).where(Matter.hall_id == hall.id, Matter.active.is_(True))
            ).all()
            data = _HallData(
                hall=_hall_ref(hall),
                queues={q.id: _queue_ref(q) for q in queues},
                matters_by_id={m.id: _matter_ref(m) for m in matters},
                matters_by_code={m.code: _matter_ref(m) for m in matters},
                loaded=time.monotonic(),
            )
        with self._lock:
            self._halls[data.hall.id] = data
            self._hall_ids[data.hall.code] = data.hall.id
        return data

    def _load_calendar(self) -> Calendar:
        from hall.admin.models import CalendarDay

        with self._session() as session:
            rows = session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.name))
            return Calendar(EnteredDay(day, workday, name) for day, workday, name in rows)

    def _load_matter(self, matter_id: int) -> MatterRef | None:
        from hall.queue.models import Matter

        with self._session() as session:
            matter = session.get(Matter, matter_id)
            return _matter_ref(matter) if matter is not None else None

    def _load_window(self, window_id: int) -> WindowRef:
        from hall.queue.models import Window

        with self._session() as session:
            window = session.get(Window, window_id)
            if window is None:
                raise NotFound(f"窗口不存在 / no such window: {window_id}", code="window_not_found")
            return WindowRef(
                id=window.id,
                hall_id=window.hall_id,
                number=window.number,
                name=window.name,
                name_en=window.name_en,
                queue_ids=tuple(window.queue_ids),
            )

    def _load_token(self, token_hash: str) -> "_TokenEntry | None":
        from hall.admin.models import AuthToken, Device, Staff

        with self._session() as session:
            row = session.execute(
                select(AuthToken.expires_at, AuthToken.created_at, AuthToken.last_used_at, Staff)
                .join(Staff, Staff.id == AuthToken.staff_id)
                .where(AuthToken.token_hash == token_hash)
            ).first()
            if row is not None:
                expires_at, created_at, last_used_at, staff = row
                if not staff.active:
                    return None
                return _TokenEntry(
                    staff_ref(staff), expires_at, last_used_at or created_at, time.monotonic()
                )
            device = session.scalar(select(Device).where(Device.token_hash == token_hash))
            if device is None or device.revoked_at is not None:
                return None
            ref = DeviceRef(device.id, device.hall_id, device.kind, device.name, device.printer_url)
            return _TokenEntry(ref, None, clock.now(), time.monotonic())

    def _load_tokens(self, token_hashes: list[str]) -> dict[str, "_TokenEntry"]:
        """Many tokens at once (two statements per 500): hash -> entry, live ones only."""
        from hall.admin.models import AuthToken, Device, Staff

        found: dict[str, _TokenEntry] = {}
        loaded = time.monotonic()
        with self._session() as session:
            for start in range(0, len(token_hashes), 500):
                chunk = token_hashes[start : start + 500]
                rows = session.execute(
                    select(
                        AuthToken.token_hash,
                        AuthToken.expires_at,
                        AuthToken.created_at,
                        AuthToken.last_used_at,
                        Staff,
                    )
                    .join(Staff, Staff.id == AuthToken.staff_id)
                    .where(AuthToken.token_hash.in_(chunk), Staff.active.is_(True))
                )
                for token_hash, expires_at, created_at, last_used_at, staff in rows:
                    found[token_hash] = _TokenEntry(
                        staff_ref(staff), expires_at, last_used_at or created_at, loaded
                    )
                devices = session.scalars(
                    select(Device).where(Device.token_hash.in_(chunk), Device.revoked_at.is_(None))
                )
                for device in devices:
                    ref = DeviceRef(
                        device.id, device.hall_id, device.kind, device.name, device.printer_url
                    )
                    found[device.token_hash] = _TokenEntry(ref, None, clock.now(), loaded)
        return found


@dataclass(frozen=True)
class _TokenEntry:
    who: "StaffRef | DeviceRef"
    expires_at: datetime | None  # None: a device (its token lasts until revoked)
    last_used: datetime
    loaded: float


def _hall_ref(hall: Any) -> HallRef:
    return HallRef(
        id=hall.id,
        code=hall.code,
        name=hall.name,
        name_en=hall.name_en,
        timezone=hall.timezone,
        allow_phone_tickets=hall.allow_phone_tickets,
        hours=hall.hours,
        workdays_only=hall.workdays_only,
        priority_classes=tuple(hall.priority_classes or ()),
        priority_streak_max=hall.priority_streak_max,
        max_calls=hall.max_calls,
        no_show_grace_min=hall.no_show_grace_min,
        default_service_s=hall.default_service_s,
        notice=hall.notice,
    )


def _queue_ref(queue: Any) -> QueueRef:
    return QueueRef(
        queue.id, queue.hall_id, queue.code, queue.prefix, queue.name, queue.name_en, queue.kind
    )


def _matter_ref(matter: Any) -> MatterRef:
    return MatterRef(
        id=matter.id,
        hall_id=matter.hall_id,
        queue_id=matter.queue_id,
        code=matter.code,
        name=matter.name,
        name_en=matter.name_en,
        daily_cap=matter.daily_cap,
        cap_warning=matter.cap_warning,
        hours=matter.hours,
    )


def staff_ref(staff: Any) -> StaffRef:
    """The record of a staff row."""
    return StaffRef(
        id=staff.id,
        username=staff.username,
        name=staff.name,
        staff_no=staff.staff_no,
        role=staff.role,
        hall_id=staff.hall_id,
        department_id=staff.department_id,
        active=staff.active,
    )


class RedisBroadcaster:
    """Tells every hub process sharing a Redis that reference data changed."""

    def __init__(self, url: str, cache: ReferenceCache) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._channel = queue_channel(url, CHANNEL)
        self._cache = cache
        self._thread: threading.Thread | None = None

    def send(self, what: bytes = b"1") -> None:
        """Publish a change (every subscriber, this process included, forgets its copy)."""
        try:
            self._redis.publish(self._channel, what)
        except Exception:  # the broker is down: the time limits still bound staleness
            log.exception("could not announce a reference change")

    def listen(self) -> None:
        """Start the subscriber thread once."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="hall-reference", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self._channel)
                # Anything may have changed while we were not subscribed.
                self._cache.clear()
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._cache.clear()
                        if message.get("data") == REVOKED:
                            self._cache.tokens_died()
            except Exception:
                log.exception("reference change subscriber failed; retrying")
                time.sleep(1.0)


def changed(session: Session) -> None:
    """Mark the session: it changes reference data, to be forgotten after the commit."""
    session.info["hall.reference_changed"] = True


def revoked(session: Session) -> None:
    """Mark the session: tokens die at its commit (forgotten everywhere, sockets cut)."""
    session.info["hall.tokens_revoked"] = True


def of(session: Session) -> ReferenceCache:
    """The reference cache of the session's app."""
    return session.info["hall.cache"]
