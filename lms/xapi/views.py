"""The administrators' page on the Learning Record Store: what waits, what the LRS refused last,
and a button to send now (the scheduled task sends every 10 minutes)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from lms.core.forms import ConfirmForm
from lms.core.permissions import requires
from lms.xapi.services import statements

bp = Blueprint("xapi", __name__, template_folder="templates")

#: statements a press of "Send now" sends at most (the page waits for them)
SEND_NOW_LIMIT = 1000


@bp.route("/admin/xapi")
@requires("xapi:manage")
def status():
    return render_template("xapi/status.html", endpoint=statements.endpoint(), state=statements.status(),
                           confirm=ConfirmForm())


@bp.route("/admin/xapi/send", methods=["POST"])
@requires("xapi:manage")
def send_now():
    if ConfirmForm().validate_on_submit() and statements.endpoint():
        done = statements.send_due(limit=SEND_NOW_LIMIT)
        if done.error:
            flash(_("Sent %(sent)s; the LRS did not take %(failed)s, which wait for the next try: %(error)s",
                    sent=done.sent, failed=done.failed, error=done.error), "warning")
        else:
            flash(_("Sent %(sent)s statements.", sent=done.sent))
    return redirect(url_for("xapi.status"))
