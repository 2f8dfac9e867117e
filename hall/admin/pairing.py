"""Device pairing: a device without a token shows a 6-digit code; an admin claims it.

The device asks for a code (``start``) and gets, besides the code, a secret it polls with.
When an admin claims the code (``claim``), a device row is made whose token *is* that secret
(only its SHA-256 is stored, as for every token), so the device learns it is paired on its
next poll and the hub never keeps a usable token anywhere.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hall import audit, clock
from hall.admin import services
from hall.admin.models import Device, DevicePairing, Hall
from hall.errors import Conflict, NotFound

TTL = timedelta(minutes=10)
PAIRABLE = ("kiosk", "display", "evaluator")
KEEP_EXPIRED = timedelta(days=1)  # old rows, for the audit of who tried what, then gone


def code_hash(key: str, code: str) -> str:
    """The stored digest of a pairing code: an HMAC with the hub's secret key."""
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Started:
    """A new pairing as the device sees it once."""

    code: str
    secret: str
    expires_at: datetime


def start(session: Session, key: str, address: str, at: datetime | None = None) -> Started:
    """A fresh 6-digit code (unique among the codes still waiting) and the device's secret."""
    at = at or clock.now()
    session.execute(delete(DevicePairing).where(DevicePairing.expires_at < at - KEEP_EXPIRED))
    for _ in range(20):
        code = f"{secrets.randbelow(1_000_000):06d}"
        if _waiting(session, key, code, at) is None:
            break
    secret = secrets.token_urlsafe(32)
    session.add(
        DevicePairing(
            code_hash=code_hash(key, code),
            secret_hash=services.token_hash(secret),
            address=address[:45],
            created_at=at,
            expires_at=at + TTL,
            options={},
        )
    )
    session.flush()
    return Started(code, secret, at + TTL)


def _waiting(session: Session, key: str, code: str, at: datetime) -> DevicePairing | None:
    return session.scalar(
        select(DevicePairing).where(
            DevicePairing.code_hash == code_hash(key, code),
            DevicePairing.claimed_at.is_(None),
            DevicePairing.expires_at >= at,
        )
    )


def claim(
    session: Session,
    key: str,
    code: str,
    *,
    kind: str,
    hall: Hall,
    name: str,
    printer_url: str | None,
    options: dict[str, Any],
    by: Any,
    at: datetime | None = None,
) -> Device:
    """Turn a waiting code into a device of the hall; its secret becomes the device's token."""
    at = at or clock.now()
    pairing = _waiting(session, key, code, at)
    if pairing is None:
        latest = session.scalar(
            select(DevicePairing)
            .where(DevicePairing.code_hash == code_hash(key, code))
            .order_by(DevicePairing.id.desc())
            .limit(1)
        )
        if latest is None:
            raise NotFound(
                "配对码错误,请核对设备屏幕上的数字 / wrong pairing code; check the digits on the device",
                code="pairing_not_found",
            )
        if latest.claimed_at is not None:
            raise Conflict("配对码已使用 / this pairing code was already used", code="pairing_used")
        raise Conflict(
            "配对码已过期,请在设备上刷新获取新码 / the pairing code expired; reload the device for a new one",
            code="pairing_expired",
        )
    if kind not in PAIRABLE:
        raise services.FieldErrors({"kind": f"设备类型无效 / unknown device kind: {kind[:20]}"})
    device = Device(
        hall_id=hall.id,
        kind=kind,
        name=name or kind,
        token_hash=pairing.secret_hash,
        printer_url=printer_url or None,
        created_at=at,
        last_seen_at=at,
    )
    session.add(device)
    session.flush()
    pairing.claimed_at = at
    pairing.device_id = device.id
    pairing.options = options
    audit.record(
        session,
        by,
        "device.pair",
        f"device:{device.id} {kind} {device.name}",
        hall_id=hall.id,
        after={
            "kind": kind,
            "name": device.name,
            "hall": hall.code,
            "printer_url": device.printer_url,
            **options,
        },
        at=at,
    )
    return device


def poll(session: Session, secret: str, at: datetime | None = None) -> dict[str, Any]:
    """What a waiting device learns: still waiting, expired, or paired (with its hall)."""
    at = at or clock.now()
    pairing = session.scalar(
        select(DevicePairing).where(DevicePairing.secret_hash == services.token_hash(secret))
    )
    if pairing is None:
        raise NotFound("配对不存在 / no such pairing", code="pairing_not_found")
    if pairing.device_id is not None:
        device = session.get(Device, pairing.device_id)
        if device is None or device.revoked_at is not None:
            return {"state": "revoked"}
        return {
            "state": "paired",
            "token": secret,
            "device": {
                "id": device.id,
                "kind": device.kind,
                "name": device.name,
                "hall": device.hall.code,
                **(pairing.options or {}),
            },
        }
    if pairing.expires_at < at:
        return {"state": "expired"}
    return {"state": "waiting", "expires_in_s": int((pairing.expires_at - at).total_seconds())}
