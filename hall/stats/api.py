"""Statistics and ratings over REST: figures, exports, ratings and their follow-up, the open page."""

from datetime import date, timedelta

from flask import Response, current_app, request
from sqlalchemy import select

from hall import access, cache, clock
from hall.access import Permission
from hall.admin.api import caller
from hall.api import bp
from hall.db import unit_of_work
from hall.errors import BadRequest, Forbidden, NotFound, Unauthorized
from hall.events import publish
from hall.queue import lookup
from hall.schemas import STR, answers, arr, obj
from hall.stats import exports, presenters, services
from hall.stats.figures import GROUPS
from hall.stats.models import BAD_SCORES, Channel, Rating
from hall.stats.schemas import OPEN_FIGURES, RATING, STATS, CaseRatingIn, FollowUpIn, RatingIn

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MAX_RANGE_DAYS = 400


def _range(hall) -> tuple[date, date, str | None]:
    today = clock.service_date(clock.now(), hall.timezone)
    try:
        start = date.fromisoformat(request.args["from"]) if "from" in request.args else today
        end = date.fromisoformat(request.args["to"]) if "to" in request.args else start
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD / dates must be YYYY-MM-DD") from None
    if end < start:
        raise BadRequest("结束日期早于开始日期 / 'to' is before 'from'", code="bad_range")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise BadRequest(
            f"范围最多 {MAX_RANGE_DAYS} 天 / at most {MAX_RANGE_DAYS} days", code="bad_range"
        )
    by = request.args.get("by") or None
    if by is not None and by not in GROUPS:
        raise BadRequest(f"分组无效 / 'by' must be one of {', '.join(GROUPS)}", code="bad_group")
    return start, end, by


def _report(code: str) -> dict:
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        access.require(caller(session), Permission.VIEW_STATS, hall=hall.id)
        start, end, by = _range(hall)
        return presenters.stats_report(session, hall, start, end, by)


@bp.get("/halls/<code>/stats")
@answers(STATS)
@bp.doc(
    summary="The hall's figures over ?from=&to= (YYYY-MM-DD), grouped by ?by= (manager)",
    security="BearerAuth",
)
def stats(code: str) -> dict:
    """Tickets, cases and ratings figures, in total and per group."""
    return _report(code)


def _download(report: dict, body: bytes, kind: str, mimetype: str) -> Response:
    name = f"stats-{report['hall']}-{report['from']}-{report['to']}.{kind}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/halls/<code>/stats.csv")
@answers(STR, content_type="text/csv", description="CSV")
@bp.doc(summary="The same report as CSV (manager)", security="BearerAuth")
def stats_csv(code: str) -> Response:
    """The report as CSV (UTF-8 with BOM)."""
    report = _report(code)
    return _download(report, exports.to_csv(report), "csv", "text/csv")


@bp.get("/halls/<code>/stats.xlsx")
@answers({"type": "string", "format": "binary"}, content_type=XLSX, description="Excel")
@bp.doc(summary="The same report as an Excel workbook (manager)", security="BearerAuth")
def stats_xlsx(code: str) -> Response:
    """The report as an Excel workbook."""
    report = _report(code)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(report, exports.to_xlsx(report), "xlsx", mimetype)


@bp.post("/tickets/<ref>/rating")
@bp.input(RatingIn, arg_name="body")
@answers(obj(rating=RATING), 201)
@bp.doc(
    summary="Rate a finished service: evaluator device token with the ticket id, "
    "or the ticket's status token in the path",
    security="BearerAuth",
    responses={201: "the rating", 409: "not served, already rated, or too late"},
)
def rate_ticket(ref: str, body: dict) -> tuple[dict, int]:
    """One rating per channel and service (一次一评)."""
    config = current_app.config
    with unit_of_work() as session:
        ref = ref[:60]
        device_id = None
        if ref.isdigit():
            ticket = lookup.ticket(session, int(ref))
            who = caller(session)
            if who is None:
                raise Unauthorized(
                    "需要评价器令牌 / an evaluator token is needed", code="bad_token"
                )
            if not access.is_device(who):
                raise Forbidden("评价须由群众在评价器上作出 / residents rate at the evaluator")
            device_id = access.require_device(who, "evaluator", hall=ticket.hall_id).id
            channel = Channel.EVALUATOR
        else:
            ticket = lookup.ticket(session, ref)
            channel = Channel.STATUS
        rating, events = services.rate_ticket(
            session,
            ticket,
            channel,
            body,
            device_id=device_id,
            late_days=config["RATING_LATE_DAYS"],
            fix_days=config["BAD_RATING_FIX_DAYS"],
        )
        hall = cache.of(session).hall_by_id(ticket.hall_id)
        answer = {"rating": presenters.rating_dict(rating, hall.timezone, private=False)}
    publish(events)
    return answer, 201


@bp.post("/cases/<ref>/rating")
@bp.input(CaseRatingIn, arg_name="body")
@bp.doc(
    summary="Rate a case at intake or hand-over (一事一评): evaluator device token with the "
    "case id, or the case's status token in the path",
    security="BearerAuth",
    responses={201: "the rating", 409: "not handed over, already rated, or too late"},
)
def rate_case(ref: str, body: dict) -> tuple[dict, int]:
    """One rating per stage and channel of a case."""
    from hall.cases.models import Case

    config = current_app.config
    with unit_of_work() as session:
        ref = ref[:60]
        device_id = None
        if ref.isdigit() and len(ref) < 10:
            case = session.get(Case, int(ref))
            who = caller(session)
            if case is not None and who is None:
                raise Unauthorized(
                    "需要评价器令牌 / an evaluator token is needed", code="bad_token"
                )
            if case is not None and not access.is_device(who):
                raise Forbidden("评价须由群众在评价器上作出 / residents rate at the evaluator")
            if case is not None:
                device_id = access.require_device(who, "evaluator", hall=case.hall_id).id
            channel = Channel.EVALUATOR
        else:
            # Only the secret status token, never the case number, rates from a phone.
            case = session.scalar(select(Case).where(Case.token == ref))
            channel = Channel.STATUS
        if case is None:
            raise NotFound(f"办件不存在 / no such case: {ref[:40]}", code="case_not_found")
        rating, events = services.rate_case(
            session,
            case,
            channel,
            body,
            device_id=device_id,
            late_days=config["RATING_LATE_DAYS"],
            fix_days=config["BAD_RATING_FIX_DAYS"],
        )
        hall = cache.of(session).hall_by_id(case.hall_id)
        answer = {"rating": presenters.rating_dict(rating, hall.timezone, private=False)}
    publish(events)
    return answer, 201


@bp.get("/halls/<code>/ratings")
@answers(obj(ratings=arr(RATING)))
@bp.doc(
    summary="The hall's ratings, newest first (?bad=1: only 差评; ?open=1: follow-up not done)",
    security="BearerAuth",
)
def list_ratings(code: str) -> dict:
    """Ratings with their follow-up, for managers."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        access.require(caller(session), Permission.FOLLOW_UP_RATING, hall=hall.id)
        query = select(Rating).where(Rating.hall_id == hall.id)
        if request.args.get("bad") in ("1", "true"):
            query = query.where(Rating.score.in_(BAD_SCORES))
        ratings = session.scalars(query.order_by(Rating.id.desc()).limit(500)).all()
        items = [presenters.rating_dict(r, hall.timezone) for r in ratings]
        if request.args.get("open") in ("1", "true"):
            items = [r for r in items if not r["closed"]]
        return {"ratings": items}


@bp.post("/ratings/<int:rating_id>/follow-up")
@bp.input(FollowUpIn, arg_name="body")
@answers(obj(rating=RATING))
@bp.doc(
    summary="Follow up a 差评: call-back, outcome, fix done; or a staff appeal and its decision",
    security="BearerAuth",
)
def follow_up(rating_id: int, body: dict) -> dict:
    """Record one step of a 差评's follow-up."""
    with unit_of_work() as session:
        rating = services.rating_by_id(session, rating_id)
        who = caller(session)
        if body.get("appeal") == "open" and not any(
            body.get(k) for k in ("callback", "outcome", "fixed")
        ):
            staff = access.require(who, Permission.APPEAL_RATING, hall=rating.hall_id)
            if staff.role not in ("manager", "admin") and staff.id != rating.staff_id:
                raise Forbidden("只能申诉自己的评价 / you may appeal only ratings of your service")
        else:
            staff = access.require(who, Permission.FOLLOW_UP_RATING, hall=rating.hall_id)
        rating, events = services.follow_up(
            session, rating, staff, body, fix_days=current_app.config["BAD_RATING_FIX_DAYS"]
        )
        hall = cache.of(session).hall_by_id(rating.hall_id)
        answer = {"rating": presenters.rating_dict(rating, hall.timezone)}
    publish(events)
    return answer


@bp.get("/open/<code>")
@answers(obj(open=OPEN_FIGURES))
@bp.doc(summary="The hall's public figures (no login, no personal data)")
def open_figures(code: str) -> dict:
    """Today's and this month's volume, median wait, service level and ratings."""
    with unit_of_work(readonly=True) as session:
        return {"open": presenters.open_figures(session, lookup.hall_by_code(session, code))}
