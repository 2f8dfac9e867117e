"""Ratings (好差评) and their follow-up, and the roll-up of closed days' figures (rollup.py)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hall.db import Base
from hall.errors import Conflict


class Level(enum.IntEnum):
    """The national five levels, by the API's score (5 best)."""

    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意


LEVEL_NAMES: dict[int, tuple[str, str]] = {
    5: ("非常满意", "very satisfied"),
    4: ("满意", "satisfied"),
    3: ("基本满意", "basically satisfied"),
    2: ("不满意", "dissatisfied"),
    1: ("非常不满意", "very dissatisfied"),
}

# The one mapping between the API's score (5 = 非常满意) and the national data standard's code
# (GB/T 39046-2020: 1 = 非常满意 … 5 = 非常不满意). The two run in opposite directions; every
# export and import goes through this table, never through arithmetic at the call site.
SCORE_TO_GBT: dict[int, int] = {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}
GBT_TO_SCORE: dict[int, int] = {code: score for score, code in SCORE_TO_GBT.items()}

# Scores that are a 差评 (不满意, 非常不满意).
BAD_SCORES = (1, 2)

# Reasons a resident may pick for a 差评 (code, Chinese, English).
REASONS: dict[str, tuple[str, str]] = {
    "wait": ("等候时间长", "waited too long"),
    "attitude": ("服务态度差", "unfriendly service"),
    "unclear": ("告知不清楚", "unclear instructions"),
    "trips": ("多次跑动", "had to come more than once"),
    "slow": ("办理慢", "slow handling"),
    "rules": ("不按规定办理", "rules not followed"),
    "other": ("其他", "other"),
}


class Stage(enum.StrEnum):
    """When a case is rated (一事一评)."""

    INTAKE = "intake"  # after the case was taken in at the window
    HANDOVER = "handover"  # after the result was handed over


STAGE_NAMES = {Stage.INTAKE: ("受理", "intake"), Stage.HANDOVER: ("领取", "hand-over")}


class Channel(enum.StrEnum):
    """Where a rating was given."""

    EVALUATOR = "evaluator"  # the screen at the window, right after service
    STATUS = "status"  # the ticket's status page on the resident's phone (补充评价)


class Outcome(enum.StrEnum):
    """How a 差评 was settled after the call-back."""

    FIXED_AT_ONCE = "fixed_at_once"  # 立行立改
    FIX_BY_DEADLINE = "fix_by_deadline"  # 限期整改
    EXPLAINED = "explained"  # 解释说明


def is_closed(score: int, outcome: str | None, fixed: bool, appeal: str | None) -> bool:
    """Whether a rating needs no more follow-up: not a 差评, upheld on appeal, explained,
    fixed at once, or fixed by its deadline."""
    if score not in BAD_SCORES or appeal == "upheld":
        return True
    return outcome in (Outcome.FIXED_AT_ONCE, Outcome.EXPLAINED) or (
        outcome == Outcome.FIX_BY_DEADLINE and fixed
    )


class Rating(Base):
    """One rating of one service through one channel; no resident's name unless given."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("ticket_id", "channel", name="uq_rating_ticket_channel"),
        UniqueConstraint("case_id", "stage", "channel", name="uq_rating_case_stage_channel"),
        Index("ix_ratings_hall_at", "hall_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    # What was rated: a ticket now; cases add their own column (一事一评).
    subject: Mapped[str] = mapped_column(String(10), default="ticket")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    # 一事一评: a case is rated at intake and at hand-over (``stage``); "" for a ticket.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    stage: Mapped[str] = mapped_column(String(10), default="")
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), nullable=True)
    # Who served.
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    # How and when.
    channel: Mapped[str] = mapped_column(String(12))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    at: Mapped[datetime]
    added: Mapped[bool] = mapped_column(Boolean, default=False)  # 补充评价: not the first
    # What was said.
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(String(500), default="")
    resident_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Follow-up of a 差评 (回访, then an outcome; a staff appeal decided by a manager).
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    callback_at: Mapped[datetime | None] = mapped_column(nullable=True)
    callback_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    callback_note: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome_note: Mapped[str] = mapped_column(String(500), default="")
    fixed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    appeal: Mapped[str | None] = mapped_column(String(12), nullable=True)  # open/upheld/rejected
    appeal_note: Mapped[str] = mapped_column(String(500), default="")

    @property
    def bad(self) -> bool:
        """Whether this is a 差评."""
        return self.score in BAD_SCORES

    @property
    def closed(self) -> bool:
        """Whether the follow-up is done: explained, fixed at once, or fixed by its deadline."""
        return is_closed(self.score, self.outcome, self.fixed_at is not None, self.appeal)

    def call_back(self, staff_id: int, note: str, at: datetime) -> None:
        """Record the call-back (回访) of a 差评."""
        if not self.bad:
            raise Conflict("只有差评需要回访 / only a 差评 is followed up", code="not_bad")
        if self.callback_at is not None:
            raise Conflict("已回访 / already called back", code="already_called_back")
        self.callback_at, self.callback_by, self.callback_note = at, staff_id, note

    def settle(self, outcome: Outcome, note: str, at: datetime, due_on: date | None) -> None:
        """Record the outcome after the call-back; 限期整改 sets a new deadline."""
        if self.callback_at is None:
            raise Conflict("请先回访 / call the resident back first", code="callback_first")
        if self.outcome is not None:
            raise Conflict("已有处理结果 / the outcome is already recorded", code="already_settled")
        self.outcome, self.outcome_note, self.outcome_at = outcome, note, at
        if outcome == Outcome.FIX_BY_DEADLINE:
            self.due_on = due_on
        else:
            self.fixed_at = at

    def mark_fixed(self, note: str, at: datetime) -> None:
        """A 限期整改 is done."""
        if self.outcome != Outcome.FIX_BY_DEADLINE or self.fixed_at is not None:
            raise Conflict("没有待整改的事项 / nothing is waiting to be fixed", code="not_fixing")
        self.fixed_at = at
        self.outcome_note = (self.outcome_note + " / " + note).strip(" /")[:500]


class RollupDay(Base):
    """A closed day whose facts are stored, with the fingerprint of the tickets they hold."""

    __tablename__ = "stats_rollup_days"

    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    target_s: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(200))
    unsettled: Mapped[int] = mapped_column(Integer, default=0)  # tickets not final when stored
    built_at: Mapped[datetime]


class Rollup(Base):
    """One day's figures of one group (``dim``, ``key``), as compact JSON."""

    __tablename__ = "stats_rollups"
    __table_args__ = (Index("ix_stats_rollups_day", "hall_id", "day", "dim"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    day: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(12))
    key: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[str] = mapped_column(Text)
