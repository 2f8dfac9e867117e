"""Languages: Chinese first, English second, through Flask-Babel."""

from flask import Flask, request

from hall.extensions import babel

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    """Chinese (which shows English beside it) unless the page asks ?lang=en.

    Not the browser's Accept-Language: a kiosk or display PC set up in English must still
    show the hall's Chinese first.
    """
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else "zh"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our locale rule."""
    babel.init_app(app, locale_selector=select_locale)
