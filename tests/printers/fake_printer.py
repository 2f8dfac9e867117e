"""A TCP listener on 127.0.0.1 that stands in for a network receipt printer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

DLE_EOT = b"\x10\x04"
READY = {1: 0x12, 2: 0x12, 4: 0x12}  # DLE EOT replies of a healthy printer


class FakePrinter:
    """Accept connections and record what arrives; optionally answer DLE EOT or stay mute.

    `status` maps the DLE EOT function (1, 2, 4) to the byte to answer; None never
    answers. `reading=False` accepts connections but never reads from them, like a
    printer whose buffer is full. `port` picks the port (0: any free one).

    Each connection's bytes are kept apart and `received` joins them in the order the
    connections were accepted: a raw port-9100 printer prints one job stream after another,
    never two interleaved (two workers printing at once would otherwise garble the record).
    """

    def __init__(
        self,
        *,
        status: Mapping[int, int] | None = None,
        reading: bool = True,
        rcvbuf: int = 0,
        port: int = 0,
    ) -> None:
        self.status = status
        self.reading = reading
        self.connections = 0
        self._streams: list[bytearray] = []
        self._open = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        # A given port lets a test bring an "offline" printer back at the same address.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    @property
    def url(self) -> str:
        """The printer URL that reaches this listener."""
        return f"network://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def received(self) -> bytes:
        """Everything received so far, one connection's stream after another."""
        with self._lock:
            return b"".join(self._streams)

    def start(self) -> FakePrinter:
        """Start accepting in a background thread."""
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        """Stop every thread and close every socket; bounded, never hangs."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in [*self._sockets, self._listener]:
            sock.close()

    def wait_for(self, size: int = 1, *, timeout: float = 3.0) -> bytes:
        """Wait until the connection closed or `size` bytes arrived; return what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if sum(map(len, self._streams)) >= size and not self._open:
                    break
            time.sleep(0.01)
        return self.received

    def __enter__(self) -> FakePrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._sockets.append(conn)
            with self._lock:
                self.connections += 1
                self._open += 1
                stream = bytearray()
                self._streams.append(stream)
            self._spawn(self._serve, conn, stream)

    def _serve(self, conn: socket.socket, stream: bytearray) -> None:
        conn.settimeout(0.05)
        pending = b""
        while not self._stop.is_set():
            if not self.reading:
                time.sleep(0.05)
                continue
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            with self._lock:
                stream += chunk
            if self.status is not None:
                pending = self._answer(conn, pending + chunk)
        with self._lock:
            self._open -= 1

    def _answer(self, conn: socket.socket, data: bytes) -> bytes:
        """Answer each complete DLE EOT n in data; return an incomplete tail to keep."""
        assert self.status is not None
        start = 0
        while (found := data.find(DLE_EOT, start)) != -1:
            if found + 2 >= len(data):
                return data[found:]
            function = data[found + 2]
            if function in self.status:
                conn.sendall(bytes((self.status[function],)))
            start = found + 3
        return data[-1:] if data.endswith(DLE_EOT[:1]) else b""
