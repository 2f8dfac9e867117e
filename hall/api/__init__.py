"""REST API under /api/v1: parse, authorise, call one service, commit, publish, answer."""

from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="OneWindow")


def init_app(app) -> None:
    """Register the API blueprint and its views."""
    from hall.admin import api as admin_api  # noqa: F401
    from hall.admin import config_api, holidays_api  # noqa: F401
    from hall.admin import routes as admin_routes  # noqa: F401
    from hall.cases import api as cases_api  # noqa: F401
    from hall.printing import api as printing_api  # noqa: F401
    from hall.queue import api as queue_api  # noqa: F401
    from hall.stats import api as stats_api  # noqa: F401

    app.register_blueprint(bp)
