"""The e-mail that tells a participant their certificate is issued (Open edX tells its learners;
Moodle's custom certificate plugin can e-mail the PDF): the number, where to download it and
the public page that verifies it. Sent through the outbox once per certificate, in the
holder's language."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from lms.core.i18n import language_of
from lms.core.models import User
from lms.core.services import mail
from lms.courses.models import Enrolment
from lms.db import db


def on_certificate_issued(cert, actor=None, **_kw) -> list[User]:
    enrolment = db.session.get(Enrolment, cert.enrolment_id)
    user, cohort = enrolment.user, enrolment.cohort
    if not mail.wants(user, "portfolio:certificate"):
        return []
    with force_locale(language_of(user)):
        subject = _("Your certificate %(number)s", number=cert.number)
        body = mail.letter(
            user, _("Your certificate of the course \"%(title)s\" (%(cohort)s) is issued: number %(number)s.",
                    title=cert.programme_title, cohort=cohort.code, number=cert.number),
            _("Download it: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/my-certificate")) + "\n"
            + _("Anyone can check it here: %(url)s", url=mail.link(f"/verify/{cert.number}")))
    return [user] if mail.queue(f"portfolio:certificate:{cert.id}", user.email, subject, body) else []
