"""Reminders of support activities (`lms postcourse remind`, daily from cron or RQ): one e-mail
per (activity, kind) to the graduate, in their language (Kazakh by default), when an
activity falls due within DUE_SOON_DAYS (14) ("due_soon") and again once it is overdue ("overdue"); and
to the cohort's supporting staff (the model's `supported_by`: trainer or curator, else the
other) one summary of the reminders a run queued. The outbox keys make a second run, or a
run on the next day, queue nothing already queued."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lms.core.i18n import language_of
from lms.core.models import User
from lms.core.services import clock, mail
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.db import db
from lms.postcourse.models import PlanActivity, SupportPlan
from lms.postcourse.services import models as model_service
from lms.postcourse.services import plans as plan_service

KINDS = ("due_soon", "overdue")


@dataclass
class RemindReport:
    graduates: int = 0
    staff: int = 0
    keys: list[str] = field(default_factory=list)


def _plan_url(cohort: Cohort) -> str:
    return mail.link(f"/cohorts/{cohort.code}/me/support")


def due_rows(today: date):
    """(activity, plan, enrolment, user, cohort) of planned activities due by today + 7 days,
    in plans still open, of graduates still counted (not withdrawn)."""
    horizon = today + timedelta(days=plan_service.DUE_SOON_DAYS)
    return db.session.execute(
        select(PlanActivity, SupportPlan, Enrolment, User, Cohort)
        .join(SupportPlan, SupportPlan.id == PlanActivity.plan_id)
        .join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .join(User, User.id == Enrolment.user_id).join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(PlanActivity.status == "planned", PlanActivity.due_on <= horizon,
               SupportPlan.status != "closed", Enrolment.status == "completed")
        .order_by(Cohort.id, User.sort_key, PlanActivity.due_on, PlanActivity.id)).all()


def _graduate_message(kind: str, activity: PlanActivity, user: User, cohort: Cohort, model) -> tuple[str, str]:
    lang = language_of(user)
    with force_locale(lang):
        title = plan_service.activity_label(activity, model, lang)
        if kind == "overdue":
            subject = _("Support plan: \"%(title)s\" was due on %(date)s", title=title, date=activity.due_on)
            lead = _("An activity of your support plan was due on %(date)s and is not marked done yet.",
                     date=activity.due_on)
        else:
            subject = _("Support plan: \"%(title)s\" is due on %(date)s", title=title, date=activity.due_on)
            lead = _("An activity of your support plan is due on %(date)s.", date=activity.due_on)
        what = [_("Activity: %(title)s", title=title)]
        completion = plan_service.completion_label(activity, model, lang)
        if completion:
            what.append(_("What completes it: %(form)s", form=completion))
        body = mail.letter(user, lead, "\n".join(what), _("Your plan: %(url)s", url=_plan_url(cohort)),
                           _("If it is done already, tell your trainer or curator, or add the evidence to your plan."))
    return subject, body


def _staff_message(user: User, cohort: Cohort, rows: list, models: dict) -> tuple[str, str]:
    lang = language_of(user)
    with force_locale(lang):
        subject = _("Support of %(cohort)s: %(count)s reminders sent", cohort=cohort.code, count=len(rows))
        lines = []
        for kind, activity, graduate in rows:
            label = _("overdue since %(date)s", date=activity.due_on) if kind == "overdue" \
                else _("due on %(date)s", date=activity.due_on)
            lines.append(f"- {graduate.full_name}: {plan_service.activity_label(activity, models[activity.plan_id], lang)}"
                         f" ({label})")
        body = mail.letter(user, _("Today's reminders to the graduates of %(cohort)s:", cohort=cohort.code),
                           "\n".join(lines))
    return subject, body


def supporters(cohort: Cohort, model) -> list[User]:
    """Who supports the cohort's graduates: the model's role (trainer or curator), else the other."""
    first = model.supported_by if model else "trainer"
    other = "curator" if first == "trainer" else "trainer"
    return cohort_service.staff(cohort, first) or cohort_service.staff(cohort, other)


def remind(today: date | None = None) -> RemindReport:
    """Queue the reminders due today (nothing twice); the caller delivers and commits."""
    today = today or clock.today()
    report = RemindReport()
    per_cohort: dict[int, tuple[Cohort, list]] = {}
    models: dict[int, object] = {}
    for activity, plan, _enrolment, user, cohort in due_rows(today):
        kind = "overdue" if activity.due_on < today else "due_soon"
        if plan.id not in models:
            try:
                models[plan.id] = model_service.by_code(plan.model_code)
            except ServiceError:
                models[plan.id] = None
        model = models[plan.id]
        key = f"postcourse:activity:{activity.id}:{kind}"
        if not mail.wants(user, "postcourse:reminder"):
            continue  # the plan page still shows it due
        subject, body = _graduate_message(kind, activity, user, cohort, model)
        if mail.queue(key, user.email, subject, body) is None:
            continue
        report.graduates += 1
        report.keys.append(key)
        per_cohort.setdefault(cohort.id, (cohort, []))[1].append((kind, activity, user, plan))
    for cohort, rows in per_cohort.values():
        model = models.get(rows[0][3].id)
        digest = hashlib.sha256("|".join(sorted(f"{a.id}:{k}" for k, a, _u, _p in rows)).encode()).hexdigest()[:16]
        for staff_user in supporters(cohort, model):
            if not mail.wants(staff_user, "postcourse:summary"):
                continue  # the cohort's support dashboard lists them
            subject, body = _staff_message(staff_user, cohort, [(k, a, u) for k, a, u, _p in rows], models)
            key = f"postcourse:summary:{cohort.id}:{staff_user.id}:{digest}"
            if mail.queue(key, staff_user.email, subject, body) is not None:
                report.staff += 1
                report.keys.append(key)
    return report
