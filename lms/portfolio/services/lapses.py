"""Telling the issuers when a certificate no longer stands on its results. A regrade, a corrected
defense or corrected attendance can leave a holder short of the rules after the certificate went
out; nothing revokes it by rule (a person decides, and the reason is public), but the people who
issue certificates must hear of it, not find it by chance on the cohort's certificates page."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from lms.core.i18n import language_of
from lms.core.permissions import Context, capability_holders
from lms.core.services import clock, mail
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.portfolio.models import Certificate
from lms.portfolio.services.certificates import lapsed, reason_text

#: how long after its issue a certificate is watched: results are corrected in the weeks after a
#: course, rarely later, and each cohort watched costs its whole eligibility check each morning
WATCH_DAYS = 365


def watched_cohorts() -> list[Cohort]:
    """The cohorts holding a valid certificate issued within WATCH_DAYS."""
    since = clock.now() - timedelta(days=WATCH_DAYS)
    ids = select(Enrolment.cohort_id).join(Certificate, Certificate.enrolment_id == Enrolment.id).where(
        Certificate.revoked_at.is_(None), Certificate.issued_at >= since)
    return list(db.session.scalars(select(Cohort).where(Cohort.id.in_(ids)).order_by(Cohort.code)))


def notify_issuers() -> list[str]:
    """One message to each person who may issue a cohort's certificates, listing the cohort's
    lapsed ones with the reasons, in their language. The outbox key carries the set of lapsed
    certificates and reasons, so the daily run tells of a lapse once and of a new one again.
    Returns the keys queued; the caller commits and delivers."""
    queued = []
    for cohort in watched_cohorts():
        rows = lapsed(cohort)
        if not rows:
            continue
        digest = hashlib.sha256("|".join(
            f"{row.certificate.number}:{','.join(sorted(r.code for r in row.reasons))}" for row in rows
        ).encode()).hexdigest()[:16]
        for issuer in capability_holders("portfolio:issue_certificates", Context("cohort", cohort.id)):
            if not mail.wants(issuer, "portfolio:lapsed"):
                continue
            with force_locale(language_of(issuer)):
                subject = ngettext("%(cohort)s: %(num)s certificate no longer meets the rules",
                                   "%(cohort)s: %(num)s certificates no longer meet the rules", len(rows),
                                   cohort=cohort.code)
                lines = [f"- {row.certificate.number}, {row.enrolment.user.full_name}: "
                         + "; ".join(reason_text(r) for r in row.reasons) for row in rows]
                body = mail.letter(
                    issuer,
                    _("A result, a defense or the hours changed after these certificates were issued, and their"
                      " holders no longer meet the rules:"),
                    "\n".join(lines),
                    _("Check each change; revoke the certificate if the change stands (the reason is shown on the"
                      " public verification page). Nothing is revoked by itself: %(url)s",
                      url=mail.link(f"/cohorts/{cohort.code}/certificates#lapsed")))
            key = f"portfolio:lapsed:{cohort.id}:{issuer.id}:{digest}"
            if mail.queue(key, issuer.email, subject, body) is not None:
                queued.append(key)
    return queued
