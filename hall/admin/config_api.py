"""The configuration file over REST: export (admins; managers their own hall) and import."""

import json

from flask import Response, request

from hall import access
from hall.access import Permission
from hall.admin import config_file
from hall.admin.api import authenticated, caller
from hall.api import bp
from hall.db import unit_of_work
from hall.errors import BadRequest
from hall.events import publish
from hall.queue import lookup
from hall.security import BODY_LIMITS

# A hall's file is larger than the API's usual 64 KiB body (the demo's is about 90 KiB).
MAX_FILE_BYTES = 2 * 1024 * 1024
FORMATS = ("yaml", "json")
BODY_LIMITS["api.import_config"] = MAX_FILE_BYTES


@bp.get("/config")
@authenticated
@bp.doc(
    summary="The configuration file (?hall=CODE, ?format=yaml|json); admins, managers their hall",
    security="BearerAuth",
)
def export_config() -> Response:
    """The configuration as YAML or JSON: no tokens, no passwords, no residents' data."""
    fmt = request.args.get("format", "yaml")
    if fmt not in FORMATS:
        raise BadRequest("format 应为 yaml 或 json / format must be yaml or json")
    code = request.args.get("hall") or None
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code[:32]) if code else None
        # A manager reads only their own hall's file; the whole file is the admins'.
        if hall is not None:
            access.require(caller(session), Permission.EXPORT_CONFIG, hall=hall.id)
        else:
            access.require(caller(session), Permission.IMPORT_CONFIG)
        data = config_file.export_config(session, hall.code if hall else None)
    text = config_file.dumps(data, fmt)
    mimetype = "application/json" if fmt == "json" else "application/yaml"
    name = f"onewindow-{hall.code if hall else 'config'}.{fmt}"
    return Response(
        text,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/config/import")
@authenticated
@bp.doc(
    summary='Import a configuration file: {"text", "format", "dry_run", "prune"} (admins)',
    security="BearerAuth",
)
def import_config():
    """Validate the whole file, then plan (dry run) or apply it; the changes and the errors."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('应为 JSON 对象 / the body must be a JSON object {"text": …}')
    text, fmt = body.get("text"), body.get("format", "yaml")
    dry_run, prune = body.get("dry_run", False), body.get("prune", False)
    if not isinstance(text, str) or fmt not in FORMATS:
        raise BadRequest('需要 text 与 format (yaml|json) / "text" and "format" (yaml|json) needed')
    if not isinstance(dry_run, bool) or not isinstance(prune, bool):
        raise BadRequest("dry_run 与 prune 应为 true 或 false / dry_run and prune must be booleans")
    with unit_of_work() as session:
        who = access.require(caller(session), Permission.IMPORT_CONFIG)
        try:
            data = config_file.loads(text, fmt)
        except ValueError as err:
            return _invalid([str(err)[:500]])
        try:
            if dry_run:
                changes, events = config_file.plan(session, data, prune=prune), []
            else:
                changes, events = config_file.apply(session, data, prune=prune, by=who)
        except config_file.InvalidConfig as err:
            return _invalid(err.errors)
    publish(events)
    return {"changes": changes, "errors": [], "dry_run": dry_run}


def _invalid(errors: list[str]):
    body = {
        "error": {
            "code": "invalid_config",
            "message": f"配置文件有 {len(errors)} 处错误,未做任何改动 / "
            f"{len(errors)} error(s) in the file; nothing was changed",
        },
        "changes": [],
        "errors": errors,
    }
    return Response(json.dumps(body, ensure_ascii=False), status=422, mimetype="application/json")
