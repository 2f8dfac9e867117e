"""`hall simulate`: a hall day played against a running hub through its real REST API.

Residents arrive by hour (a morning and an afternoon peak) at the kiosk, some with a priority
class (elderly, disabled…); window clerks open their windows, call, start and finish over the
``/counter`` Socket.IO namespace as the counter page does (docs/api.md), with walks, service
times per matter, no-shows, transfers, cases taken in over REST (some with documents missing:
补正), and ratings at the evaluator (some 差评, with a reason). A manager follows up every
差评: the call-back, then 立行立改, 限期整改 (then fixed) or 解释说明. The day runs on a simulated
clock ``speed`` times faster than real time: the hub stamps real times, so a day at speed 60
fills eight real minutes and the board, the reports and the estimated-wait error fill as it
goes.

The kiosk, the evaluator and the manager use REST (urllib); the clerks a Socket.IO client
each (python-socketio), every action acked.
"""

from __future__ import annotations

import heapq
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Share of a day's arrivals per local hour (a hall open 8:30–17:00, peaks at 9–11 and 14–16).
PROFILE = {8: 0.5, 9: 1.4, 10: 1.5, 11: 1.0, 12: 0.4, 13: 0.8, 14: 1.3, 15: 1.2, 16: 0.6}


@dataclass
class Day:
    """What to play."""

    url: str
    hall: str
    speed: float = 60.0
    per_hour: float = 40.0  # arrivals in an average hour
    hours: tuple[int, ...] = tuple(PROFILE)
    windows: tuple[str, ...] = ("1", "2", "3", "4")
    seed: int = 7
    password: str = "demo123"
    kiosk_token: str = ""
    evaluator_token: str = ""
    no_show: float = 0.06
    transfer: float = 0.03
    case: float = 0.15
    rated: float = 0.35
    priority: float = 0.08  # arrivals with a priority class (when the hall has one)
    bad: float = 0.06  # of the ratings, 差评
    mean_service_s: float = 420.0
    counts: Counter = field(default_factory=Counter)


class Hub:
    """The hub's REST API as the simulated kiosk, clerks and evaluator use it."""

    def __init__(self, url: str) -> None:
        self.api = url.rstrip("/") + "/api/v1"

    def call(self, method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            try:
                return err.code, json.loads(err.read() or b"null")
            except ValueError:
                return err.code, None

    def login(self, username: str, password: str) -> str:
        status, body = self.call(
            "POST", "/auth/token", {"username": username, "password": password}
        )
        if status != 200:
            raise RuntimeError(f"cannot log in {username}: {body}")
        return body["token"]


class CounterPage:
    """One clerk's counter page: a Socket.IO client on ``/counter``; each window action is a
    message answered with an ack (``{"ok": true, "window", "ticket"}`` or an error)."""

    def __init__(self, url: str, token: str, hall: str) -> None:
        import socketio  # python-socketio's client (a dependency of the hub)

        self.client = socketio.Client(reconnection=False)
        try:
            self.client.connect(
                url.rstrip("/"),
                namespaces=["/counter"],
                auth={"token": token, "hall": hall},
                transports=["websocket"],
                wait_timeout=15,
            )
        except socketio.exceptions.ConnectionError as err:
            raise RuntimeError(f"cannot open the /counter socket: {err}") from None

    def act(self, verb: str, window_id: int, **data: Any) -> tuple[bool, Any]:
        answer = self.client.call(
            verb, {"window": window_id, **data}, namespace="/counter", timeout=15
        )
        answer = answer or {}
        return bool(answer.get("ok")), answer

    def close(self) -> None:
        self.client.disconnect()


def play(day: Day, *, sleep: Callable[[float], None] = time.sleep, say=print) -> Counter:
    """Play the day; what happened, counted (issued, priority, served, no_show, transfers,
    cases, ratings, bad ratings, their follow-ups, refused calls)."""
    rng = random.Random(day.seed)
    hub = Hub(day.url)
    kiosk = day.kiosk_token or f"demo-kiosk-{day.hall}"
    evaluator = day.evaluator_token or f"demo-evaluator-{day.hall}"
    status, body = hub.call("GET", f"/halls/{day.hall}/matters")
    if status != 200:
        raise RuntimeError(f"no such hall: {day.hall}")
    matters = list(body["matters"])
    _, about = hub.call("GET", f"/halls/{day.hall}")
    classes = ((about or {}).get("hall") or {}).get("priority_classes") or []
    classes = [c if isinstance(c, str) else c.get("code") for c in classes]
    classes = [c for c in classes if c and c != "appointment"]
    # Residents come for what the staffed windows serve (a matter nobody serves would wait).
    _, listed = hub.call("GET", f"/halls/{day.hall}/windows")
    windows = (listed or {}).get("windows", [])
    window_ids = {w["number"]: w["id"] for w in windows}
    served = {q for w in windows if w["number"] in day.windows for q in w["queues"]}
    matters = [m for m in matters if m["queue"] in served] or matters
    queues = sorted({m["queue"] for m in matters})  # transfers go to a served queue too
    matter_ids = {m["code"]: m["id"] for m in matters}
    clerks = {w: hub.login(f"window{w}", day.password) for w in day.windows}
    counts = day.counts
    bad_ratings: list[int] = []
    events: list[tuple[float, int, str, dict[str, Any]]] = []
    order = 0

    def at(t: float, kind: str, **data: Any) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (t, order, kind, data))

    for i, hour in enumerate(day.hours):
        n = _poisson(rng, day.per_hour * PROFILE.get(hour, 1.0))
        for _ in range(n):
            at(i * 3600 + rng.uniform(0, 3600), "arrive")
    end = len(day.hours) * 3600
    counters = {w: CounterPage(day.url, clerks[w], day.hall) for w in day.windows}

    def act(w: str, verb: str, **data: Any) -> dict[str, Any] | None:
        """A window action over the clerk's socket; the ack's answer, or None (refused)."""
        ok, answer = counters[w].act(verb, window_ids[w], **data)
        if not ok:
            counts["refused_" + verb] += 1
        return answer if ok else None

    try:
        for w in day.windows:
            act(w, "open_window")
            at(rng.uniform(0, 120), "free", window=w)
        started = time.monotonic()
        while events:
            t, _, kind, data = heapq.heappop(events)
            ahead = t / day.speed - (time.monotonic() - started)
            if ahead > 0:
                sleep(ahead)
            w = data.get("window")
            if kind == "arrive":
                matter = rng.choice(matters)
                body = {"matter": matter["code"]}
                if classes and rng.random() < day.priority:
                    body["priority"] = rng.choice(classes)
                status, _ = hub.call("POST", f"/halls/{day.hall}/tickets", body, kiosk)
                counts["issued" if status == 201 else "refused_issue"] += 1
                if status == 201 and "priority" in body:
                    counts["priority"] += 1
            elif kind == "free":
                answer = act(w, "call_next")
                ticket = (answer or {}).get("ticket")
                if not ticket:
                    # Nobody waits: look again soon, unless the day is over and nobody comes.
                    if t < end or any(k == "arrive" for _, _, k, _ in events):
                        at(t + 30, "free", window=w)
                elif rng.random() < day.no_show:
                    at(t + 120, "no_show", window=w)
                else:
                    at(t + rng.uniform(20, 120), "start", window=w, ticket=ticket)
            elif kind == "no_show":
                if act(w, "no_show") is not None:
                    counts["no_show"] += 1
                at(t + 5, "free", window=w)
            elif kind == "start":
                act(w, "start")
                if rng.random() < day.case:
                    _take_case(hub, rng, clerks[w], data["ticket"], matter_ids, counts)
                at(
                    t + rng.expovariate(1 / day.mean_service_s),
                    "finish",
                    window=w,
                    ticket=data["ticket"],
                )
            elif kind == "finish":
                others = [q for q in queues if q != data["ticket"].get("queue")]
                if others and rng.random() < day.transfer:
                    if act(w, "transfer", queue=rng.choice(others)) is not None:
                        counts["transfers"] += 1
                elif act(w, "finish") is not None:
                    counts["served"] += 1
                    if rng.random() < day.rated:
                        _rate(hub, rng, day, evaluator, data["ticket"]["id"], counts, bad_ratings)
                at(t + 10, "free", window=w)
        for w in day.windows:
            act(w, "close_window")
    finally:
        for counter in counters.values():
            counter.close()
    _follow_up(hub, rng, day, bad_ratings, counts)
    say("模拟结束 / day played: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
    return counts


def _follow_up(
    hub: Hub, rng: random.Random, day: Day, bad_ratings: list[int], counts: Counter
) -> None:
    """A manager calls every 差评 back, then settles it: 立行立改, 限期整改 (and fixed) or
    解释说明 (the share of each as a hall might see it)."""
    if not bad_ratings:
        return
    manager = hub.login("manager", day.password)
    for rating_id in bad_ratings:
        outcome = rng.choices(("fixed_at_once", "fix_by_deadline", "explained"), (5, 3, 2))[0]
        status, _ = hub.call(
            "POST",
            f"/ratings/{rating_id}/follow-up",
            {"callback": True, "outcome": outcome, "note": "模拟回访 / simulated call-back"},
            manager,
        )
        if status != 200:
            counts["refused_follow_up"] += 1
            continue
        counts["called_back"] += 1
        if outcome == "fix_by_deadline":
            status, _ = hub.call(
                "POST",
                f"/ratings/{rating_id}/follow-up",
                {"fixed": True, "note": "已整改 / fixed"},
                manager,
            )
        if status == 200:
            counts["fixed"] += 1


def _poisson(rng: random.Random, mean: float) -> int:
    """Arrivals in an hour (Knuth's method; means here are small)."""
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _take_case(
    hub: Hub, rng: random.Random, token: str, ticket: dict, matter_ids: dict, counts: Counter
) -> None:
    """Take in a case from the ticket being served; half of them miss a document (补正)."""
    matter_id = matter_ids.get(ticket.get("matter"))
    status, body = hub.call("GET", f"/matters/{matter_id}", token=token)
    documents = (body or {}).get("matter", {}).get("documents", []) if status == 200 else []
    ids = [d["id"] for d in documents if isinstance(d, dict) and "id" in d]
    if ids and rng.random() < 0.5:
        ids = ids[:-1]
    status, _ = hub.call(
        "POST",
        "/cases",
        {
            "ticket": ticket["id"],
            "matter": ticket.get("matter"),
            "applicant": {"name": "模拟群众", "id_number": "220103199001011234", "phone": ""},
            "documents": ids,
        },
        token,
    )
    counts["cases" if status == 201 else "cases_refused"] += 1


def _rate(
    hub: Hub,
    rng: random.Random,
    day: Day,
    evaluator: str,
    ticket_id: int,
    counts: Counter,
    bad_ratings: list[int],
) -> None:
    """A rating at the evaluator; a 差评 (``day.bad`` of them) with a reason."""
    if rng.random() < day.bad:
        score = rng.choice((2, 1))
    else:
        score = rng.choices((5, 4, 3), (62, 26, 10))[0]
    body: dict[str, Any] = {"score": score}
    if score <= 2:
        body["reasons"] = [rng.choice(("wait", "slow", "unclear"))]
    status, answer = hub.call("POST", f"/tickets/{ticket_id}/rating", body, evaluator)
    if status == 201:
        counts["ratings"] += 1
        if score <= 2:
            counts["bad_ratings"] += 1
            bad_ratings.append(answer["rating"]["id"])
