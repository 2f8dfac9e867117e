"""Browser pages: the client blueprints and what their templates share (bilingual labels)."""

from flask import Flask
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

import admin
import backoffice
import board
import counter
import display
import evaluator
import kiosk
import status

CLIENTS = (kiosk, counter, display, board, status, backoffice, evaluator, admin)


def pair(msgid: str) -> list[str]:
    """A label as [Chinese, English] (just [English] when the page is in English)."""
    translated = gettext(msgid)
    if str(get_locale()) == "en" or translated == msgid:
        return [msgid]
    return [translated, msgid]


def bi(msgid: str) -> Markup:
    """A label as HTML: Chinese first, English second (one span each)."""
    parts = pair(msgid)
    if len(parts) == 1:
        return Markup('<span class="en">{}</span>').format(parts[0])
    zh, en = (escape(p) for p in parts)
    return Markup(f'<span class="zh" lang="zh">{zh}</span> <span class="en" lang="en">{en}</span>')


def init_app(app: Flask) -> None:
    """Register each client's blueprint and the template helpers they share."""
    app.jinja_env.globals.update(bi=bi, pair=pair, lang=lambda: str(get_locale()))
    for client in CLIENTS:
        app.register_blueprint(client.bp)
    from hall.cases import pages as case_pages

    app.register_blueprint(case_pages.bp)
