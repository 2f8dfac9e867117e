"""The audit trail (留痕): every staff and admin action, append-only and hash-chained.

Each entry names who (a staff member, a device or the command line), what (an action and its
target), when, from which hall and window, and the state before and after. Its ``hash`` is the
SHA-256 of its own fields and the previous entry's hash, so editing, deleting or reordering an
entry breaks the chain from that entry on; ``verify`` (``hall audit verify``) says where.

Ticket steps on the hot path (call, recall, start, finish, no-show, transfer, requeue) are
kept in ``ticket_steps`` with the staff member and window, written in the same statement batch
as the step itself; this trail holds everything else a person does.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hall import clock
from hall.admin.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 7_211_001  # PostgreSQL advisory lock: one writer extends the chain at a time


def _actor(who: Any) -> tuple[str, int | None, int | None]:
    if who is None:
        return "cli", None, None
    if hasattr(who, "role"):
        return f"staff:{who.id} {who.username}"[:80], who.id, None
    if hasattr(who, "kind"):
        return f"device:{who.id} {who.kind}"[:80], None, who.id
    return str(who)[:80], None, None


def _digest(entry: AuditEntry) -> str:
    at = entry.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = [
        entry.prev_hash,
        at,
        entry.actor,
        entry.staff_id,
        entry.device_id,
        entry.hall_id,
        entry.window_id,
        entry.action,
        entry.target,
        entry.before,
        entry.after,
    ]
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def record(
    session: Session,
    who: Any,
    action: str,
    target: str,
    *,
    hall_id: int | None = None,
    window_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the trail, in the action's own transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    actor, staff_id, device_id = _actor(who)
    at = (at or clock.now()).astimezone(UTC)
    entry = AuditEntry(
        at=at.replace(microsecond=at.microsecond),
        actor=actor,
        staff_id=staff_id,
        device_id=device_id,
        hall_id=hall_id,
        window_id=window_id,
        action=action[:40],
        target=str(target)[:80],
        before=before,
        after=after,
        prev_hash=prev or GENESIS,
        hash="",
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    """Where the chain breaks: the entry (by id and position) and why."""

    id: int
    position: int
    reason: str


def verify(session: Session) -> tuple[int, list[Problem]]:
    """Check the whole chain; the number of entries and every place it breaks."""
    problems: list[Problem] = []
    prev = GENESIS
    count = 0
    last_id = 0
    for count, entry in enumerate(
        session.scalars(select(AuditEntry).order_by(AuditEntry.id)), start=1
    ):
        if entry.id <= last_id:
            problems.append(Problem(entry.id, count, "out of order"))
        if entry.prev_hash != prev:
            problems.append(
                Problem(entry.id, count, "previous entry missing, edited or moved (链断开)")
            )
        if _digest(entry) != entry.hash:
            problems.append(Problem(entry.id, count, "entry edited (内容被改动)"))
        prev = entry.hash
        last_id = entry.id
    return count, problems
