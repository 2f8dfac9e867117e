"""How many display websockets one hub process holds, and how fast a call reaches them all.

Starts `hall serve --worker MODEL` on a fresh demo database, opens SOCKETS raw Socket.IO
websockets to /display from CLIENTS client processes (gevent greenlets, so the client side
is cheap), then makes EMITS calls at window 1 and records, for every socket, when its
`ticket.called` arrived (time.monotonic is system-wide on Linux, so comparable across
processes). While the sockets are held it times `GET /api/v1/halls` every 50 ms. Prints one
JSON object: sockets held, fan-out p50/p99/max, REST p50/p99/max, RSS of gunicorn's master
and worker.

    .venv/bin/python bench/serving_probe.py --worker gevent
    .venv/bin/python bench/serving_probe.py --worker threads --threads 1100
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HALL = Path(sys.executable).parent / "hall"
KIOSK = {"Authorization": "Bearer demo-kiosk-kuancheng"}


def client_main(url: str, count: int) -> None:
    """A client process: hold ``count`` /display websockets, record each ticket.called."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import websocket

    received: dict[str, list[float]] = {}
    connected = [0]
    failed = [0]
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    def hold() -> None:
        try:
            ws = websocket.create_connection(ws_url, timeout=120)
            ws.recv()  # Engine.IO open packet
            ws.send('40/display,{"hall":"kuancheng"}')
        except Exception:
            failed[0] += 1
            return
        while True:
            try:
                message = ws.recv()
            except Exception:
                return
            if message == "2":
                ws.send("3")
            elif message.startswith("40/display"):
                connected[0] += 1
            elif message.startswith('42/display,["ticket.called"'):
                at = time.monotonic()
                number = json.loads(message[len("42/display,") :])[1]["number"]
                received.setdefault(number, []).append(at)

    for _ in range(count):
        gevent.spawn(hold)
        gevent.sleep(0.004)  # a steady stream of connects, not one burst into the backlog
    deadline = time.monotonic() + 120
    while connected[0] + failed[0] < count and time.monotonic() < deadline:
        gevent.sleep(0.2)
    print(json.dumps({"connected": connected[0], "failed": failed[0]}), flush=True)
    gevent.get_hub().threadpool.spawn(sys.stdin.readline).get()  # "done" from the probe
    print(json.dumps({"received": received}), flush=True)


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[tuple[int, str]]:
    """Processes below pid with their command lines."""
    found = []
    path = Path(f"/proc/{pid}/task/{pid}/children")
    for child in path.read_text().split() if path.exists() else []:
        cmd = Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ")
        found += [(int(child), cmd), *descendants(int(child))]
    return found


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    """Run one probe and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["gevent", "threads"], default="gevent")
    parser.add_argument("--threads", type=int, default=1100)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--emits", type=int, default=20)
    parser.add_argument("--database", default=None, help="database URL (default: SQLite)")
    parser.add_argument("--port", type=int, default=5791)
    args = parser.parse_args()
    if args.client:
        client_main(args.url, args.count)
        return

    import requests

    folder = tempfile.mkdtemp(prefix="serving-probe-")
    env = {
        **os.environ,
        "HALL_DATABASE_URL": args.database or f"sqlite:///{folder}/hall.sqlite3",
        "HALL_MESSAGE_QUEUE": "",
    }
    subprocess.run([str(HALL), "init", "--demo"], env=env, check=True, capture_output=True)
    url = f"http://127.0.0.1:{args.port}"
    serve = [str(HALL), "serve", "--port", str(args.port), "--no-print-worker"]
    serve += ["--worker", args.worker, "--threads", str(args.threads)]
    hub = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients: list[subprocess.Popen] = []
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/api/v1/halls", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        window = requests.post(
            f"{url}/api/v1/auth/token", json={"username": "window1", "password": "demo123"}
        ).json()
        staff = {"Authorization": f"Bearer {window['token']}"}
        for _ in range(args.emits):
            requests.post(
                f"{url}/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
            ).raise_for_status()
        requests.post(f"{url}/api/v1/windows/1/open", headers=staff).raise_for_status()
        rss_idle = {p: rss_kib(p) for p, cmd in descendants(hub.pid) if "gunicorn" in cmd}

        started = time.monotonic()
        per_client = args.sockets // args.clients
        for _ in range(args.clients):
            clients.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--client",
                        "--url",
                        url,
                        "--count",
                        str(per_client),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        ready = [json.loads(c.stdout.readline()) for c in clients]
        connect_s = time.monotonic() - started
        held = sum(r["connected"] for r in ready)
        time.sleep(2)

        rest: list[float] = []
        stop = threading.Event()

        def ping() -> None:
            with requests.Session() as http:
                while not stop.is_set():
                    t0 = time.monotonic()
                    try:
                        http.get(f"{url}/api/v1/halls", timeout=60).raise_for_status()
                        rest.append(time.monotonic() - t0)
                    except requests.RequestException:
                        rest.append(float("inf"))
                    time.sleep(0.05)

        pinger = threading.Thread(target=ping)
        pinger.start()
        sent: dict[str, float] = {}
        with requests.Session() as http:
            http.headers.update(staff)
            for _ in range(args.emits):
                t0 = time.monotonic()
                answer = http.post(f"{url}/api/v1/windows/1/call-next", timeout=120).json()
                sent[answer["ticket"]["number"]] = t0
                time.sleep(1.0)  # let the fan-out finish before the next call
                http.post(f"{url}/api/v1/windows/1/start", timeout=120)
                http.post(f"{url}/api/v1/windows/1/finish", timeout=120)
        time.sleep(3)
        stop.set()
        pinger.join()
        rss_held = {p: rss_kib(p) for p, cmd in descendants(hub.pid) if "gunicorn" in cmd}
        latencies: list[float] = []
        delivered = 0
        for client in clients:
            client.stdin.write("done\n")
            client.stdin.flush()
            received = json.loads(client.stdout.readline())["received"]
            for number, times in received.items():
                if number in sent:
                    latencies += [(t - sent[number]) * 1000 for t in times]
                    delivered += len(times)
        ms = [r * 1000 for r in rest]
        print(
            json.dumps(
                {
                    "worker": args.worker,
                    "database": "postgresql" if args.database else "sqlite",
                    "sockets_asked": args.sockets,
                    "sockets_held": held,
                    "connect_s": round(connect_s, 1),
                    "emits": args.emits,
                    "deliveries": f"{delivered} of {held * args.emits}",
                    "fanout_ms": {
                        "p50": round(pct(latencies, 0.5), 1),
                        "p99": round(pct(latencies, 0.99), 1),
                        "max": round(max(latencies, default=float("nan")), 1),
                    },
                    "rest_ms": {
                        "n": len(ms),
                        "p50": round(statistics.median(ms), 1) if ms else None,
                        "p99": round(pct(ms, 0.99), 1),
                        "max": round(max(ms, default=float("nan")), 1),
                    },
                    "rss_mib_idle": round(sum(rss_idle.values()) / 1024, 1),
                    "rss_mib_held": round(sum(rss_held.values()) / 1024, 1),
                    "rss_mib_worker_held": round(max(rss_held.values(), default=0) / 1024, 1),
                    "loadavg": os.getloadavg(),
                }
            )
        )
    finally:
        for client in clients:
            client.kill()
        hub.terminate()
        hub.wait(30)


if __name__ == "__main__":
    main()
