"""The core: users, roles and capabilities, schools, audit log, i18n and the base layout."""
from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.core.capabilities import CORE_CAPABILITIES
from lms.core.extensions import babel, compress, csrf, limiter, login_manager
from lms.core.i18n import LANGUAGE_NAMES, current_language, localized, select_locale
from lms.core.permissions import (SYSTEM, CapabilityRegistry, Context, has_capability, has_capability_anywhere,
                                  expired_json, signed_out_json, wants_json)
from lms.core.static_files import cache_forever, init_static_versions, is_static
from lms.db import WRITE_METHODS, db, write_intent


def init_core(app: Flask, config) -> None:
    from lms.core import models  # noqa: F401  (tables on Base.metadata)
    from lms.core.forms import LanguageForm
    from lms.core.views import bp

    db.init_app(app, config.database_url)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None

    registry = CapabilityRegistry()
    registry.register(CORE_CAPABILITIES, "core")
    app.extensions["lms_capabilities"] = registry
    from lms.core.audit_actions import ACTIONS, OBJECT_TYPES

    #: audit action code -> its words, object type -> its words; each plugin adds its own
    #: (Plugin.audit_actions)
    app.extensions["lms_audit_actions"] = dict(ACTIONS)
    app.extensions["lms_audit_types"] = dict(OBJECT_TYPES)
    #: notice kind code -> its words, filled by the plugins (Plugin.notice_kinds)
    app.extensions["lms_notice_kinds"] = {}
    #: notice kind code -> the capability its readers hold somewhere (None: anyone may get it)
    app.extensions["lms_notice_audience"] = {}
    #: plugin name -> module of its personal data export (Plugin.privacy)
    app.extensions["lms_privacy"] = {}

    @login_manager.user_loader
    def load_user(user_id: str):
        """A session made before the account's password changed (another browser, a stolen
        cookie), or of an account since disabled, no longer signs anyone in."""
        from lms.core.models import User

        uid, _dot, stamp = user_id.partition(".")
        user = db.session.get(User, int(uid)) if uid.isdigit() else None
        return user if user is not None and user.is_active and user.credential_stamp == stamp else None

    app.register_blueprint(bp)

    from lms.core.cli import (backup_command, db_group, demo_command, mail_group, restore_command,
                              scheduler_command, schools_group, users_group, worker_command)

    for command in (db_group, demo_command, mail_group, users_group, schools_group, worker_command,
                    scheduler_command, backup_command, restore_command):
        app.cli.add_command(command)

    from lms.core.i18n import file_size, localtime, zone_city

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["zone_city"] = zone_city
    app.jinja_env.filters["filesize"] = file_size
    # globals, so that imported macros see them too
    app.jinja_env.globals.update(
        loc=localized,
        language_names=LANGUAGE_NAMES,
        can=lambda cap, ctx=None: has_capability(current_user, cap, Context(*ctx) if ctx else SYSTEM),
        can_anywhere=lambda cap: has_capability_anywhere(current_user, cap),
    )

    @app.context_processor
    def template_helpers():
        return {
            "lang": current_language(),
            "language_form": LanguageForm(formdata=None),
            "main_menu": _main_menu(app),
        }

    from lms.core.api import error_response, init_api, is_api_request

    init_api(app)

    def error_page(status: int, title: str, message: str):
        if is_api_request():
            return error_response(status, message)
        return render_template("core/error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(e):
        return error_page(403, _("Access denied"), _("You do not have permission to open this page."))

    @app.errorhandler(404)
    def not_found(e):
        return error_page(404, _("Not found"), _("There is no such page."))

    @app.errorhandler(429)
    def too_many(e):
        return error_page(429, _("Too many attempts"), _("Too many attempts. Wait a minute and try again."))

    #: the words of every other status a page may end in, so that no reader meets Werkzeug's
    #: English page: a file over the upload limit, a form sent wrong, a crash
    limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    other_statuses = {
        400: (_l("The request could not be read"), _l("Something in what was sent is not as expected. Go back, reload"
                                                       " the page and try again.")),
        405: (_l("Not available this way"), _l("This address does not answer that kind of request. Open it from a"
                                                " link or a button of the site.")),
        413: (_l("The file is too large"), _l("What was sent is over %(limit)s MB: choose a smaller file (a PDF or"
                                               " a compressed photo).", limit=limit)),
        500: (_l("Something went wrong on our side"), _l("Nothing you saved before is lost. Try again in a minute;"
                                                         " if it happens again, tell the centre what you were doing.")),
    }

    @app.errorhandler(HTTPException)
    def other_status(e: HTTPException):
        status = e.code or 500
        if is_api_request():
            return error_response(status, e.description or e.name)
        if status < 400:  # a redirect raised as an exception (routing's trailing slash)
            return e
        if status >= 500:  # a crash may have left the transaction failed: the page reads the database
            db.session.rollback()
        title, message = other_statuses[status if status in other_statuses else (500 if status >= 500 else 400)]
        return error_page(status, str(title), str(message))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        if wants_json():  # a script: a session that ended has no form token either
            if not current_user.is_authenticated:
                return signed_out_json()
            return expired_json()
        return error_page(400, _("The form has expired"),
                          _("The form has expired. Go back, reload the page and send it again."))

    @app.before_request
    def _write_intent():
        write_intent.set(request.method in WRITE_METHODS)

    #: what a signed-in person reaches before accepting: the policies, signing in and out, the
    #: language, a password link
    before_policies = {"core.policies_accept", "core.policies_page", "core.login", "core.logout",
                       "core.set_language", "core.password_forgot", "core.password_set"}

    @app.before_request
    def _policies_first():
        """A page opened while a current policy waits for the reader's acceptance sends them to
        accept it first (the catalogue too, once signed in). Only pages (GET): a form opened before
        the policy was published still saves what it sends; a page's script (JSON) is not asked,
        and the API asks in its own way (`api_endpoint`: a 403 naming the policies)."""
        if (request.method not in ("GET", "HEAD") or is_static(request.endpoint)
                or request.endpoint in before_policies or is_api_request() or wants_json()
                or not current_user.is_authenticated or current_user.policies_agreed):
            return None
        from lms.core.services import policies

        if policies.still_asks(current_user._get_current_object()):
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("core.policies_accept", next=here))
        return None

    @app.teardown_request
    def _write_intent_done(_exc=None):
        # the thread's next work (a CLI command, a test, a task) begins its transactions as reads
        write_intent.set(False)

    init_static_versions(app)

    @app.after_request
    def _security_headers(response):
        static = is_static(request.endpoint)
        return security_headers(cache_forever(response) if static else response, static=static)

    app.extensions["lms_api_lane"].response_hooks.append(security_headers)


def security_headers(response, static: bool = False):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not static:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _main_menu(app: Flask) -> list:
    items = []
    for plugin in app.extensions.get("lms_plugins", {}).values():
        items.extend(plugin.menu)
    return items
