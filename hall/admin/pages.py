"""The administrators' page of the configuration file: export, paste or upload, dry run, apply."""

from flask import Blueprint, render_template

bp = Blueprint(
    "admin_config",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin/config/static",
)


@bp.get("/admin/config")
def config() -> str:
    """The page's shell; an admin logs in and the page talks to /api/v1/config."""
    return render_template("admin/config.html")
