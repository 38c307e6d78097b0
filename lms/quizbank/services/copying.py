"""A cohort's tests set up again for a later cohort of the same programme (Moodle's import of
a course's activities into another course, its dates shifted by the course start). A
qualification centre runs the same programme for cohort after cohort; without this a trainer
enters a dozen tests by hand each time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from lms.core.services import audit
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort
from lms.db import db
from lms.quizbank.models import SURVEY_KINDS, Test
from lms.quizbank.services import survey
from lms.quizbank.services import tests as test_service

#: what a copy takes of each test (times are moved; status, attempts and grants are not taken)
COPIED = ("kind", "title", "module_number", "blueprint", "time_limit_minutes", "grace_seconds", "attempts_allowed",
          "pass_percent", "bands", "review_options")


@dataclass
class CopyReport:
    made: list[Test] = field(default_factory=list)
    #: titles of the tests the target cohort already had (the same kind, module and title)
    skipped: list[str] = field(default_factory=list)
    #: how far the times moved: the days between the two cohorts' start dates
    shift: timedelta = timedelta(0)


def _key(test: Test) -> tuple:
    return test.kind, test.module_number, test.title.strip().casefold()


def copy_tests(source: Cohort, target: Cohort, actor) -> CopyReport:
    """Every test of `source` as a draft of `target`: kind, title, module, blueprint, limits,
    pass mark, bands and review options, and a survey's questions and anonymity. The
    opening and closing times move by the days between the cohorts' start dates. A test the
    target already has is left out, so copying twice adds nothing. Attempts, grants and
    answers stay with their own cohort. The trainer reviews the drafts and publishes them."""
    if source.id == target.id:
        raise ServiceError(_l("choose another cohort to copy the tests from"), field="source")
    if source.programme.code != target.programme.code:
        raise ServiceError(_l("cohort %(source)s follows %(theirs)s; %(target)s follows %(ours)s: tests draw from"
                              " their programme's bank", source=source.code, theirs=source.programme.code,
                              target=target.code, ours=target.programme.code), field="source")
    report = CopyReport(shift=timedelta(days=(target.start_date - source.start_date).days))
    have = {_key(t) for t in test_service.tests_of(target, include_drafts=True)}
    for old in test_service.tests_of(source, include_drafts=True):
        if _key(old) in have:
            report.skipped.append(old.title)
            continue
        fields = {name: getattr(old, name) for name in COPIED}
        fields.update({name: getattr(old, name) + report.shift for name in ("opens_at", "closes_at")
                       if getattr(old, name) is not None})
        new = test_service.create_test(target, fields, actor)
        if old.kind in SURVEY_KINDS:
            new.anonymous = old.anonymous
            questions = [{"kind": q.kind, "text": q.text, "required": q.required} for q in survey.questions_of(old)]
            if questions:
                survey.set_questions(new, questions, actor)
        have.add(_key(new))
        report.made.append(new)
    db.session.flush()
    audit.record(actor, "tests_copied", target, f"{source.code} → {target.code}: {len(report.made)} test(s)",
                 source=source.code, made=[t.id for t in report.made], skipped=report.skipped,
                 shift_days=report.shift.days)
    return report
