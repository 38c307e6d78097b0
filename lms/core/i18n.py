"""Kazakh first; Russian and English on request. The choice is remembered per user
(and per browser session before sign-in)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from lms.core.models import LANGUAGES

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the CLI and the API lane: operators' and programs' language
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # English only by explicit choice: a browser asking for English still gets Kazakh
    return request.accept_languages.best_match(["kk", "ru"]) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or "kk")


def language_of(user) -> str:
    """The language a message to `user` is written in: their own choice, else Kazakh."""
    return user.language if getattr(user, "language", None) in LANGUAGES else "kk"


def localized(value, field: str | None = None, lang: str | None = None) -> str:
    """Text in the current language, falling back to Kazakh then any language present.

    `value` is either a mapping {kk: ..., ru: ..., en: ...} or an object with
    `<field>_kk`, `<field>_ru`, `<field>_en` attributes."""
    lang = lang or current_language()
    if value is None:
        return ""
    if field is not None:
        value = {code: getattr(value, f"{field}_{code}", None) for code in LANGUAGES}
    if isinstance(value, str):
        return value
    for code in (lang, "kk", "ru", "en"):
        text = value.get(code)
        if text:
            return text
    return ""


def localtime(value: datetime | None, tz: str = "Asia/Almaty", fmt: str = "EEE d MMM, HH:mm") -> str:
    """A UTC datetime shown in the cohort's local time, in the reader's language."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(tz)).replace(tzinfo=None), fmt, rebase=False)



def file_size(size: int | None) -> str:
    """A file's size in the reader's language ("1,2 МБ", "340 КБ"): Jinja's filesizeformat
    speaks English only."""
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    size = size or 0
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_decimal(round(size / 1048576, 1)))
    return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))


def zone_city(tz: str) -> str:
    """A cohort's time zone as its readers name it, by its city in their language ("Алматы",
    "Орал" / "Уральск"), not by its IANA id ("Asia/Almaty")."""
    from babel.dates import get_timezone_location

    try:
        return get_timezone_location(tz, locale=current_language(), return_city=True)
    except LookupError:
        return tz
