"""`hall simulate`: a hall day played against a running hub through its real REST API.

Residents arrive by hour (a morning and an afternoon peak) at the kiosk; window clerks open
their windows, call, start and finish, with walks, service times per matter, no-shows,
transfers, cases taken in (some with documents missing: 补正), and ratings at the evaluator
(some 差评, with a reason). The day runs on a simulated clock ``speed`` times faster than
real time: the hub stamps real times, so a day at speed 60 fills eight real minutes and
the board, the reports and the estimated-wait error fill as it goes.

Only the standard library talks to the hub (urllib), so the command needs nothing more.
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


def play(day: Day, *, sleep: Callable[[float], None] = time.sleep, say=print) -> Counter:
    """Play the day; what happened, counted (issued, served, no_show, transfers, cases,
    ratings, bad ratings, refused calls)."""
    rng = random.Random(day.seed)
    hub = Hub(day.url)
    kiosk = day.kiosk_token or f"demo-kiosk-{day.hall}"
    evaluator = day.evaluator_token or f"demo-evaluator-{day.hall}"
    status, body = hub.call("GET", f"/halls/{day.hall}/matters")
    if status != 200:
        raise RuntimeError(f"no such hall: {day.hall}")
    matters = list(body["matters"])
    # Residents come for what the staffed windows serve (a matter nobody serves would wait).
    _, listed = hub.call("GET", f"/halls/{day.hall}/windows")
    served = {
        q
        for w in (listed or {}).get("windows", [])
        if w["number"] in day.windows
        for q in w["queues"]
    }
    matters = [m for m in matters if m["queue"] in served] or matters
    queues = sorted({m["queue"] for m in matters})  # transfers go to a served queue too
    matter_ids = {m["code"]: m["id"] for m in matters}
    clerks = {w: hub.login(f"window{w}", day.password) for w in day.windows}
    counts = day.counts
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
    for w in day.windows:
        hub.call("POST", f"/windows/{w}/open", token=clerks[w])
        at(rng.uniform(0, 120), "free", window=w)
    started = time.monotonic()
    while events:
        t, _, kind, data = heapq.heappop(events)
        ahead = t / day.speed - (time.monotonic() - started)
        if ahead > 0:
            sleep(ahead)
        w = data.get("window")
        token = clerks.get(w, "")
        if kind == "arrive":
            matter = rng.choice(matters)
            status, _ = hub.call(
                "POST", f"/halls/{day.hall}/tickets", {"matter": matter["code"]}, kiosk
            )
            counts["issued" if status == 201 else "refused_issue"] += 1
        elif kind == "free":
            status, body = hub.call("POST", f"/windows/{w}/call-next", token=token)
            ticket = (body or {}).get("ticket") if status == 200 else None
            if not ticket:
                # Nobody waits: look again soon, unless the day is over and nobody else comes.
                if t < end or any(k == "arrive" for _, _, k, _ in events):
                    at(t + 30, "free", window=w)
            elif rng.random() < day.no_show:
                at(t + 120, "no_show", window=w)
            else:
                at(t + rng.uniform(20, 120), "start", window=w, ticket=ticket)
        elif kind == "no_show":
            hub.call("POST", f"/windows/{w}/no-show", token=token)
            counts["no_show"] += 1
            at(t + 5, "free", window=w)
        elif kind == "start":
            hub.call("POST", f"/windows/{w}/start", token=token)
            if rng.random() < day.case:
                _take_case(hub, rng, token, data["ticket"], matter_ids, counts)
            at(
                t + rng.expovariate(1 / day.mean_service_s),
                "finish",
                window=w,
                ticket=data["ticket"],
            )
        elif kind == "finish":
            others = [q for q in queues if q != data["ticket"].get("queue")]
            if others and rng.random() < day.transfer:
                hub.call("POST", f"/windows/{w}/transfer", {"queue": rng.choice(others)}, token)
                counts["transfers"] += 1
            else:
                status, _ = hub.call("POST", f"/windows/{w}/finish", token=token)
                if status == 200:
                    counts["served"] += 1
                    if rng.random() < day.rated:
                        _rate(hub, rng, evaluator, data["ticket"]["id"], counts)
            at(t + 10, "free", window=w)
    for w in day.windows:
        hub.call("POST", f"/windows/{w}/close", token=clerks[w])
    say("模拟结束 / day played: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
    return counts


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


def _rate(hub: Hub, rng: random.Random, evaluator: str, ticket_id: int, counts: Counter) -> None:
    score = rng.choices((5, 4, 3, 2, 1), (60, 25, 9, 4, 2))[0]
    body: dict[str, Any] = {"score": score}
    if score <= 2:
        body["reasons"] = [rng.choice(("wait", "slow", "unclear"))]
    status, _ = hub.call("POST", f"/tickets/{ticket_id}/rating", body, evaluator)
    if status == 201:
        counts["ratings"] += 1
        counts["bad_ratings"] += 1 if score <= 2 else 0
