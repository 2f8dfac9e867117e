"""Many public displays in one process: raw Socket.IO v5 / Engine.IO v4 websockets on asyncio.

Run by queue_bench.py, one process per few hundred sockets, so the bench's own client costs
stay small next to the hub's. Each socket opens `GET /socket.io/?EIO=4&transport=websocket`,
reads the Engine.IO open packet, joins `/display` with `{"hall": <code>}`, answers the
server's pings ("2" -> "3") and stamps every `ticket.called` with `time.monotonic()` (one
clock for every process on Linux, so the bench can compare it with when it sent the call).

Talks to its parent over stdin/stdout, one JSON object a line:
- once every socket has connected or given up (or `--deadline` passed):
  `{"type": "connected", "requested", "connected", "snapshots", "failed", "errors",
  "connect_ms": [p50, p99, max], "seconds"}`;
- on the line `dump`: `{"type": "events", "called": {number: [receipt times]}, "open",
  "dropped"}`;
- on `quit` or end of input: closes every socket and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter, defaultdict

import aiohttp

NAMESPACE = "/display"


class Swarm:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        base = args.url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
        self.ws_url = f"{base}/socket.io/?EIO=4&transport=websocket"
        self.join = f"40{NAMESPACE}," + json.dumps({"hall": args.hall})
        self.connected = 0
        self.snapshots = 0
        self.failed = 0
        self.dropped = 0
        self.errors: Counter[str] = Counter()
        self.connect_times: list[float] = []
        self.called: dict[str, list[float]] = defaultdict(list)
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.closing = False
        self.joining: set[asyncio.Task] = set()  # not yet connected nor given up

    async def one(self, session: aiohttp.ClientSession, gate: asyncio.Semaphore) -> None:
        ws = None
        acked = False
        task = asyncio.current_task()
        self.joining.add(task)
        try:
            async with gate, asyncio.timeout(self.args.connect_timeout):
                started = time.monotonic()
                ws = await session.ws_connect(
                    self.ws_url,
                    timeout=aiohttp.ClientWSTimeout(ws_close=2),
                    autoping=True,
                    max_msg_size=0,
                )
                self.sockets.append(ws)
                opened = await ws.receive()
                if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
                    raise ConnectionError(f"no Engine.IO open packet: {opened.type}")
                await ws.send_str(self.join)
                # Wait for the namespace's CONNECT ack; a snapshot may come before or after it.
                while not acked:
                    msg = await ws.receive()
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectionError(f"closed while joining: {msg.type}")
                    if msg.data.startswith(f"44{NAMESPACE}"):
                        raise ConnectionError("refused: " + msg.data[:80])
                    acked = self.handle(ws, msg.data) == "ack"
                self.connected += 1
                self.connect_times.append(time.monotonic() - started)
            self.joining.discard(task)
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    if self.handle(ws, msg.data) == "bye":
                        break
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
                    break
            if not self.closing:
                self.dropped += 1
        except (TimeoutError, aiohttp.ClientError, OSError, ConnectionError) as err:
            if not acked:
                self.failed += 1
                self.errors[type(err).__name__ + (": " + str(err)[:60] if str(err) else "")] += 1
            elif not self.closing:
                self.dropped += 1
        finally:
            self.joining.discard(task)
            if ws is not None and not ws.closed and not self.closing:
                await ws.close()

    def handle(self, ws: aiohttp.ClientWebSocketResponse, data: str) -> str:
        if data == "2":  # Engine.IO ping from the server
            asyncio.ensure_future(ws.send_str("3"))
            return "ping"
        if data.startswith(f"42{NAMESPACE},"):
            now = time.monotonic()
            name, *payload = json.loads(data[len(NAMESPACE) + 3 :])
            if name == "ticket.called" and payload:
                self.called[str(payload[0].get("number"))].append(now)
            elif name == "snapshot":
                self.snapshots += 1
            return "event"
        if data.startswith(f"40{NAMESPACE}"):
            return "ack"
        if data.startswith(f"41{NAMESPACE}") or data == "1":
            return "bye"
        return "other"

    def connected_report(self, seconds: float) -> dict:
        times = sorted(self.connect_times)

        def pick(p: float) -> float:
            if not times:
                return float("nan")
            return round(times[min(len(times) - 1, int(p * len(times)))] * 1000, 1)

        return {
            "type": "connected",
            "requested": self.args.count,
            "connected": self.connected,
            "snapshots": self.snapshots,
            "failed": self.failed,
            "errors": dict(self.errors.most_common(5)),
            "connect_ms": [pick(0.5), pick(0.99), pick(1.0)],
            "seconds": round(seconds, 2),
        }

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        timeout = aiohttp.ClientTimeout(total=None, connect=self.args.connect_timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            gate = asyncio.Semaphore(self.args.concurrency)
            started = time.monotonic()
            tasks = [asyncio.create_task(self.one(session, gate)) for _ in range(self.args.count)]
            deadline = started + self.args.deadline
            await asyncio.sleep(0)  # let every task register itself
            while self.joining and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            # Anything still joining past the deadline gives up and counts as not connected.
            late = list(self.joining)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if late:
                self.failed += len(late)
                self.errors[f"still joining after the {self.args.deadline:g} s deadline"] += len(
                    late
                )
            self.emit(self.connected_report(time.monotonic() - started))
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                command = line.strip()
                if command == "dump":
                    self.emit(
                        {
                            "type": "events",
                            "called": self.called,
                            "open": sum(1 for ws in self.sockets if not ws.closed),
                            "dropped": self.dropped,
                        }
                    )
                elif command == "quit" or not line:
                    break
            self.closing = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(
                *(asyncio.wait_for(ws.close(), 2) for ws in self.sockets if not ws.closed),
                return_exceptions=True,
            )

    @staticmethod
    def emit(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the hub, e.g. http://127.0.0.1:5000")
    parser.add_argument("--hall", default="kuancheng")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes at once")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    parser.add_argument("--deadline", type=float, default=30.0, help="for all to connect")
    asyncio.run(Swarm(parser.parse_args()).run())


if __name__ == "__main__":
    main()
