"""Back office: a department's inbox of case tasks (claim, approve, reject, return, suspend)."""

from flask import Blueprint, render_template

bp = Blueprint(
    "backoffice",
    __name__,
    url_prefix="/backoffice",
    template_folder="templates",
    static_folder="static",
)


@bp.get("/")
def index() -> str:
    """The workbench shell; department staff log in and the inbox streams over /backoffice."""
    return render_template("backoffice/index.html")
