"""python-escpos, imported once its capabilities cache is safe to read.

python-escpos parses its capabilities file at import and caches the result in a fresh
mkdtemp() folder each time (so never reuses it, and leaves a folder behind): ~1 s per
process. A stable folder alone is not enough: escpos writes the pickle in place, so a process
starting beside one that writes it (hub processes, the print worker, parallel tests, another
installation) reads half a file and fails to import (EOFError). So the folder is named after
this installation's capabilities file, and the pickle is written to a temporary name and
renamed: a reader finds no file or a whole one. The modules that drive printers import this
one first; layouts and receipts (what the hub builds) never load python-escpos.
"""

import hashlib
import os
import pickle
import platform
import tempfile
from importlib.util import find_spec
from pathlib import Path


def _capabilities_cache() -> str:
    """A folder holding python-escpos's capabilities pickle, written whole before first use."""
    spec = find_spec("escpos")
    source = Path(spec.origin).parent / "capabilities.json" if spec and spec.origin else None
    if source is None or not source.exists():
        return tempfile.mkdtemp()  # escpos's own behaviour
    stamp = f"{source}:{source.stat().st_mtime_ns}".encode()
    folder = (
        Path(tempfile.gettempdir()) / f"onewindow-escpos-{hashlib.sha256(stamp).hexdigest()[:16]}"
    )
    target = folder / f"{platform.python_version()}.capabilities.pickle"
    if not target.exists():
        import yaml

        folder.mkdir(exist_ok=True)
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        part = folder / f".{os.getpid()}.part"
        part.write_bytes(pickle.dumps(data, protocol=2))
        os.replace(part, target)
    return str(folder)


if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _capabilities_cache()

import escpos.capabilities  # noqa: E402, F401  (loads the whole pickle)
