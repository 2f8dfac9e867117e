"""Queue benchmark: `hall serve` on loopback against a bare Flask endpoint under the same server.

Run with `make bench` (or `.venv/bin/python bench/queue_bench.py [--ref REV] [--postgres]`).
Everything runs on 127.0.0.1 against one fresh database (`hall init --demo`) and one fresh
`hall serve` subprocess; the bare endpoint (bench/bare_app.py, no database) runs under
gunicorn with the same worker settings. In order:

1. tickets issued per second, 1 client and 8 concurrent keep-alive clients, each right after
   the bare endpoint under the same load (ratio issue/bare; target >= 0.5);
2. 8 threads issue up to 4,000 tickets: no number twice (answers and table);
3. call-next per second with the queue topped up towards 2,000 waiting (windows 1..3 each
   loop call-next -> start -> finish), while a display connected with python-socketio over
   websocket, in its own process, stamps every `ticket.called`: latency from the call-next
   answer to the display (target p99 < 50 ms), busy and on a quiet hall;
4. 4 windows call concurrently (call-next -> no-show) until the queue is empty: no ticket
   called twice (answers and `ticket_steps`);
5. resident memory of the gunicorn master + worker after each phase (target < 150 MB).

Each fixed-count phase stops at `--cap` seconds so a slow hub still finishes in a few
minutes; the results say how far it got. Results: a table on stdout and JSON in
bench/results/<timestamp>-<database>.json. Exit status 1 when a correctness check fails
(targets missed are reported, not failed: this is not a test). docs/performance.md has the
figures and how to read them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
HALL = "kuancheng"
MATTER = "samr-01"  # queue A, served by windows 1..5 first
KIOSK = "Bearer demo-kiosk-kuancheng"
PASSWORD = "demo123"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/onewindow_bench"

LOG_TAILS: dict[str, str] = {}
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 150.0


# --------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: little client-side CPU per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = token
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def issue(client: Client) -> tuple[int, Any]:
    return client.call("POST", f"/api/v1/halls/{HALL}/tickets", {"matter": MATTER}, KIOSK)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct child processes of pid (gunicorn's worker)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..." - comm may contain spaces, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(entry.name))
    return kids


def proc_kb(pid: int, key: str, file: str = "status") -> int:
    for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Server:
    """A gunicorn master started as a subprocess, stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict, log: Path) -> None:
        self.name, self.argv, self.port, self.env, self.log = name, argv, port, env, log
        self.proc: subprocess.Popen | None = None

    def start(self, probe: str) -> None:
        self.logfile = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=self.logfile, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                c = Client(self.port)
                status, _ = c.call("GET", probe)
                c.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within 30 s; see {self.log}")

    def memory(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of master + worker(s), in MB."""
        pids = [self.proc.pid, *children(self.proc.pid)]
        rss = sum(proc_kb(p, "VmRSS") for p in pids) / 1024
        hwm = sum(proc_kb(p, "VmHWM") for p in pids) / 1024
        worker = sum(proc_kb(p, "VmRSS") for p in pids[1:]) / 1024
        # PSS splits the pages master and worker share (copy-on-write after the fork).
        pss = sum(proc_kb(p, "Pss", "smaps_rollup") for p in pids) / 1024
        return {
            "rss_mb": round(rss, 1),
            "peak_mb": round(hwm, 1),
            "pss_mb": round(pss, 1),
            "worker_rss_mb": round(worker, 1),
            "processes": len(pids),
        }

    def worker_pid(self) -> int | None:
        kids = children(self.proc.pid)
        return kids[0] if kids else None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()
        self.tail = self.log.read_text(errors="replace")[-4000:]


def bare_server(port: int, threads: int, log: Path) -> Server:
    # The same settings hall/server.py gives gunicorn.
    argv = [
        str(BIN / "gunicorn"),
        "--workers=1",
        "--worker-class=gthread",
        f"--threads={threads}",
        f"--worker-connections={max(1000, threads * 2)}",
        "--timeout=120",
        "--graceful-timeout=5",
        "--keep-alive=30",
        "--no-control-socket",
        f"--bind={HOST}:{port}",
        f"--chdir={BENCH}",
        "bare_app:create_app()",
    ]
    return Server("bare", argv, port, dict(os.environ), log)


class HallSession:
    """A fresh database with the demo halls, and `hall serve` on it."""

    def __init__(self, name: str, args, workdir: Path) -> None:
        self.name = name
        self.args = args
        self.port = free_port()
        self.env = dict(os.environ)
        if args.postgres:
            self.url = args.postgres
            reset_postgres(self.url)
        else:
            self.url = f"sqlite:///{workdir / (name + '.sqlite3')}"
        self.env["HALL_DATABASE_URL"] = self.url
        if args.source:
            # Import the hub from an exported commit, ahead of the editable install.
            self.env["PYTHONPATH"] = str(args.source)
        self.env.pop("HALL_MESSAGE_QUEUE", None)
        init = subprocess.run(
            [args.hall_bin, "init", "--demo"],
            env=self.env,
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        if init.returncode != 0:
            raise RuntimeError(f"hall init failed:\n{init.stdout}\n{init.stderr}")
        if args.no_print:
            # A kiosk of its own without a printer: tickets are issued but never printed, so
            # the figures show the hub without the print worker's share.
            added = subprocess.run(
                [args.hall_bin, "device", "add", "kiosk", "--hall", HALL, "--name", "bench"],
                env=self.env,
                cwd=workdir,
                capture_output=True,
                text=True,
                check=True,
            )
            global KIOSK
            KIOSK = "Bearer " + added.stdout.strip().splitlines()[-1]
        argv = [
            args.hall_bin,
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--threads",
            str(args.threads),
        ]
        self.server = Server("hall", argv, self.port, self.env, workdir / f"{name}.log")

    def __enter__(self) -> HallSession:
        self.server.start("/api/v1/halls")
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()
        if "Traceback" in self.server.tail:  # keep the server's errors with the results
            LOG_TAILS[self.name] = self.server.tail

    def login(self, n: int) -> str:
        c = Client(self.port)
        status, body = c.call(
            "POST", "/api/v1/auth/token", {"username": f"window{n}", "password": PASSWORD}
        )
        c.close()
        assert status == 200, (status, body)
        return f"Bearer {body['token']}"

    def window_ids(self) -> dict[str, int]:
        c = Client(self.port)
        status, body = c.call("GET", f"/api/v1/halls/{HALL}/windows")
        c.close()
        assert status == 200, (status, body)
        return {w["number"]: w["id"] for w in body["windows"]}

    def db(self):
        from sqlalchemy import create_engine

        return create_engine(self.url)


def reset_postgres(url: str) -> None:
    """Create the bench database if needed, then empty its public schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


# --------------------------------------------------------------------------- load


def run_clients(
    port: int, n: int, work, *, duration: float | None = None, count: int | None = None
):
    """n threads, each with its own keep-alive connection, calling work(client, k) until
    `count` calls were made in all or `duration` seconds passed, whichever comes first (or
    until work returns StopIteration). Returns (per-thread results, errors, elapsed)."""
    barrier = threading.Barrier(n + 1)
    results: list[list[Any]] = [[] for _ in range(n)]
    errors: list[Any] = []
    remaining = [count]
    lock = threading.Lock()
    stop_at = [0.0]

    def worker(k: int) -> None:
        client = Client(port)
        barrier.wait()
        try:
            while duration is None or time.monotonic() < stop_at[0]:
                if count is not None:
                    with lock:
                        if remaining[0] <= 0:
                            break
                        remaining[0] -= 1
                out = work(client, k)
                if out is StopIteration:
                    break
                results[k].append(out)
        except Exception as err:  # record and stop this thread; the run reports it
            errors.append(repr(err))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    start = time.monotonic()
    stop_at[0] = start + (duration or 0)
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return results, errors, elapsed


def issue_work(client: Client, _k: int):
    status, body = issue(client)
    if status != 201:
        raise RuntimeError(f"issue answered {status}: {body}")
    t = body["ticket"]
    return (t["id"], t["number"], time.monotonic())


def measure_issue(port: int, clients: int, duration: float) -> dict[str, Any]:
    results, errors, elapsed = run_clients(port, clients, issue_work, duration=duration)
    done = sum(len(r) for r in results)
    return {
        "clients": clients,
        "requests": done,
        "seconds": round(elapsed, 2),
        "per_s": round(done / elapsed, 1),
        "errors": errors[:5],
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


# --------------------------------------------------------------------------- display listener


def display_listener(url: str) -> None:
    """Child process: a display on /display; prints 'ready', then on stdin EOF dumps the
    ticket.called events it saw as JSON [[number, seq, monotonic receive time], ...]."""
    import socketio

    events: list[list[Any]] = []
    ready = threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("snapshot", namespace="/display")
    def _snapshot(_data):
        ready.set()

    @client.on("ticket.called", namespace="/display")
    def _called(data):
        events.append([data["number"], data["seq"], time.monotonic()])

    client.connect(url, namespaces=["/display"], auth={"hall": HALL}, transports=["websocket"])
    if not ready.wait(10):
        print("no snapshot", flush=True)
        sys.exit(1)
    print("ready", flush=True)
    sys.stdin.read()
    client.disconnect()
    print(json.dumps(events), flush=True)


class Display:
    """The display listener process, seen from the bench."""

    def __init__(self, port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--display-listener", f"http://{HOST}:{port}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise RuntimeError(f"display listener failed: {line!r}")

    def events(self) -> list[list[Any]]:
        time.sleep(0.5)  # let the last events arrive
        out, _ = self.proc.communicate("", timeout=30)
        return json.loads(out.strip().splitlines()[-1])


# --------------------------------------------------------------------------- phases


def count_rows(hs: HallSession, sql: str) -> int:
    from sqlalchemy import text

    engine = hs.db()
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text(sql)) or 0)
    finally:
        engine.dispose()


WAITING_SQL = "SELECT count(*) FROM tickets WHERE status = 'waiting'"
CALLED_TWICE_SQL = (
    "SELECT count(*) FROM (SELECT ticket_id FROM ticket_steps WHERE action = 'called' "
    "GROUP BY ticket_id HAVING count(*) > 1) d"
)
DUPLICATE_NUMBERS_SQL = (
    "SELECT count(*) FROM (SELECT number FROM tickets "
    "GROUP BY hall_id, queue_id, service_date, number HAVING count(*) > 1) d"
)


def issue_rates(args, hs: HallSession, workdir: Path, report: dict) -> bool:
    """Tickets per second, 1 and 8 clients, against the bare endpoint under the same server."""
    bare_port = free_port()
    bare = bare_server(bare_port, args.threads, workdir / "bare.log")
    bare.start("/healthz")
    try:
        # Warm both up (imports, first connections, SQLite pages).
        for port, n in ((bare_port, 100), (hs.port, 30)):
            c = Client(port)
            for _ in range(n):
                issue(c)
            c.close()
        rates: dict[str, Any] = {}
        for clients in (1, 8):
            # Bare first, then the hub, back to back: both see the same machine load.
            rates[f"bare_{clients}"] = measure_issue(bare_port, clients, args.duration)
            rates[f"issue_{clients}"] = measure_issue(hs.port, clients, args.duration)
            ratio = rates[f"issue_{clients}"]["per_s"] / rates[f"bare_{clients}"]["per_s"]
            rates[f"ratio_{clients}"] = round(ratio, 3)
        rates["bare_memory"] = bare.memory()
    finally:
        bare.stop()
    report["issue"] = rates
    return not any(rates[k]["errors"] for k in ("bare_1", "issue_1", "bare_8", "issue_8"))


def issue_correctness(args, hs: HallSession, report: dict) -> bool:
    """8 threads issue `--concurrent-tickets` tickets (within `--cap` s): no number twice."""
    before = count_rows(hs, "SELECT count(*) FROM tickets")
    results, errors, elapsed = run_clients(
        hs.port, 8, issue_work, count=args.concurrent_tickets, duration=args.cap
    )
    got = [r for rs in results for r in rs]
    numbers = Counter(n for _, n, _ in got)
    ids = Counter(i for i, _, _ in got)
    after = count_rows(hs, "SELECT count(*) FROM tickets")
    db_dupes = count_rows(hs, DUPLICATE_NUMBERS_SQL)
    # Issue rate against queue depth: the first and the last tenth of the run.
    stamps = sorted(t for _, _, t in got)
    tenth = max(1, len(stamps) // 10)
    first = tenth / (stamps[tenth - 1] - stamps[0] + 1e-9) if len(stamps) > 20 else 0
    last = tenth / (stamps[-1] - stamps[-tenth] + 1e-9) if len(stamps) > 20 else 0
    dupes = sum(c - 1 for c in numbers.values() if c > 1)
    report["issue_correctness"] = {
        "threads": 8,
        "requested": args.concurrent_tickets,
        "issued": len(got),
        "capped": len(got) < args.concurrent_tickets and not errors,
        "rows_added": after - before,
        "duplicate_numbers": dupes,
        "duplicate_ids": sum(c - 1 for c in ids.values() if c > 1),
        "db_duplicate_numbers": db_dupes,
        "errors": errors[:5],
        "seconds": round(elapsed, 2),
        "per_s": round(len(got) / elapsed, 1),
        "tickets_before": before,
        "per_s_first_tenth": round(first, 1),
        "per_s_last_tenth": round(last, 1),
    }
    return not errors and dupes == 0 and db_dupes == 0 and len(got) == after - before


def top_up(args, hs: HallSession, report: dict) -> bool:
    """Issue more tickets when fewer than `--waiting` wait (a slow hub within its cap)."""
    waiting = count_rows(hs, WAITING_SQL)
    missing = args.waiting - waiting
    if missing <= 0:
        return True
    results, errors, elapsed = run_clients(hs.port, 8, issue_work, count=missing, duration=args.cap)
    got = sum(len(r) for r in results)
    report["top_up"] = {"tickets": got, "seconds": round(elapsed, 2), "errors": errors[:5]}
    return not errors


def open_windows(hs: HallSession, numbers: list[int]) -> list[tuple[int, str]]:
    ids = hs.window_ids()
    out = []
    for n in numbers:
        token = hs.login(n)
        wid = ids[str(n)]
        c = Client(hs.port)
        status, body = c.call("POST", f"/api/v1/windows/{wid}/open", token=token)
        c.close()
        assert status == 200, (status, body)
        out.append((wid, token))
    return out


def serve_loop(windows, record: list, *, pause: float = 0.0):
    """work(): one window's call-next -> start -> finish; records (number, id, sent, answered)."""

    def work(client: Client, k: int):
        wid, token = windows[k]
        sent = time.monotonic()
        status, body = client.call("POST", f"/api/v1/windows/{wid}/call-next", token=token)
        answered = time.monotonic()
        if status != 200:
            raise RuntimeError(f"call-next answered {status}: {body}")
        ticket = body["ticket"]
        if ticket is None:
            return StopIteration
        record.append((ticket["number"], ticket["id"], sent, answered))
        for action in ("start", "finish"):
            status, body = client.call("POST", f"/api/v1/windows/{wid}/{action}", token=token)
            if status != 200:
                raise RuntimeError(f"{action} answered {status}: {body}")
        if pause:
            time.sleep(pause)
        return ticket["id"]

    return work


def latencies(calls: list, events: list) -> dict[str, Any]:
    """Answer->display and request->display, matched by ticket number."""
    seen: dict[str, float] = {}
    for number, _seq, at in events:
        seen.setdefault(number, at)
    after_answer, after_request, missing = [], [], 0
    for number, _id, sent, answered in calls:
        at = seen.get(number)
        if at is None:
            missing += 1
            continue
        after_answer.append(at - answered)
        after_request.append(at - sent)
    return {
        "answer_to_display": summary_ms(after_answer),
        "request_to_display": summary_ms(after_request),
        "event_before_answer": sum(1 for v in after_answer if v < 0),
        "missing": missing,
    }


def call_rate(args, hs: HallSession, windows, report: dict) -> bool:
    """call-next per second with the queue full, and the call->display latency."""
    waiting = count_rows(hs, WAITING_SQL)
    display = Display(hs.port)
    calls: list = []
    _, errors, elapsed = run_clients(
        hs.port, 3, serve_loop(windows[:3], calls), duration=args.call_duration
    )
    n = len(calls)
    # A quiet hall: one window at a time, as a real hall calls (a few per second at most).
    quiet: list = []
    _, q_errors, _ = run_clients(
        hs.port,
        1,
        serve_loop(windows[:1], quiet, pause=0.01),
        count=args.quiet_calls,
        duration=args.cap / 2,
    )
    events = display.events()
    called = Counter(i for _, i, _, _ in calls + quiet)
    seqs = [s for _, s, _ in events]
    report["call"] = {
        "waiting_at_start": waiting,
        "windows": 3,
        "call_next": n,
        "seconds": round(elapsed, 2),
        "call_next_per_s": round(n / elapsed, 1),
        "requests_per_s": round(3 * n / elapsed, 1),
        "quiet_calls": len(quiet),
        "errors": (errors + q_errors)[:5],
        "called_twice": sum(c - 1 for c in called.values() if c > 1),
        "display_events": len(events),
        "display_seq_not_increasing": sum(
            1 for a, b in zip(seqs, seqs[1:], strict=False) if b <= a
        ),
    }
    report["latency_loaded"] = latencies(calls, events)
    report["latency_quiet"] = latencies(quiet, events)
    return (
        not errors
        and not q_errors
        and report["call"]["called_twice"] == 0
        and report["latency_loaded"]["missing"] == 0
        and report["latency_quiet"]["missing"] == 0
    )


def drain(args, hs: HallSession, windows, report: dict) -> bool:
    """4 windows call everything left at once (call-next -> no-show): none called twice."""
    waiting = count_rows(hs, WAITING_SQL)

    def work(client: Client, k: int):
        wid, token = windows[k]
        status, body = client.call("POST", f"/api/v1/windows/{wid}/call-next", token=token)
        if status != 200:
            raise RuntimeError(f"call-next answered {status}: {body}")
        if body["ticket"] is None:
            return StopIteration
        status, body2 = client.call("POST", f"/api/v1/windows/{wid}/no-show", token=token)
        if status != 200:
            raise RuntimeError(f"no-show answered {status}: {body2}")
        return body["ticket"]["id"]

    results, errors, elapsed = run_clients(hs.port, 4, work, duration=args.cap)
    ids = Counter(i for rs in results for i in rs)
    twice = sum(c - 1 for c in ids.values() if c > 1)
    db_twice = count_rows(hs, CALLED_TWICE_SQL)
    left = count_rows(hs, WAITING_SQL)
    report["call_correctness"] = {
        "windows": 4,
        "waiting_at_start": waiting,
        "called": sum(ids.values()),
        "distinct": len(ids),
        "called_twice": twice,
        "db_called_twice_whole_run": db_twice,
        "still_waiting": left,
        "capped": left > 0 and not errors,
        "per_window": [len(r) for r in results],
        "seconds": round(elapsed, 2),
        "call_next_per_s": round(sum(ids.values()) / elapsed, 1),
        "errors": errors[:5],
    }
    return not errors and twice == 0 and db_twice == 0 and len(ids) + left == waiting


def run_session(args, workdir: Path, report: dict, started: float) -> bool:
    """One fresh database and one `hall serve` for every phase, in order."""

    def step(name: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {name}", flush=True)

    memory = report.setdefault("memory", {})
    with HallSession("hub", args, workdir) as hs:
        step("issue rate, hub and bare endpoint")
        ok = issue_rates(args, hs, workdir, report)
        step(f"{args.concurrent_tickets} tickets from 8 threads")
        ok &= issue_correctness(args, hs, report)
        memory["after_issue"] = hs.server.memory()
        ok &= top_up(args, hs, report)
        windows = open_windows(hs, [1, 2, 3, 4])
        step("call-next with the queue full, display latency")
        ok &= call_rate(args, hs, windows, report)
        memory["after_call"] = hs.server.memory()
        step("4 windows drain the queue")
        ok &= drain(args, hs, windows, report)
        memory["after_drain"] = hs.server.memory()
    return ok


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = proc_meminfo("MemTotal")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def proc_meminfo(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(r: dict) -> None:
    rows: list[tuple[str, str, str]] = []
    iss = r.get("issue")
    if iss:
        for n in (1, 8):
            rows.append((f"bare endpoint, {n} client(s)", f"{iss[f'bare_{n}']['per_s']} req/s", ""))
            rows.append((f"issue ticket, {n} client(s)", f"{iss[f'issue_{n}']['per_s']} /s", ""))
            ratio = iss[f"ratio_{n}"]
            rows.append(
                (
                    f"ratio issue/bare, {n} client(s)",
                    f"{ratio}",
                    f">= {TARGET_RATIO}: " + verdict(ratio >= TARGET_RATIO),
                )
            )
    ic = r.get("issue_correctness")
    if ic:
        rows.append(
            (
                f"8 threads issue {ic['issued']} of {ic['requested']}",
                f"{ic['per_s']} /s ({ic['per_s_first_tenth']} -> {ic['per_s_last_tenth']})",
                f"dup numbers {ic['duplicate_numbers']}/db {ic['db_duplicate_numbers']}",
            )
        )
    c = r.get("call")
    if c:
        rows.append(
            (
                f"call-next, {c['waiting_at_start']} waiting, 3 windows",
                f"{c['call_next_per_s']} /s",
                f"({c['requests_per_s']} req/s with start+finish); twice {c['called_twice']}",
            )
        )
    for key, label in (("latency_quiet", "quiet, 1 window"), ("latency_loaded", "3 windows busy")):
        lat = r.get(key)
        if lat and lat["answer_to_display"].get("n"):
            a = lat["answer_to_display"]
            q = lat["request_to_display"]
            rows.append(
                (
                    f"answer->display ({label})",
                    f"p50 {a['p50_ms']} p99 {a['p99_ms']} ms",
                    f"p99 < {TARGET_P99_MS}: {verdict(a['p99_ms'] < TARGET_P99_MS)}; "
                    f"request->display p50 {q['p50_ms']} p99 {q['p99_ms']}",
                )
            )
    cc = r.get("call_correctness")
    if cc:
        rows.append(
            (
                f"4 windows call {cc['called']} of {cc['waiting_at_start']}",
                f"{cc['call_next_per_s']} calls/s",
                f"called twice {cc['called_twice']}/db {cc['db_called_twice_whole_run']}, "
                f"left {cc['still_waiting']}",
            )
        )
    mem = r.get("memory", {})
    if mem:
        worst = max(m["rss_mb"] for m in mem.values())
        peak = max(m["peak_mb"] for m in mem.values())
        pss = max(m["pss_mb"] for m in mem.values())
        rows.append(
            (
                "hub RSS (master+worker)",
                f"{worst} MB (peak {peak}, PSS {pss})",
                f"< {TARGET_RSS_MB}: {verdict(peak < TARGET_RSS_MB)}",
            )
        )
    width = max(len(a) for a, _, _ in rows)
    width2 = max(len(b) for _, b, _ in rows)
    print()
    print(
        f"OneWindow queue bench - {r['database']} - gunicorn gthread --threads {r['threads']}"
        f" - hub {r['commit']} ({r['source']})"
    )
    print("-" * (width + width2 + 40))
    for a, b, cmt in rows:
        print(f"{a:<{width}}  {b:<{width2}}  {cmt}")
    print("-" * (width + width2 + 40))
    print(
        f"correctness: {'OK' if r['correct'] else 'FAILED'}; wall time {r['wall_s']} s; "
        f"loadavg before {' '.join(r['loadavg_before'])}, after {' '.join(r['loadavg_after'])}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads (both servers)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per issue-rate run")
    parser.add_argument("--call-duration", type=float, default=10.0, help="seconds of call-next")
    parser.add_argument("--quiet-calls", type=int, default=150, help="calls on a quiet hall")
    parser.add_argument("--waiting", type=int, default=2000, help="tickets waiting for calls")
    parser.add_argument("--concurrent-tickets", type=int, default=4000)
    parser.add_argument(
        "--cap", type=float, default=30.0, help="max seconds of each fixed-count phase"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=PG_DEFAULT,
        default=None,
        help=f"run on PostgreSQL (default URL {PG_DEFAULT}; its public schema is dropped)",
    )
    parser.add_argument(
        "--hall-bin",
        default=str(BIN / "hall"),
        help="the `hall` command to init and serve with (e.g. a patched build, to size a fix)",
    )
    parser.add_argument(
        "--ref",
        help="benchmark this commit (exported with git archive) instead of the working tree",
    )
    parser.add_argument(
        "--no-print",
        action="store_true",
        help="issue from a kiosk without a printer (the demo kiosk prints every ticket)",
    )
    parser.add_argument("--display-listener", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.display_listener:
        display_listener(args.display_listener)
        return 0

    started = time.monotonic()
    report: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "database": "postgresql" if args.postgres else "sqlite",
        "threads": args.threads,
        "args": {k: v for k, v in vars(args).items() if k not in ("display_listener", "source")},
        # Other work on the machine skews every figure: keep the load next to them.
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "experiment": os.environ.get("HALL_EXPERIMENT", ""),
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", args.ref or "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report["commit"] = commit.stdout.strip()
    if args.ref:
        report["source"] = f"git archive {args.ref}"
    else:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "hall"], cwd=ROOT, capture_output=True, text=True
        )
        report["source"] = "working tree" + (" (hall/ modified)" if dirty.stdout.strip() else "")
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        workdir = Path(tmp)
        args.source = None
        if args.ref:
            args.source = workdir / "src"
            args.source.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.ref], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(args.source)], input=archive.stdout, check=True)
        try:
            correct = run_session(args, workdir, report, started)
        except Exception:
            for log in workdir.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
            raise
    report["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    report["correct"] = bool(correct)
    report["server_errors"] = LOG_TAILS
    for name, tail in LOG_TAILS.items():
        print(f"--- hall serve log ({name}), last lines:\n{tail}", file=sys.stderr)
    report["wall_s"] = round(time.monotonic() - started, 1)
    print_table(report)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{report['database']}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {path.relative_to(ROOT)}")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
