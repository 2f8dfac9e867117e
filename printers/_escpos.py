"""python-escpos, imported once its capabilities cache is safe to read.

python-escpos parses its capabilities YAML at import and caches the result in a fresh
mkdtemp() folder each time (so never reuses it, and leaves a folder behind): ~1 s per process.
One stable folder lets later imports load the pickle, but python-escpos writes it in place:
a process starting while another writes it would read half a file (EOFError). So the first
import in each process holds a lock on the folder while it reads or writes the pickle.
"""

import fcntl
import os
import tempfile

CACHE = os.path.join(tempfile.gettempdir(), "onewindow-escpos-capabilities")
os.makedirs(CACHE, exist_ok=True)
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", CACHE)

with open(os.path.join(CACHE, ".lock"), "a") as _lock:
    fcntl.flock(_lock, fcntl.LOCK_EX)
    try:
        import escpos.capabilities  # noqa: F401  (reads, or writes, the pickle)
    finally:
        fcntl.flock(_lock, fcntl.LOCK_UN)
