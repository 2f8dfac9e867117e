"""The hub's version, as installed (shown on devices' maintenance views and in logs)."""

from functools import cache


@cache
def hub_version() -> str:
    """The installed package's version ("unknown" when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("onewindow")
    except PackageNotFoundError:
        return "unknown"
