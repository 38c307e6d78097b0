"""A cohort's announcements: its people read them; its trainers post (and may e-mail) and
delete them."""
from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from lms.core.pagination import paginate
from lms.core.permissions import has_capability, requires
from lms.core.services import mail
from lms.core.services.errors import NotFound
from lms.courses.forms import AnnouncementForm, ConfirmForm
from lms.courses.services import announcements as service
from lms.courses.views.common import COHORT_TABS, cohort_context, cohorts_bp as bp, run_button, run_service

COHORT_TABS.append(("cohorts.announcements", _l("Announcements")))


def _page(form: AnnouncementForm):
    cohort = g.cohort
    page = paginate(service.of_cohort(cohort), request.args.get("page", 1, type=int), per_page=20)
    can_post = has_capability(current_user, "courses:teach", g.lms_context)
    return render_template("courses/announcements.html", cohort=cohort, page=page, form=form, can_post=can_post,
                           confirm=ConfirmForm()), 400 if form.errors else 200


@bp.route("/<code>/announcements")
@requires("courses:read_announcements", cohort_context)
def announcements(code):
    return _page(AnnouncementForm(formdata=None))


@bp.route("/<code>/announcements", methods=["POST"])
@requires("courses:teach", cohort_context)
def announcement_post(code):
    form = AnnouncementForm()
    if form.validate_on_submit():
        cohort, posted = g.cohort, []

        def act():
            posted.append(service.post(cohort, form.data, current_user, email=form.email.data))

        done = run_service(form, act, _("The announcement is posted."), url_for("cohorts.announcements", code=code))
        if done:
            sent = service.emailed(posted[0])
            if sent:
                flash(ngettext("It goes to %(num)s participant by e-mail.", "It goes to %(num)s participants by"
                               " e-mail.", sent))
                mail.send_after_response(done)
            return done
    return _page(form)


@bp.route("/<code>/announcements/<int:announcement_id>/delete", methods=["POST"])
@requires("courses:teach", cohort_context)
def announcement_delete(code, announcement_id):
    try:
        item = service.get(g.cohort, announcement_id)
    except NotFound:
        abort(404)
    return run_button(lambda: service.delete(item, current_user), _("The announcement is deleted."),
                      url_for("cohorts.announcements", code=code))
