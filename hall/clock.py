"""Time: store UTC, count service days and show times in the hall's zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def local(at: datetime, tz: str) -> datetime:
    """The same instant in the given zone."""
    return at.astimezone(ZoneInfo(tz))


def service_date(at: datetime, tz: str) -> date:
    """The hall's local calendar day of an instant: numbering restarts at local midnight."""
    return local(at, tz).date()


def iso_local(at: datetime | None, tz: str) -> str | None:
    """ISO 8601 in the hall's zone with its offset, or None."""
    return local(at, tz).isoformat(timespec="seconds") if at else None
