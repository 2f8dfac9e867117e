"""Queue benchmark: `hall serve` on loopback against a bare Flask endpoint under the same server.

Run with `make bench` (SQLite, then PostgreSQL) or `.venv/bin/python bench/queue_bench.py
[--sqlite-only | --postgres [URL]] [--serve-arg=--threads=1100 ...] [--verbose]`. It depends
only on the hub's contract: the `hall` command (`hall init --demo`, `hall serve --host
--port`), the REST API under /api/v1, the `/display` Socket.IO namespace and its
`ticket.called` event, and `hall.create_app(config)` + `hall.db.engine(app)` for counting SQL
statements in-process. Per database, in order (docs/performance.md says how to read it):

1. SQL statements of one issue and one call-next, counted in-process with an engine event
   hook on a fresh demo database: inside the write transaction (target <= 4) and outside it;
2. tickets per second, 1 and 8 keep-alive clients, each right after the bare endpoint under
   the same load (ratio to bare; target >= 0.5);
3. 8 threads issue up to `--concurrent-tickets`: no number twice (answers and table);
4. window actions per second: windows 1..4 each loop call-next -> start -> finish, every
   request counted, against the bare endpoint's window route (ratio; target >= 0.5), while a
   display stamps each `ticket.called`: call -> display from the moment call-next is sent
   (target p99 <= 50 ms), busy, then on a quiet hall (one window, a call at a time);
5. 4 windows call at once (call-next -> no-show) until the queue is empty: none called twice;
6. peak RSS of every process of the hub while it holds 100 display sockets (target <= 150 MiB);
7. 1,000 display sockets on the hub: how many connect, fan-out call -> each socket (target p99
   <= 250 ms), and GET /api/v1/halls latency while they are held.

Every phase has a time cap and every request a timeout, so a hub that cannot hold the sockets
is reported ("N of 1000 connected"), never waited for. Results: a table on stdout and JSON in
bench/results/<timestamp>-<database>.json. Exit status 1 when a correctness check fails
(targets missed are reported, not failed: this is not a test), 2 when a database's run could
not reach its correctness checks at all.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import queue
import re
import resource
import shlex
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
SWARM = BENCH / "display_swarm.py"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
HALL = "kuancheng"
MATTER = "samr-01"  # queue A, served by windows 1..5 first
DEMO_KIOSK = "demo-kiosk-kuancheng"
PASSWORD = "demo123"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

TARGET_RATIO = 0.5
TARGET_STATEMENTS = 4
TARGET_DISPLAY_P99_MS = 50.0
TARGET_RSS_MIB = 150.0
TARGET_FANOUT_P99_MS = 250.0


def log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: little client-side CPU per request)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

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
                self.reconnect()
                if attempt == 2:
                    raise
            except TimeoutError:
                self.reconnect()  # the answer may still come: never read it as the next one
                raise
        raise AssertionError("unreachable")

    def reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (gunicorn master, worker, any child such as a printer)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..." - comm may contain spaces, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(sorted(kids.get(p, [])))
    return out


def proc_kb(pid: int, key: str, file: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class Server:
    """A server started as a subprocess, stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict, log: Path) -> None:
        self.name, self.argv, self.port, self.env, self.log = name, argv, port, env, log
        self.proc: subprocess.Popen | None = None
        self.tail = ""

    def start(self, probe: str, timeout: float = 60.0) -> None:
        self.logfile = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        # Not from the checkout: `python -m gunicorn` puts its working directory first on
        # sys.path, which would import the working tree's hall/ ahead of a --ref export.
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            cwd=self.log.parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                c = Client(self.port, timeout=5)
                status, _ = c.call("GET", probe)
                c.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:g} s; see {self.log}")

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid) if self.proc else []

    def memory(self) -> dict[str, Any]:
        """VmRSS and VmHWM (each process's own peak) summed over the tree, in MiB."""
        pids = self.pids()
        pss = sum(proc_kb(p, "Pss", "smaps_rollup") for p in pids)
        return {
            "rss_mib": round(sum(proc_kb(p, "VmRSS") for p in pids) / 1024, 1),
            "hwm_mib": round(sum(proc_kb(p, "VmHWM") for p in pids) / 1024, 1),
            # PSS splits the pages processes share (copy-on-write after a fork).
            "pss_mib": round(pss / 1024, 1),
            "processes": len(pids),
            "per_process": {
                str(p): {
                    "rss_mib": round(proc_kb(p, "VmRSS") / 1024, 1),
                    "cmd": " ".join(cmdline(p))[:160],
                }
                for p in pids
            },
        }

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in reversed(self.pids()):  # the worker and its children too
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                self.proc.wait()
        if getattr(self, "logfile", None):
            self.logfile.close()
            self.tail = self.log.read_text(errors="replace")[-4000:]


class RssSampler(threading.Thread):
    """Sums VmRSS over the hub's process tree ten times a second; keeps the peak."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stopped = threading.Event()
        self.peak_kb = 0
        self.samples = 0
        self.processes = 0

    def run(self) -> None:
        pids: list[int] = []
        while not self.stopped.is_set():
            if self.samples % 10 == 0:
                pids = self.server.pids()  # a new child (printer, worker restart) is seen
                self.processes = max(self.processes, len(pids))
            total = sum(proc_kb(p, "VmRSS") for p in pids)
            self.peak_kb = max(self.peak_kb, total)
            self.samples += 1
            self.stopped.wait(0.1)

    def finish(self) -> dict[str, Any]:
        self.stopped.set()
        self.join(5)
        return {
            "peak_rss_mib": round(self.peak_kb / 1024, 1),
            "samples": self.samples,
            "processes": self.processes,
        }


# --------------------------------------------------------------------------- the servers


GUNICORN_APP = re.compile(r"^[\w.]+:[\w.]+(\(.*\))?$")


def serve_command(server: Server) -> list[str] | None:
    """The gunicorn command line `hall serve` runs: the topmost gunicorn in its tree."""
    for pid in server.pids():
        argv = cmdline(pid)
        # `python -m gunicorn ...`, `.../bin/gunicorn ...` or `python .../bin/gunicorn ...`
        if any(re.fullmatch(r"(\S*/)?gunicorn", a) for a in argv[:3]):
            return argv
    return None


def mirror_command(argv: list[str], port: int) -> list[str] | None:
    """The hub's gunicorn command with the bare app and another port; None if unrecognised."""
    if not argv or not GUNICORN_APP.match(argv[-1]):
        return None
    out: list[str] = []
    skip = False
    for arg in argv[:-1]:
        if skip:
            skip = False
            continue
        if arg in ("--bind", "-b", "--pid", "-p"):
            skip = True
            continue
        if arg.startswith(("--bind=", "--pid=")) or re.match(r"^-[bp].", arg):
            continue
        out.append(arg)
    return [*out, f"--bind={HOST}:{port}", "bare_app:create_app()"]


def bare_server(hub: Server | None, port: int, log_path: Path, threads: int | None) -> Server:
    """The bare app under the hub's own gunicorn command (hub None: the gthread fallback)."""
    argv = mirror_command(serve_command(hub) or [], port) if hub else None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
    server = Server("bare", argv or [], port, env, log_path)
    server.mirrored = argv is not None
    if argv is None:
        # `hall serve` no longer shows a gunicorn command line: fall back to the old set-up.
        server.argv = [
            str(BIN / "gunicorn"),
            "--workers=1",
            "--worker-class=gthread",
            f"--threads={threads or 200}",
            "--no-control-socket",
            f"--bind={HOST}:{port}",
            "bare_app:create_app()",
        ]
    return server


# --------------------------------------------------------------------------- databases


def postgres_problem(url: str) -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    try:
        from sqlalchemy import create_engine

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:  # any failure to reach the server means: skip
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return f"not reachable at {safe_url(url)}: {type(err).__name__} {first}"[:300]
    return None


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def pg_admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def pg_bench_url(url: str) -> str:
    """A database of the bench's own on that server (never the tests' `test` database)."""
    from sqlalchemy.engine import make_url

    name = f"onewindow_bench_{os.getpid()}"
    pg_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(url, f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def pg_reset(url: str) -> None:
    pg_admin(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def pg_drop(admin_url: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


# --------------------------------------------------------------------------- SQL statements


def count_statements_child(url: str, kiosk: str) -> dict[str, Any]:
    """In this process: the statements of one issue and one call-next, on a demo database.

    An engine `begin`/`commit`/`rollback` hook delimits transactions; `before_cursor_execute`
    sees each statement. A transaction is a write transaction when SQLite began it with BEGIN
    IMMEDIATE or it ran a data-changing statement (INSERT, UPDATE, DELETE, ... FOR UPDATE).
    BEGIN/COMMIT/ROLLBACK themselves are not counted. Each request is measured after two of
    its kind (warm caches, as in a running hub).
    """
    from sqlalchemy import event

    from hall import create_app, db

    app = create_app({"DATABASE_URL": url, "PRINT_WORKER": False})
    engine = db.engine(app)
    main_thread = threading.get_ident()
    state: dict[str, Any] = {"on": False, "open": {}, "txs": [], "log": [], "other_threads": 0}

    def is_write(sql: str) -> bool:
        head = sql.lstrip("( ").split(" ", 1)[0].upper()
        return head in ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE") or (
            " FOR UPDATE" in sql.upper()
            or (head == "WITH" and re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql.upper()))
        )

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, _cursor, statement, _params, _context, _many):
        if not state["on"]:
            return
        if threading.get_ident() != main_thread:
            state["other_threads"] += 1
            return
        sql = " ".join(statement.split())
        head = sql.split(" ", 1)[0].upper()
        tx = state["open"].get(id(conn))
        if head in ("BEGIN", "COMMIT", "ROLLBACK", "END"):
            if head == "BEGIN":
                if tx is not None and not tx["statements"]:
                    tx["begin"] = sql  # our begin hook ran before the one that sends BEGIN
                else:
                    state["pending_begin"] = sql
            return
        entry = {"tx": tx["n"] if tx else None, "sql": sql}
        state["log"].append(entry)
        if tx is not None:
            tx["statements"].append(entry)
            tx["writes"] = tx["writes"] or bool(is_write(sql))

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if not state["on"]:
            return
        begin = state.pop("pending_begin", "BEGIN (implicit)")
        tx = {"n": len(state["txs"]) + 1, "begin": begin, "statements": [], "writes": False}
        state["open"][id(conn)] = tx
        state["txs"].append(tx)

    def _end(conn):
        tx = state["open"].pop(id(conn), None)
        if tx is not None and re.search(r"IMMEDIATE|EXCLUSIVE", tx["begin"], re.I):
            tx["writes"] = True

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    client = app.test_client()

    def request(method: str, path: str, body: Any = None, token: str | None = None):
        headers = {"Authorization": token} if token else {}
        resp = client.open(path, method=method, json=body, headers=headers)
        return resp.status_code, resp.get_json(silent=True)

    def measured(method: str, path: str, body: Any = None, token: str | None = None):
        state.update(on=True, open={}, txs=[], log=[])
        status, answer = request(method, path, body, token)
        state["on"] = False
        writes = [tx for tx in state["txs"] if tx["writes"]]
        write_ids = {tx["n"] for tx in writes}
        first = min(write_ids) if write_ids else None
        statements = []
        for entry in state["log"]:
            if entry["tx"] in write_ids:
                where = f"write tx {entry['tx']}"
            elif first is None or entry["tx"] is None:
                where = "outside (no write tx)" if first is None else "outside, no tx"
            else:
                where = "read before" if entry["tx"] < first else "read after"
            statements.append({"where": where, "sql": entry["sql"]})
        write_count = sum(len(tx["statements"]) for tx in writes)
        return {
            "status": status,
            "ok": 200 <= status < 300,
            "write_transactions": len(writes),
            "write_statements": write_count,
            "outside_before": sum(1 for s in statements if s["where"] == "read before"),
            "outside_after": sum(1 for s in statements if s["where"] != "read before")
            - write_count,
            "transactions": [
                {"n": tx["n"], "begin": tx["begin"], "statements": len(tx["statements"])}
                for tx in state["txs"]
            ],
            "statements": statements,
            "answer": answer if not 200 <= status < 300 else None,
        }, answer

    kiosk_token = f"Bearer {kiosk}"
    status, body = request(
        "POST", "/api/v1/auth/token", {"username": "window1", "password": PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"login answered {status}: {body}")
    staff = f"Bearer {body['token']}"
    status, body = request("GET", f"/api/v1/halls/{HALL}/windows")
    window = next(w["id"] for w in body["windows"] if str(w["number"]) == "1")
    ticket_path = f"/api/v1/halls/{HALL}/tickets"
    for _ in range(2):
        request("POST", ticket_path, {"matter": MATTER}, kiosk_token)
    issue, _ = measured("POST", ticket_path, {"matter": MATTER}, kiosk_token)
    for _ in range(3):
        request("POST", ticket_path, {"matter": MATTER}, kiosk_token)
    status, body = request("POST", f"/api/v1/windows/{window}/open", token=staff)
    if status != 200:
        raise RuntimeError(f"open answered {status}: {body}")
    for _ in range(2):
        for action in ("call-next", "start", "finish"):
            request("POST", f"/api/v1/windows/{window}/{action}", token=staff)
    call, answer = measured("POST", f"/api/v1/windows/{window}/call-next", token=staff)
    call["called"] = ((answer or {}).get("ticket") or {}).get("number")
    start, _ = measured("POST", f"/api/v1/windows/{window}/start", token=staff)
    finish, _ = measured("POST", f"/api/v1/windows/{window}/finish", token=staff)
    engine.dispose()
    return {
        "issue": issue,
        "call_next": call,
        "start": start,
        "finish": finish,
        "other_thread_statements": state["other_threads"],
    }


def count_statements(run: Run) -> dict[str, Any]:
    """The child above in a subprocess (the hub's imports stay out of the bench's process)."""
    argv = [sys.executable, __file__, "--count-statements", run.url, "--kiosk", run.kiosk]
    try:
        done = subprocess.run(
            argv, env=run.env, capture_output=True, text=True, timeout=180, cwd=run.workdir
        )
    except subprocess.TimeoutExpired:
        return {"error": "statement count took over 180 s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1500:] or f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- displays


class Displays:
    """display_swarm.py processes holding `count` /display sockets between them."""

    def __init__(self, run: Run, count: int, processes: int = 1, *, deadline: float = 20.0) -> None:
        self.count = count
        self.deadline = deadline
        self.inbox: queue.Queue = queue.Queue()
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        shares = [
            count // processes + (1 if k < count % processes else 0) for k in range(processes)
        ]
        for k, share in enumerate(s for s in shares if s):
            self.logs.append(run.workdir / f"swarm-{count}-{k}.log")
            errlog = open(self.logs[-1], "w")  # noqa: SIM115
            proc = subprocess.Popen(
                [
                    sys.executable,
                    str(SWARM),
                    f"--url=http://{HOST}:{run.port}",
                    f"--hall={HALL}",
                    f"--count={share}",
                    f"--deadline={deadline}",
                    "--connect-timeout=10",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errlog,
                text=True,
            )
            errlog.close()
            self.procs.append(proc)
            threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                self.inbox.put(json.loads(line))
            except json.JSONDecodeError:
                pass

    def _collect(self, kind: str, timeout: float) -> list[dict]:
        got: list[dict] = []
        end = time.monotonic() + timeout
        while len(got) < len(self.procs) and time.monotonic() < end:
            try:
                msg = self.inbox.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if msg.get("type") == kind:
                got.append(msg)
        return got

    def connected(self) -> dict[str, Any]:
        reports = self._collect("connected", self.deadline + 20)
        errors: Counter[str] = Counter()
        for r in reports:
            errors.update(r["errors"])
        if len(reports) < len(self.procs):  # a client process died: keep why
            for path in self.logs:
                tail = path.read_text(errors="replace").strip()[-300:]
                if tail:
                    errors[f"{path.name}: {tail}"] += 1
        return {
            "requested": self.count,
            "connected": sum(r["connected"] for r in reports),
            "snapshots": sum(r["snapshots"] for r in reports),
            "failed": sum(r["failed"] for r in reports),
            "processes_reporting": f"{len(reports)} of {len(self.procs)}",
            "connect_ms_p50_p99_max_per_process": [r["connect_ms"] for r in reports],
            "seconds": max((r["seconds"] for r in reports), default=None),
            "errors": dict(errors.most_common(5)),
        }

    def events(self, settle: float = 1.0) -> tuple[dict[str, list[float]], dict[str, int]]:
        time.sleep(settle)  # let the last events arrive
        for proc in self.procs:
            try:
                proc.stdin.write("dump\n")
                proc.stdin.flush()
            except OSError:
                pass
        called: dict[str, list[float]] = {}
        info = {"open": 0, "dropped": 0, "processes_reporting": 0}
        for r in self._collect("events", 30):
            for number, stamps in r["called"].items():
                called.setdefault(number, []).extend(stamps)
            info["open"] += r["open"]
            info["dropped"] += r["dropped"]
            info["processes_reporting"] += 1
        return called, info

    def close(self) -> None:
        for proc in self.procs:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.close()
            except OSError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def summary_ms(values: list[float]) -> dict[str, Any]:
    """Percentiles in ms; a value of inf stands for an event that never arrived."""
    ms = [v * 1000 for v in values]
    if not ms:
        return {"n": 0}
    finite = [v for v in ms if math.isfinite(v)]

    def r(v: float) -> float | None:
        return round(v, 1) if math.isfinite(v) else None  # None: lost (JSON has no inf)

    return {
        "n": len(ms),
        "lost": len(ms) - len(finite),
        "p50_ms": r(percentile(ms, 50)),
        "p90_ms": r(percentile(ms, 90)),
        "p99_ms": r(percentile(ms, 99)),
        "max_ms": r(max(ms)),
        "mean_ms": round(statistics.fmean(finite), 1) if finite else None,
    }


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


class Run:
    """One database: its URL, the `hall` environment, the hub and what was measured."""

    def __init__(self, args, database: str, url: str, workdir: Path, report: dict) -> None:
        self.args, self.database, self.url, self.workdir = args, database, url, workdir
        self.report = report
        self.env = dict(os.environ)
        self.env["HALL_DATABASE_URL"] = url
        self.env.pop("HALL_MESSAGE_QUEUE", None)  # one process, no Redis between processes
        if args.source:
            # Import the hub from an exported commit, ahead of the editable install.
            self.env["PYTHONPATH"] = str(args.source)
        self.kiosk = DEMO_KIOSK
        self.port = free_port()
        self.hub: Server | None = None
        self.started = time.monotonic()

    @property
    def kiosk_auth(self) -> str:
        return f"Bearer {self.kiosk}"

    def step(self, name: str) -> None:
        log(f"[{self.database} {time.monotonic() - self.started:6.1f}s] {name}")

    def hall(self, *argv: str) -> str:
        done = subprocess.run(
            [self.args.hall_bin, *argv],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"hall {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def init_demo(self) -> None:
        self.hall("init", "--demo")
        if self.args.no_print:
            # A kiosk of its own without a printer: tickets are issued but never printed.
            out = self.hall("device", "add", "kiosk", "--hall", HALL, "--name", "bench")
            self.kiosk = out.strip().splitlines()[-1]

    def serve_argv(self) -> list[str]:
        argv = [self.args.hall_bin, "serve", "--host", HOST, "--port", str(self.port)]
        if self.args.threads is not None:
            helptext = self.hall("serve", "--help")
            if "--threads" in helptext:
                argv += ["--threads", str(self.args.threads)]
            else:
                log("  note: `hall serve` has no --threads option any more; --threads ignored")
        for extra in self.args.serve_arg:
            argv += shlex.split(extra)
        return argv

    def start_hub(self) -> None:
        self.hub = Server("hall", self.serve_argv(), self.port, self.env, self.workdir / "hub.log")
        self.hub.start("/api/v1/halls")
        self.report["serve"] = {
            "hall_serve": " ".join(self.hub.argv[1:]),
            "server_command": " ".join(serve_command(self.hub) or ["(no gunicorn in the tree)"]),
        }

    def client(self, timeout: float = 30.0) -> Client:
        return Client(self.port, timeout)

    def login(self, n: int) -> str:
        c = self.client()
        status, body = c.call(
            "POST", "/api/v1/auth/token", {"username": f"window{n}", "password": PASSWORD}
        )
        c.close()
        if status != 200:
            raise RuntimeError(f"login window{n} answered {status}: {body}")
        return f"Bearer {body['token']}"

    def window_ids(self) -> dict[str, int]:
        c = self.client()
        status, body = c.call("GET", f"/api/v1/halls/{HALL}/windows")
        c.close()
        if status != 200:
            raise RuntimeError(f"windows answered {status}: {body}")
        return {str(w["number"]): w["id"] for w in body["windows"]}

    def count_rows(self, sql: str) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.scalar(text(sql)) or 0)
        finally:
            engine.dispose()

    def issue_work(self):
        def work(client: Client, _k: int):
            status, body = client.call(
                "POST", f"/api/v1/halls/{HALL}/tickets", {"matter": MATTER}, self.kiosk_auth
            )
            if status != 201:
                raise RuntimeError(f"issue answered {status}: {body}")
            t = body["ticket"]
            return (t["id"], t["number"], time.monotonic())

        return work


WAITING_SQL = "SELECT count(*) FROM tickets WHERE status = 'waiting'"
CALLED_TWICE_SQL = (
    "SELECT count(*) FROM (SELECT ticket_id FROM ticket_steps WHERE action = 'called' "
    "GROUP BY ticket_id HAVING count(*) > 1) d"
)
DUPLICATE_NUMBERS_SQL = (
    "SELECT count(*) FROM (SELECT number FROM tickets "
    "GROUP BY hall_id, queue_id, service_date, number HAVING count(*) > 1) d"
)


# --------------------------------------------------------------------------- phases


def rate(port: int, clients: int, duration: float, work) -> dict[str, Any]:
    results, errors, elapsed = run_clients(port, clients, work, duration=duration)
    done = sum(len(r) for r in results)
    return {
        "clients": clients,
        "requests": done,
        "seconds": round(elapsed, 2),
        "per_s": round(done / elapsed, 1),
        "errors": errors[:5],
    }


def paired(bare_run, hub_run, duration: float, rounds: int) -> dict[str, Any]:
    """Bare and hub in turns: ``rounds`` pairs of ``duration / rounds`` seconds each.

    This machine's speed drifts by half within minutes (two shared cores: the same request
    measured 1.2 ms of CPU at one moment and 2.3 ms a quarter of an hour later). Five seconds
    of bare then five of hub compared two different machines; short turns compare the same
    one, and the ratio is the median of the turns' ratios. Each run(seconds) answers
    (requests, seconds, errors)."""
    slice_s = duration / rounds
    turns = []
    totals = {"bare": [0, 0.0], "hub": [0, 0.0]}
    errors: list = []
    for _ in range(rounds):
        turn = {}
        for side, run in (("bare", bare_run), ("hub", hub_run)):
            done, seconds, errs = run(slice_s)
            errors += errs
            totals[side][0] += done
            totals[side][1] += seconds
            turn[side] = done / seconds if seconds else 0.0
        turns.append(turn)
    ratios = sorted(t["hub"] / t["bare"] for t in turns if t["bare"])
    return {
        "bare_per_s": round(totals["bare"][0] / totals["bare"][1], 1),
        "hub_per_s": round(totals["hub"][0] / totals["hub"][1], 1),
        "bare_requests": totals["bare"][0],
        "hub_requests": totals["hub"][0],
        "seconds": round(totals["hub"][1], 2),
        "ratio": round(statistics.median(ratios), 3) if ratios else None,
        "turn_ratios": [round(r, 3) for r in ratios],
        "errors": errors[:5],
    }


def issue_rates(run: Run, bare: Server) -> None:
    """Tickets per second, 1 and 8 clients, in turns with the bare endpoint (``paired``)."""
    work = run.issue_work()
    for port, n in ((bare.port, 100), (run.port, 20)):  # warm up: imports, pages, pools
        c = Client(port)
        for _ in range(n):
            work(c, 0)
        c.close()

    def side(port: int, clients: int):
        def run_for(seconds: float):
            results, errors, elapsed = run_clients(port, clients, work, duration=seconds)
            return sum(len(r) for r in results), elapsed, errors

        return run_for

    rates: dict[str, Any] = {}
    for clients in (1, 8):
        pair = paired(
            side(bare.port, clients), side(run.port, clients), run.args.duration, run.args.rounds
        )
        rates[f"bare_{clients}"] = {
            "clients": clients,
            "requests": pair["bare_requests"],
            "per_s": pair["bare_per_s"],
        }
        rates[f"issue_{clients}"] = {
            "clients": clients,
            "requests": pair["hub_requests"],
            "seconds": pair["seconds"],
            "per_s": pair["hub_per_s"],
            "errors": pair["errors"],
        }
        rates[f"ratio_{clients}"] = pair["ratio"]
        rates[f"turn_ratios_{clients}"] = pair["turn_ratios"]
    run.report["issue"] = rates


def issue_correctness(run: Run) -> bool:
    """8 threads issue `--concurrent-tickets` tickets (within `--cap` s): no number twice."""
    args = run.args
    before = run.count_rows("SELECT count(*) FROM tickets")
    results, errors, elapsed = run_clients(
        run.port, 8, run.issue_work(), count=args.concurrent_tickets, duration=args.cap
    )
    got = [r for rs in results for r in rs]
    numbers = Counter(n for _, n, _ in got)
    ids = Counter(i for i, _, _ in got)
    after = run.count_rows("SELECT count(*) FROM tickets")
    db_dupes = run.count_rows(DUPLICATE_NUMBERS_SQL)
    dupes = sum(c - 1 for c in numbers.values() if c > 1)
    run.report["issue_correctness"] = {
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
    }
    # A request that failed (e.g. timed out) may still have added its row: compare only then.
    rows_match = len(got) == after - before or bool(errors)
    return dupes == 0 and db_dupes == 0 and rows_match


def ensure_waiting(run: Run, minimum: int) -> None:
    missing = minimum - run.count_rows(WAITING_SQL)
    if missing > 0:
        run_clients(run.port, 4, run.issue_work(), count=missing, duration=run.args.cap)


def open_windows(run: Run, numbers: list[int]) -> list[tuple[int, str]]:
    ids = run.window_ids()
    out = []
    for n in numbers:
        token = run.login(n)
        wid = ids[str(n)]
        c = run.client()
        status, body = c.call("POST", f"/api/v1/windows/{wid}/open", token=token)
        c.close()
        if status != 200:
            raise RuntimeError(f"open window {n} answered {status}: {body}")
        out.append((wid, token))
    return out


def cycle(actions: tuple[str, ...], windows, record: list, requests: list[int], pause: float = 0):
    """work(): one window's call-next then `actions`; records (number, id, sent, answered)
    and counts every request answered (requests[k] for thread k)."""

    def work(client: Client, k: int):
        wid, token = windows[k]
        sent = time.monotonic()
        status, body = client.call("POST", f"/api/v1/windows/{wid}/call-next", token=token)
        answered = time.monotonic()
        if status != 200:
            raise RuntimeError(f"call-next answered {status}: {body}")
        requests[k] += 1
        ticket = body["ticket"]
        if ticket is None:
            return StopIteration
        record.append((ticket["number"], ticket["id"], sent, answered))
        for action in actions:
            status, body = client.call("POST", f"/api/v1/windows/{wid}/{action}", token=token)
            if status != 200:
                raise RuntimeError(f"{action} answered {status}: {body}")
            requests[k] += 1
        if pause:
            time.sleep(pause)
        return ticket["id"]

    return work


def bare_window_work(requests: list[int]):
    actions = ("call-next", "start", "finish")

    def work(client: Client, k: int):
        for action in actions:
            status, body = client.call("POST", f"/api/v1/windows/{k + 1}/{action}")
            if status != 200:
                raise RuntimeError(f"bare {action} answered {status}: {body}")
            requests[k] += 1
        return True

    return work


def display_latency(calls: list, called: dict[str, list[float]]) -> dict[str, Any]:
    """Call sent -> the display's receipt, and answer -> receipt, matched by number."""
    from_sent, from_answer = [], []
    for number, _id, sent, answered in calls:
        stamps = called.get(number)
        at = min(stamps) if stamps else math.inf
        from_sent.append(at - sent)
        from_answer.append(at - answered)
    out = summary_ms(from_sent)
    out["answer_to_display"] = summary_ms(from_answer)
    out["event_before_answer"] = sum(1 for v in from_answer if v < 0)
    return out


def window_actions(run: Run, bare: Server, windows) -> bool:
    """Requests per second of 4 windows looping call-next -> start -> finish, against the
    bare endpoint's window route; call -> display latency, busy then quiet."""
    args = run.args
    ensure_waiting(run, 300)
    waiting = run.count_rows(WAITING_SQL)
    display = Displays(run, 1, deadline=15)
    seen = display.connected()
    busy: list = []

    def bare_for(seconds: float):
        requests = [0] * 4
        _, errs, elapsed = run_clients(bare.port, 4, bare_window_work(requests), duration=seconds)
        return sum(requests), elapsed, errs

    def hub_for(seconds: float):
        requests = [0] * 4
        work = cycle(("start", "finish"), windows, busy, requests)
        _, errs, elapsed = run_clients(run.port, 4, work, duration=seconds)
        return sum(requests), elapsed, errs

    pair = paired(bare_for, hub_for, args.duration, args.rounds)
    # A quiet hall: one window calls one ticket at a time (call-next -> no-show), with pauses.
    quiet: list = []
    _, q_errors, _ = run_clients(
        run.port,
        1,
        cycle(("no-show",), windows[:1], quiet, [0], pause=0.05),
        count=args.quiet_calls,
        duration=args.cap / 2,
    )
    called, info = display.events()
    display.close()
    ids = Counter(i for _, i, _, _ in busy + quiet)
    run.report["window_actions"] = {
        "waiting_at_start": waiting,
        "windows": 4,
        "requests": pair["hub_requests"],
        "call_next": len(busy),
        "seconds": pair["seconds"],
        "per_s": pair["hub_per_s"],
        "call_next_per_s": round(len(busy) / pair["seconds"], 1) if pair["seconds"] else 0,
        "bare_requests": pair["bare_requests"],
        "bare_per_s": pair["bare_per_s"],
        "ratio": pair["ratio"],
        "turn_ratios": pair["turn_ratios"],
        "ran_dry": run.count_rows(WAITING_SQL) == 0,
        "called_twice": sum(c - 1 for c in ids.values() if c > 1),
        "errors": (pair["errors"] + q_errors)[:5],
        "display": {**seen, **info},
    }
    run.report["display_busy"] = display_latency(busy, called)
    run.report["display_quiet"] = display_latency(quiet, called)
    return run.report["window_actions"]["called_twice"] == 0


def drain(run: Run, windows) -> bool:
    """4 windows call everything left at once (call-next -> no-show): none called twice."""
    waiting = run.count_rows(WAITING_SQL)
    record: list = []
    results, errors, elapsed = run_clients(
        run.port, 4, cycle(("no-show",), windows, record, [0] * 4), duration=run.args.cap
    )
    ids = Counter(i for rs in results for i in rs)
    twice = sum(c - 1 for c in ids.values() if c > 1)
    db_twice = run.count_rows(CALLED_TWICE_SQL)
    left = run.count_rows(WAITING_SQL)
    run.report["call_correctness"] = {
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
    # A request that failed may still have called its ticket: compare counts only without.
    counts_match = len(ids) + left == waiting or bool(errors)
    return twice == 0 and db_twice == 0 and counts_match


def timed_calls(run: Run, window, count: int, spacing: float, timeout: float) -> dict[str, Any]:
    """`count` calls from one window, one every `spacing` s (call-next -> no-show), each
    request with a timeout; gives up after two calls in a row time out."""
    wid, token = window
    c = run.client(timeout)
    calls: list = []
    timeouts = 0
    in_a_row = 0
    errors: list[str] = []
    next_at = time.monotonic()
    for _ in range(count):
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = time.monotonic() + spacing
        sent = time.monotonic()
        try:
            status, body = c.call("POST", f"/api/v1/windows/{wid}/call-next", token=token)
            answered = time.monotonic()
            if status != 200 or not body.get("ticket"):
                errors.append(f"call-next answered {status}: {str(body)[:120]}")
                break
            calls.append((body["ticket"]["number"], body["ticket"]["id"], sent, answered))
            in_a_row = 0
            c.call("POST", f"/api/v1/windows/{wid}/no-show", token=token)
        except (TimeoutError, OSError) as err:
            timeouts += 1
            in_a_row += 1
            errors.append(repr(err))
            if in_a_row >= 2:
                break
    c.close()
    return {"calls": calls, "timeouts": timeouts, "errors": errors[:5]}


def fanout(calls: list, called: dict[str, list[float]], sockets: int) -> dict[str, Any]:
    """Call sent -> each connected socket's receipt; a socket that never got it counts as
    lost (infinitely late)."""
    values: list[float] = []
    for number, _id, sent, _answered in calls:
        stamps = called.get(number, [])
        values += [t - sent for t in stamps[:sockets]]
        values += [math.inf] * max(0, sockets - len(stamps))
    return summary_ms(values)


class RestProbe(threading.Thread):
    """GET /api/v1/halls every 100 ms with a timeout, while the sockets are held."""

    def __init__(self, run: Run, timeout: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.run_ = run
        self.timeout = timeout
        self.stopped = threading.Event()
        self.latencies: list[float] = []
        self.timeouts = 0
        self.gave_up = False

    def run(self) -> None:
        c = self.run_.client(self.timeout)
        in_a_row = 0
        while not self.stopped.is_set():
            sent = time.monotonic()
            try:
                status, _ = c.call("GET", "/api/v1/halls")
                if status == 200:
                    self.latencies.append(time.monotonic() - sent)
                in_a_row = 0
            except (TimeoutError, OSError):
                self.timeouts += 1
                in_a_row += 1
                if in_a_row >= 3:
                    self.gave_up = True
                    break
            self.stopped.wait(0.1)
        c.close()

    def finish(self) -> dict[str, Any]:
        self.stopped.set()
        self.join(self.timeout + 2)
        out = summary_ms(self.latencies)
        out.update(timeouts=self.timeouts, gave_up_after_3_timeouts=self.gave_up)
        return out


def hold_sockets(run: Run, windows, count: int, processes: int, key: str) -> None:
    """Hold `count` display sockets; meanwhile sample the hub's RSS, make spaced calls, probe
    REST; then how many connected and how fast each call reached each socket."""
    args = run.args
    ensure_waiting(run, args.fanout_calls + 5)
    displays = Displays(run, count, processes, deadline=args.connect_deadline)
    sampler = RssSampler(run.hub)
    sampler.start()
    result: dict[str, Any] = {}
    try:
        result["connect"] = seen = displays.connected()
        probe = RestProbe(run)
        probe.start()
        timed = timed_calls(run, windows[0], args.fanout_calls, 0.5, timeout=10)
        result["rest_halls"] = probe.finish()
        called, info = displays.events(settle=2.0)
        result["held_at_end"] = info
        result["calls"] = {
            "sent": len(timed["calls"]) + timed["timeouts"],
            "answered": len(timed["calls"]),
            "timeouts": timed["timeouts"],
            "errors": timed["errors"],
        }
        result["fanout"] = fanout(timed["calls"], called, seen["connected"])
    finally:
        result["memory"] = sampler.finish()
        result["memory"]["at_end"] = run.hub.memory()
        displays.close()
    run.report[key] = result


# --------------------------------------------------------------------------- one database


def run_database(args, database: str, url: str, workdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": database,
        "url": safe_url(url),
        # Other work on the machine skews every figure: keep the load next to them.
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "phase_errors": {},
    }
    run = Run(args, database, url, workdir, report)
    correct = True
    reached = False

    def phase(name: str, fn, *a) -> Any:
        run.step(name)
        try:
            return fn(*a)
        except Exception as err:  # report it and go on with the next phase
            report["phase_errors"][name] = f"{type(err).__name__}: {err}"[:1500]
            log(f"  phase failed: {type(err).__name__}: {str(err)[:300]}")
            return None

    run.step("hall init --demo; SQL statements of one issue and one call-next")
    run.init_demo()
    report["statements"] = count_statements(run)
    if database == "postgresql":
        pg_reset(url)
    else:
        url = run.url = f"sqlite:///{workdir / f'hub-{database}.sqlite3'}"
        run.env["HALL_DATABASE_URL"] = url
    run.init_demo()
    run.step("hall serve " + " ".join(run.serve_argv()[2:]))
    run.start_hub()
    bare = bare_server(run.hub, free_port(), workdir / "bare.log", args.threads)
    report["serve"]["bare_command"] = " ".join(bare.argv)
    report["serve"]["bare_mirrors_hall_serve"] = bare.mirrored
    memory = report.setdefault("memory", {})
    try:
        windows = None
        try:
            try:
                bare.start("/healthz")
            except RuntimeError as err:
                # The hub's command did not serve the bare app: the gthread fallback, said so.
                report["phase_errors"]["bare endpoint, mirrored"] = str(err)
                bare.stop()
                bare = bare_server(None, bare.port, workdir / "bare-fallback.log", args.threads)
                report["serve"]["bare_command"] = " ".join(bare.argv)
                report["serve"]["bare_mirrors_hall_serve"] = False
                bare.start("/healthz")
            phase("tickets per second, hub and bare endpoint", issue_rates, run, bare)
            run.step(f"up to {args.concurrent_tickets} tickets from 8 threads")
            try:
                correct &= issue_correctness(run)
                reached = True
            except Exception as err:
                report["phase_errors"]["issue correctness"] = repr(err)[:1500]
                correct = False
            memory["after_issue"] = run.hub.memory()
            windows = phase("open windows 1..4", open_windows, run, [1, 2, 3, 4])
            if windows:
                ok = phase(
                    "window actions, 4 windows and bare; call -> display",
                    window_actions,
                    run,
                    bare,
                    windows,
                )
                correct &= ok is not False
        finally:
            bare.stop()
        if windows:
            run.step("4 windows call at once until the queue is empty")
            try:
                correct &= drain(run, windows)
            except Exception as err:
                report["phase_errors"]["call correctness"] = repr(err)[:1500]
                correct = False
            memory["after_drain"] = run.hub.memory()
            phase(
                f"hub memory holding {args.rss_sockets} display sockets",
                hold_sockets,
                run,
                windows,
                args.rss_sockets,
                1,
                "sockets_rss",
            )
            phase(
                f"{args.sockets} display sockets on one hub process",
                hold_sockets,
                run,
                windows,
                args.sockets,
                args.socket_processes,
                "sockets_many",
            )
        else:
            reached = False
    finally:
        run.hub.stop()
        report["server_log_tail"] = run.hub.tail  # the hub's errors, if any, with the figures
        if "Traceback" in run.hub.tail:
            log(f"  the hub logged a traceback: see server_log_tail in the {database} JSON")
    report["correct"] = bool(correct and reached)
    report["reached_correctness_checks"] = reached
    report["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    report["wall_s"] = round(time.monotonic() - run.started, 1)
    return report


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def ms(v: Any) -> str:
    return "lost" if v is None else f"{v:g}"


def rows_for(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """(measure, target, value, met) for one database's report; met None = no target."""
    rows: list[tuple[str, str, str, bool | None]] = []
    iss = r.get("issue")
    for n in (1, 8):
        label = f"tickets/s, {n} client{'s' if n > 1 else ''} (bare req/s)"
        if iss:
            rows.append(
                (label, "", f"{iss[f'issue_{n}']['per_s']} ({iss[f'bare_{n}']['per_s']})", None)
            )
            ratio = iss[f"ratio_{n}"]
            met = ratio is not None and ratio >= TARGET_RATIO
            rows.append((f"  ratio to bare, {n} client(s)", f">= {TARGET_RATIO}", f"{ratio}", met))
        else:
            rows.append((label, "", "-", None))
    wa = r.get("window_actions")
    label = "window actions/s, 4 windows (bare req/s)"
    if wa:
        dry = ", queue ran dry" if wa["ran_dry"] else ""
        rows.append((label, "", f"{wa['per_s']} ({wa['bare_per_s']}){dry}", None))
        ratio = wa["ratio"]
        met = ratio is not None and ratio >= TARGET_RATIO
        rows.append(("  ratio to bare, window actions", f">= {TARGET_RATIO}", f"{ratio}", met))
    else:
        rows.append((label, "", "-", None))
    st = r.get("statements", {})
    for key, name in (("issue", "issue"), ("call_next", "call-next")):
        label = f"SQL statements per {name}: write tx (outside)"
        m = st.get(key)
        if not m:
            rows.append((label, f"<= {TARGET_STATEMENTS}", "error" if st else "-", False))
            continue
        txs = f", {m['write_transactions']} write tx" if m["write_transactions"] != 1 else ""
        value = f"{m['write_statements']} ({m['outside_before']} before, {m['outside_after']} after{txs})"
        if not m["ok"]:
            value += f" HTTP {m['status']}"
        met = (
            m["ok"] and m["write_transactions"] >= 1 and m["write_statements"] <= TARGET_STATEMENTS
        )
        rows.append((label, f"<= {TARGET_STATEMENTS}", value, met))
    for key, label in (
        ("display_quiet", "call -> display p50/p99 ms, quiet"),
        ("display_busy", "call -> display p50/p99 ms, 4 windows busy"),
    ):
        d = r.get(key)
        if d and d.get("n"):
            lost = f", {d['lost']} lost" if d["lost"] else ""
            value = f"{ms(d['p50_ms'])} / {ms(d['p99_ms'])} (n {d['n']}{lost})"
            met = d["p99_ms"] is not None and d["p99_ms"] <= TARGET_DISPLAY_P99_MS
            rows.append((label, f"p99 <= {TARGET_DISPLAY_P99_MS:g}", value, met))
        else:
            rows.append((label, f"p99 <= {TARGET_DISPLAY_P99_MS:g}", "-", None if not d else False))
    s = r.get("sockets_rss")
    label = "hub peak RSS MiB, 100 display sockets held"
    if s:
        m = s["memory"]
        held = s["connect"]["connected"]
        value = f"{m['peak_rss_mib']} ({m['processes']} processes, {held} of {s['connect']['requested']} held)"
        label = f"hub peak RSS MiB, {s['connect']['requested']} display sockets held"
        rows.append((label, f"<= {TARGET_RSS_MIB:g}", value, m["peak_rss_mib"] <= TARGET_RSS_MIB))
    else:
        rows.append((label, f"<= {TARGET_RSS_MIB:g}", "-", None))
    s = r.get("sockets_many")
    if s:
        c = s["connect"]
        n = c["requested"]
        rows.append(
            (
                "display sockets connected, one hub process",
                f"{n}",
                f"{c['connected']} of {n}",
                c["connected"] >= n,
            )
        )
        f = s["fanout"]
        calls = s["calls"]
        label = f"fan-out call -> each socket p50/p99 ms ({n})"
        if f.get("n"):
            lost = f", {f['lost']} lost" if f["lost"] else ""
            value = (
                f"{ms(f['p50_ms'])} / {ms(f['p99_ms'])} ({calls['answered']} calls x "
                f"{c['connected']} sockets{lost})"
            )
            met = f["p99_ms"] is not None and f["p99_ms"] <= TARGET_FANOUT_P99_MS
            met = met and c["connected"] >= n
        else:
            value = f"no call answered ({calls['timeouts']} timed out)"
            met = False
        rows.append((label, f"p99 <= {TARGET_FANOUT_P99_MS:g}", value, met))
        rest = s["rest_halls"]
        value = (
            f"{ms(rest.get('p50_ms'))} / {ms(rest.get('p99_ms'))} (n {rest['n']}, "
            f"{rest['timeouts']} timeouts)"
            if rest.get("n")
            else f"no answer ({rest['timeouts']} timeouts of 5 s)"
        )
        rows.append((f"GET /api/v1/halls p50/p99 ms, {n} held", "", value, None))
        rows.append(
            (
                f"hub peak RSS MiB, {n} sockets",
                "",
                f"{s['memory']['peak_rss_mib']} ({s['memory']['processes']} processes)",
                None,
            )
        )
    ic = r.get("issue_correctness")
    if ic:
        dupes = ic["duplicate_numbers"] + ic["db_duplicate_numbers"]
        rows.append(
            (
                "duplicate numbers, 8 issuers at once",
                "0",
                f"{ic['duplicate_numbers']} / table {ic['db_duplicate_numbers']} "
                f"in {ic['issued']} ({ic['per_s']}/s)",
                dupes == 0,
            )
        )
    cc = r.get("call_correctness")
    if cc:
        rows.append(
            (
                "tickets called twice, 4 windows at once",
                "0",
                f"{cc['called_twice']} / table {cc['db_called_twice_whole_run']} "
                f"in {cc['called']} ({cc['call_next_per_s']}/s)",
                cc["called_twice"] + cc["db_called_twice_whole_run"] == 0,
            )
        )
    return rows


def print_table(reports: list[dict], skipped: dict[str, str], summary: dict) -> None:
    per_db = {
        r["database"]: dict(((m, t), (v, met)) for m, t, v, met in rows_for(r)) for r in reports
    }
    order: list[tuple[str, str]] = []
    for r in reports:
        for m, t, _, _ in rows_for(r):
            if (m, t) not in order:
                order.append((m, t))

    def cell(db: str, key: tuple[str, str]) -> str:
        v, met = per_db[db].get(key, ("-", None))
        return v + ("" if met is None else ("  met" if met else "  NOT met"))

    dbs = [r["database"] for r in reports]
    w0 = max([len(m) for m, _ in order] + [7])
    w1 = max([len(t) for _, t in order] + [6])
    widths = [max([len(cell(db, k)) for k in order] + [len(db)]) for db in dbs]
    line = "-" * (w0 + w1 + sum(widths) + 4 * len(dbs) + 2)
    print()
    print(
        f"OneWindow queue bench - {summary['commit']} ({summary['source']}; hall/ last "
        f"changed in {summary['hall_last_changed_in']})"
    )
    for r in reports:
        s = r.get("serve", {})
        print(f"  {r['database']}: {s.get('server_command', '?')}")
        if not s.get("bare_mirrors_hall_serve", True):
            print("    bare endpoint: could not mirror that command; fell back to gthread")
    print(line)
    print(
        f"{'measure':<{w0}}  {'target':<{w1}}"
        + "".join(f"    {db:<{w}}" for db, w in zip(dbs, widths, strict=True))
    )
    print(line)
    for key in order:
        m, t = key
        print(
            f"{m:<{w0}}  {t:<{w1}}"
            + "".join(f"    {cell(db, key):<{w}}" for db, w in zip(dbs, widths, strict=True))
        )
    print(line)
    for db, reason in skipped.items():
        print(f"{db}: SKIPPED - {reason}")
    for r in reports:
        errs = "; ".join(f"{k}: {v[:200]}" for k, v in r["phase_errors"].items())
        print(
            f"{r['database']}: correctness {'OK' if r['correct'] else 'FAILED'}; "
            f"{r['wall_s']} s; loadavg before {' '.join(r['loadavg_before'])}, "
            f"after {' '.join(r['loadavg_after'])}" + (f"; phase errors: {errs}" if errs else "")
        )
    print(f"wall time {summary['wall_s']} s")


def print_statements(report: dict) -> None:
    st = report.get("statements", {})
    print(f"\nSQL statements ({report['database']}):")
    if "error" in st:
        print("  error: " + st["error"])
        return
    for key in ("issue", "call_next", "start", "finish"):
        m = st.get(key)
        if not m:
            continue
        print(
            f"  {key}: HTTP {m['status']}, {m['write_statements']} in {m['write_transactions']} "
            f"write tx, {m['outside_before']} before, {m['outside_after']} after; "
            f"transactions: {m['transactions']}"
        )
        for s in m["statements"]:
            print(f"    [{s['where']}] {s['sql']}")


# --------------------------------------------------------------------------- main


def raise_file_limit() -> None:
    """Sockets are files: lift the soft limit for the bench, its clients and the hub."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    which.add_argument(
        "--postgres",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="PostgreSQL only; the server of URL (default $HALL_TEST_POSTGRES_URL or "
        f"{PG_DEFAULT}), in a database of the bench's own that it creates and drops",
    )
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra option(s) for `hall serve`, repeatable, e.g. --serve-arg=--threads=1100",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="pass --threads N to `hall serve` if it has that option (default: its own)",
    )
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds of the hub per rate (and of bare)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="turns per rate: bare and hub alternate, the ratio is the median turn's",
    )
    parser.add_argument("--concurrent-tickets", type=int, default=2000)
    parser.add_argument("--quiet-calls", type=int, default=50, help="calls on a quiet hall")
    parser.add_argument(
        "--cap", type=float, default=20.0, help="max seconds of each fixed-count phase"
    )
    parser.add_argument("--rss-sockets", type=int, default=100)
    parser.add_argument("--sockets", type=int, default=1000, help="display sockets to hold")
    parser.add_argument(
        "--socket-processes", type=int, default=2, help="client processes for the sockets"
    )
    parser.add_argument(
        "--connect-deadline", type=float, default=30.0, help="seconds for the sockets to connect"
    )
    parser.add_argument("--fanout-calls", type=int, default=20, help="calls while sockets held")
    parser.add_argument("--verbose", action="store_true", help="print each SQL statement")
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
    parser.add_argument("--count-statements", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--kiosk", default=DEMO_KIOSK, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_statements:
        print(json.dumps(count_statements_child(args.count_statements, args.kiosk)))
        return 0

    raise_file_limit()
    started = time.monotonic()
    summary: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", args.ref or "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    summary["commit"] = commit.stdout.strip()
    hub_commit = subprocess.run(
        ["git", "log", "-1", "--format=%h", args.ref or "HEAD", "--", "hall"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    summary["hall_last_changed_in"] = hub_commit.stdout.strip()
    if args.ref:
        summary["source"] = f"git archive {args.ref}"
    else:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "hall"], cwd=ROOT, capture_output=True, text=True
        )
        summary["source"] = "working tree" + (" (hall/ modified)" if dirty.stdout.strip() else "")

    pg_url = args.postgres or os.environ.get("HALL_TEST_POSTGRES_URL") or PG_DEFAULT
    plan = []
    if args.postgres is None:
        plan.append("sqlite")
    if not args.sqlite_only:
        plan.append("postgresql")
    reports: list[dict] = []
    skipped: dict[str, str] = {}
    failed = unreached = False
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
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
        for database in plan:
            url = f"sqlite:///{workdir / 'count-sqlite.sqlite3'}"
            if database == "postgresql":
                problem = postgres_problem(pg_url)
                if problem:
                    skipped[database] = problem
                    log(f"PostgreSQL skipped: {problem}")
                    continue
                url = pg_bench_url(pg_url)
            try:
                report = run_database(args, database, url, workdir)
            except Exception as err:
                # The hub did not start (or init failed): nothing to compare, say why.
                for path in workdir.glob("*.log"):
                    print(f"--- {path.name}\n{path.read_text()[-3000:]}", file=sys.stderr)
                report = {
                    "database": database,
                    "fatal": f"{type(err).__name__}: {err}"[:3000],
                    "correct": False,
                    "reached_correctness_checks": False,
                    "phase_errors": {"fatal": f"{type(err).__name__}: {err}"[:1500]},
                    "loadavg_before": ["?"] * 3,
                    "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
                    "wall_s": None,
                }
                log(f"{database}: FAILED before the correctness checks: {err}")
            finally:
                if database == "postgresql":
                    pg_drop(pg_url, url)
            report.update(summary)
            report["args"] = {k: str(v) for k, v in vars(args).items()}
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = out / f"{stamp}-{database}.json"
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            report["json"] = str(path.relative_to(ROOT))
            reports.append(report)
            if not report["reached_correctness_checks"]:
                unreached = True
            elif not report["correct"]:
                failed = True
    summary["wall_s"] = round(time.monotonic() - started, 1)
    if args.verbose:
        for r in reports:
            print_statements(r)
    print_table(reports, skipped, summary)
    for r in reports:
        print(f"results: {r['json']}")
    return 1 if failed else 2 if unreached else 0


if __name__ == "__main__":
    sys.exit(main())
