"""Languages: Chinese first, English second, through Flask-Babel."""

from flask import Flask, request

from hall.extensions import babel

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    """?lang=…, else the browser's preference among zh and en, else Chinese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "zh"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our locale rule."""
    babel.init_app(app, locale_selector=select_locale)
