"""Ids in paths and bodies: what a reference names (no web framework needed)."""

MAX_ID = 2**31 - 1  # ids are 32-bit integers on every backend


def as_id(ref: int | str) -> int | None:
    """The id a reference names, or None when it is a code or token (ASCII digits only:
    "١٢" or "²" are text). An id beyond 32 bits names nothing: 0."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref if 1 <= ref <= MAX_ID else 0
    if isinstance(ref, str) and ref.isascii() and ref.isdigit():
        return int(ref) if len(ref) <= 10 and 1 <= int(ref) <= MAX_ID else 0
    return None
