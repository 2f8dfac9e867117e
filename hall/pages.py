"""Browser pages: the client blueprints and what their templates share (bilingual labels)."""

from flask import Flask
from flask_babel import get_locale, get_translations, gettext, pgettext
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


def pair(msgid: str, context: str | None = None) -> list[str]:
    """A label as [Chinese, English] (just [English] when the page is in English)."""
    # A context tells one English word's meanings apart ("Name": a person's, a holiday's).
    translated = pgettext(context, msgid) if context else gettext(msgid)
    if str(get_locale()) == "en" or translated == msgid:
        return [msgid]
    return [translated, msgid]


def npair(singular: str, plural: str, n: int) -> list[str]:
    """A label with a count as [Chinese, English], each in its language's plural form for n."""
    english = singular if n == 1 else plural
    translated = get_translations().ngettext(singular, plural, n)
    if str(get_locale()) == "en" or translated in (singular, plural):
        return [english]
    return [translated, english]


def plural(singular: str, plural_: str) -> dict[str, list[dict[str, str]]]:
    """A label with a count for the browser: each language's plural forms by CLDR category
    (Chinese has one form, English "one" and "other"); hub.js picks by ``n`` per language."""
    english = {"one": singular, "other": plural_}
    translated = get_translations().ngettext(singular, plural_, 2)
    if str(get_locale()) == "en" or translated in (singular, plural_):
        return {"plural": [english]}
    return {"plural": [{"other": translated}, english]}


def bi(msgid: str) -> Markup:
    """A label as HTML: Chinese first, English second (one span each)."""
    parts = pair(msgid)
    if len(parts) == 1:
        return Markup('<span class="en">{}</span>').format(parts[0])
    zh, en = (escape(p) for p in parts)
    return Markup(f'<span class="zh" lang="zh">{zh}</span> <span class="en" lang="en">{en}</span>')


def init_app(app: Flask) -> None:
    """Register each client's blueprint and the template helpers they share."""
    app.jinja_env.globals.update(
        bi=bi, pair=pair, npair=npair, plural=plural, lang=lambda: str(get_locale())
    )
    for client in CLIENTS:
        app.register_blueprint(client.bp)
    from hall.admin import pages as admin_pages
    from hall.cases import pages as case_pages

    app.register_blueprint(case_pages.bp)
    app.register_blueprint(admin_pages.bp)
