"""Matter guides and departments, cases, their back-office tasks, visits and timeline."""

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.admin.models import Department, Hall
from hall.db import Base
from hall.errors import Conflict
from hall.queue.models import Matter, enum_column


class MatterDepartment(Base):
    """A department that decides a matter: one lead (主办), any assisting (协办)."""

    __tablename__ = "matter_departments"
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Department] = relationship()


class MatterGuide(Base):
    """One version of a matter's guide (办事指南); a change adds a version, the old one stays.

    ``documents`` is the checklist: ``[{"id", "name", "name_en", "required", "core",
    "original", "copies"}]``; ids stay the same across versions for the same item.
    """

    __tablename__ = "matter_guides"
    __table_args__ = (UniqueConstraint("matter_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    on_the_spot: Mapped[bool] = mapped_column(Boolean)
    time_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    statutory_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    fee: Mapped[str] = mapped_column(String(120), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)


class CaseStatus(enum.StrEnum):
    """Where a case stands."""

    AWAITING_DOCUMENTS = "awaiting_documents"  # 补正: told once what is missing; not accepted
    REFUSED = "refused"  # 不予受理
    IN_REVIEW = "in_review"  # accepted; the departments' tasks run
    RETURNED = "returned"  # a department asked for more (补正); the clock is paused
    READY = "ready"  # decided; the result waits at the pickup window (or goes by post)
    CLOSED = "closed"  # handed over


class CaseAction(enum.StrEnum):
    """What can happen to a case after intake."""

    COMPLETE = "complete"  # the missing documents arrived
    RETURN = "return"  # a department returned it for correction
    DECIDE = "decide"  # every task is done
    HAND_OVER = "hand_over"


CASE_TRANSITIONS: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (CaseStatus.AWAITING_DOCUMENTS, CaseAction.COMPLETE): CaseStatus.IN_REVIEW,
    (CaseStatus.IN_REVIEW, CaseAction.RETURN): CaseStatus.RETURNED,
    (CaseStatus.RETURNED, CaseAction.COMPLETE): CaseStatus.IN_REVIEW,
    (CaseStatus.IN_REVIEW, CaseAction.DECIDE): CaseStatus.READY,
    (CaseStatus.READY, CaseAction.HAND_OVER): CaseStatus.CLOSED,
}

_CASE_NAMES = {
    CaseStatus.AWAITING_DOCUMENTS: "待补正 / awaiting documents",
    CaseStatus.REFUSED: "不予受理 / refused",
    CaseStatus.IN_REVIEW: "审批中 / in review",
    CaseStatus.RETURNED: "退回补正 / returned for correction",
    CaseStatus.READY: "待领取 / ready for pickup",
    CaseStatus.CLOSED: "已办结 / closed",
}


def case_status_label(status: str) -> str:
    """A case status as people read it, Chinese first."""
    return _CASE_NAMES[CaseStatus(status)]


class TaskStatus(enum.StrEnum):
    """Where a department's task stands."""

    PENDING = "pending"  # in the department's inbox
    CLAIMED = "claimed"  # a staff member works on it
    SUSPENDED = "suspended"  # 特别程序: hearing, inspection, expert review; the clock stops
    RETURNED = "returned"  # waiting for the resident's documents; the clock is paused
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # another department rejected the case


class TaskAction(enum.StrEnum):
    """What staff (or the case) do to a task."""

    CLAIM = "claim"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    RESUBMIT = "resubmit"  # the documents asked for arrived
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"


TASK_TRANSITIONS: dict[tuple[TaskStatus, TaskAction], TaskStatus] = {
    (TaskStatus.PENDING, TaskAction.CLAIM): TaskStatus.CLAIMED,
    (TaskStatus.CLAIMED, TaskAction.APPROVE): TaskStatus.APPROVED,
    (TaskStatus.CLAIMED, TaskAction.REJECT): TaskStatus.REJECTED,
    (TaskStatus.CLAIMED, TaskAction.RETURN): TaskStatus.RETURNED,
    (TaskStatus.RETURNED, TaskAction.RESUBMIT): TaskStatus.CLAIMED,
    (TaskStatus.CLAIMED, TaskAction.SUSPEND): TaskStatus.SUSPENDED,
    (TaskStatus.SUSPENDED, TaskAction.RESUME): TaskStatus.CLAIMED,
    (TaskStatus.PENDING, TaskAction.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.CLAIMED, TaskAction.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.SUSPENDED, TaskAction.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.RETURNED, TaskAction.CANCEL): TaskStatus.CANCELLED,
}

TASK_DONE = (TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.CANCELLED)


class Case(Base):
    """A case (办件): an applicant's request for a matter, from intake to hand-over.

    The applicant's name, ID number and phone are stored encrypted (``*_enc``, with the
    key from the settings) beside masked forms for staff screens; nothing public shows them.
    Every step time is kept so that figures can be computed from the rows.
    """

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_hall_status", "hall_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    # The receipt code: the unguessable key of the status link and the pickup QR code.
    token: Mapped[str] = mapped_column(String(43), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("matter_guides.id"))
    guide_version: Mapped[int] = mapped_column(Integer, default=1)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, 20))
    applicant_kind: Mapped[str] = mapped_column(String(10), default="person")
    applicant_name_enc: Mapped[str] = mapped_column(Text)
    applicant_id_enc: Mapped[str] = mapped_column(Text)
    applicant_phone_enc: Mapped[str] = mapped_column(Text, default="")
    applicant_name_masked: Mapped[str] = mapped_column(String(120))
    applicant_id_masked: Mapped[str] = mapped_column(String(40))
    applicant_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    documents_received: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # [{"id", "name", "reason"}]: everything still missing, told at once (一次性告知).
    missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # 容缺受理: [{"id", "name", "due"}]; the case cannot be decided until they arrive.
    deferred: Mapped[list[Any]] = mapped_column(JSON, default=list)
    delivery: Mapped[str] = mapped_column(String(10), default="in_person")
    # 邮寄: the postal address, encrypted like the applicant's data, and its masked form.
    address_enc: Mapped[str] = mapped_column(Text, default="")
    address_masked: Mapped[str] = mapped_column(String(120), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    result_pickup: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    statutory_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The clock stops for a return for correction and for 特别程序 (suspension); each stop is
    # a ClockStop row, several may be open at once. ``clock_stopped_at``: since when the
    # clock stands (the first of the open stops); None while it runs.
    clock_stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    clock_stop: Mapped[str] = mapped_column(String(12), default="")
    # Working days of the stops, per kind of stop (overlapping stops each count their own) …
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_days: Mapped[int] = mapped_column(Integer, default=0)
    # … and what the deadline moved by: the working days on which any stop was open.
    stopped_days: Mapped[int] = mapped_column(Integer, default=0)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    warning: Mapped[str] = mapped_column(String(8), default="")
    decision: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    refused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(nullable=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(nullable=True)
    handed_over_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    handed_to_masked: Mapped[str] = mapped_column(String(120), default="")
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    pickup_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    visits_count: Mapped[int] = mapped_column(Integer, default=1)

    hall: Mapped[Hall] = relationship()
    matter: Mapped[Matter] = relationship()
    tasks: Mapped[list[Task]] = relationship(back_populates="case", order_by="Task.id")

    def can(self, action: CaseAction) -> bool:
        """Whether the case's state machine allows the action now."""
        return (CaseStatus(self.status), action) in CASE_TRANSITIONS

    def step(self, action: CaseAction) -> None:
        """Move the case by its state machine; refuse an illegal step (409)."""
        target = CASE_TRANSITIONS.get((CaseStatus(self.status), action))
        if target is None:
            raise Conflict(
                f"办件 {self.number} 当前为「{case_status_label(self.status)}」,不能执行此操作 / "
                f"not allowed while case {self.number} is {self.status}",
                code="invalid_transition",
            )
        self.status = target


class Task(Base):
    """A case's work in one department; the lead's and the assisting ones run in parallel."""

    __tablename__ = "case_tasks"
    __table_args__ = (Index("ix_case_tasks_inbox", "department_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus, 12), default=TaskStatus.PENDING
    )
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")

    case: Mapped[Case] = relationship(back_populates="tasks")
    department: Mapped[Department] = relationship()

    def can(self, action: TaskAction) -> bool:
        """Whether the task's state machine allows the action now."""
        return (TaskStatus(self.status), action) in TASK_TRANSITIONS

    def step(self, action: TaskAction) -> None:
        """Move the task by its state machine; refuse an illegal step (409)."""
        target = TASK_TRANSITIONS.get((TaskStatus(self.status), action))
        if target is None:
            raise Conflict(
                f"任务 {self.id} 当前状态为 {self.status},不能执行此操作 / "
                f"not allowed while task {self.id} is {self.status}",
                code="invalid_transition",
            )
        self.status = target


class Visit(Base):
    """One time the applicant came for the case: intake, documents, pickup."""

    __tablename__ = "case_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    purpose: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime]


class CaseStep(Base):
    """One line of a case's timeline: who did what, when, at which window or department."""

    __tablename__ = "case_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id"))
    detail: Mapped[str] = mapped_column(String(500), default="")


CLOCK_STOP_KINDS = ("correction", "hearing", "inspection", "expert_review", "other")


class ClockStop(Base):
    """One period in which a case's clock stood still (中止): a return for correction (补正) or
    a 特别程序 (hearing, inspection or test, expert review), with its reason, start and end.

    ``days`` is the stop's own working days, counted when it ends.
    """

    __tablename__ = "case_clock_stops"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[datetime]
    started_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    days: Mapped[int] = mapped_column(Integer, default=0)


class Timer(Base):
    """A periodic job shared by every hub process: the row's ``due_at`` is claimed with a
    guarded UPDATE, so one process in the group runs each round (the case warning sweep)."""

    __tablename__ = "timers"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    due_at: Mapped[datetime]
    ran_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ran_by: Mapped[str] = mapped_column(String(80), default="")
