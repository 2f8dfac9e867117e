"""Applicants' personal data: encrypted at rest with the settings' key, masked for screens."""

import base64
import hashlib
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# cryptography is imported where it is used: the print worker and the supervisor never need it
# (the hub's resident memory is a target, docs/performance.md).


def _fernet() -> "Fernet":
    from cryptography.fernet import Fernet

    # Fernet (AES-128-CBC + HMAC) from a maintained library; the key is a setting so that a
    # database dump alone does not reveal ID numbers or phones.
    key = current_app.config.get("PERSONAL_DATA_KEY")
    if not key:
        secret = str(current_app.config["SECRET_KEY"]).encode()
        key = base64.urlsafe_b64encode(hashlib.sha256(b"hall-personal-data:" + secret).digest())
    return Fernet(key)


def seal(text: str) -> str:
    """The text encrypted with the personal-data key ("" stays "")."""
    return _fernet().encrypt(text.encode()).decode() if text else ""


def unseal(token: str) -> str:
    """The text back from ``seal``; "" when it cannot be read with this key."""
    from cryptography.fernet import InvalidToken

    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, a company keeps its first and last two characters."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) <= 4:
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def mask_id(number: str) -> str:
    """2201**********1234: the first four and the last four characters."""
    number = number.strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****1234."""
    phone = phone.strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_address(address: str) -> str:
    """吉林省长春市宽城区****: the first six characters (province, city, district), no more."""
    address = address.strip()
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 2))
    return address[:keep] + "*" * 4
