"""A burst of sockets shares a hall's snapshot, and never gets one read before it asked."""

import threading
import time

import pytest

from hall.sockets import SharedReads


def _reader():
    builds = []
    gates = []

    def build():
        gate = threading.Event()
        gates.append(gate)
        builds.append(len(builds) + 1)
        number = builds[-1]
        assert gate.wait(10)
        return number

    return builds, gates, build


def _call(reads, build, out, name):
    out[name] = reads.read("hall:1", build)


class _Ticks:
    """SharedReads' clock, counted: the test knows when every caller has asked."""

    def __init__(self) -> None:
        self.taken = 0
        self._lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self) -> int:
        with self._lock:
            self.taken += 1
            return self.taken


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_callers_during_a_read_take_the_next_one_and_share_it():
    reads = SharedReads()
    reads._ticks = ticks = _Ticks()
    builds, gates, build = _reader()
    out: dict[str, int] = {}
    first = threading.Thread(target=_call, args=(reads, build, out, "first"))
    first.start()
    _until(lambda: gates, "the first read began")  # asked, then started: two ticks
    late = [threading.Thread(target=_call, args=(reads, build, out, f"late{i}")) for i in range(5)]
    for t in late:
        t.start()
    _until(lambda: ticks.taken >= 2 + 5, "the late callers asked while read 1 ran")
    gates[0].set()
    first.join(10)
    _until(lambda: len(gates) == 2, "one of the late callers began read 2")
    gates[1].set()
    for t in late:
        t.join(10)
    assert out["first"] == 1
    # Read 1 began before they asked, so it may miss an event of theirs: they all got read 2.
    assert {out[f"late{i}"] for i in range(5)} == {2}
    assert builds == [1, 2]


def test_a_failed_read_fails_the_callers_sharing_it_and_the_next_caller_reads_again():
    reads = SharedReads()
    started = threading.Event()
    release = threading.Event()
    errors = []

    def failing():
        started.set()
        release.wait(10)
        raise RuntimeError("database away")

    def call():
        try:
            reads.read("hall:1", failing)
        except RuntimeError as err:
            errors.append(str(err))

    threads = [threading.Thread(target=call) for _ in range(3)]
    threads[0].start()
    started.wait(10)
    started.clear()
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join(10)
    assert errors == ["database away"] * 3
    assert reads.read("hall:1", lambda: "fresh") == "fresh"


def test_different_keys_do_not_share():
    reads = SharedReads()
    assert reads.read("hall:1", lambda: 1) == 1
    assert reads.read("hall:2", lambda: 2) == 2
    with pytest.raises(ZeroDivisionError):
        reads.read("hall:3", lambda: 1 / 0)
