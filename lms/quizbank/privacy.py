"""What the test banks hold about a person: their attempts with the questions as shown and their
own responses, marks only as far as the test's review options show them today, the terms a
trainer granted them, their answers to surveys that were not anonymous; as a trainer, the item
versions they wrote and the marks they gave (by attempt slot id: no participant's name)."""
from __future__ import annotations

from sqlalchemy import and_, false, select, update
from sqlalchemy.orm import aliased, contains_eager, selectinload

from lms.core.models import AuditEntry, User
from lms.core.services.erasure import ERASED_TEXT
from lms.core.services.privacy import PersonalData
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.quizbank.models import (Attempt, AttemptSlot, Bank, ExtraAttempts, Item, ItemVersion, SurveyAnswer,
                                 SurveyQuestion, SurveyResponse, Test)
from lms.quizbank.qtypes import qtype
from lms.quizbank.services import attempts as attempt_service

#: what an item version says; a revision copies what it does not change from the version before
WRITTEN = ("title", "text", "general_feedback", "data")
#: the audited acts by which a trainer sets the points of one question of an attempt
MARKS = ("essay_graded", "essay_regraded", "score_overridden", "score_restored")
#: result_view's keys the attempt's own row already carries, or that go to the answers section
_VIEW_SKIPPED = ("attempt_id", "status", "finished_at", "answers")


def export(user: User) -> PersonalData:
    data = PersonalData()
    _attempts(user, data)
    data.records["personal_terms"] = _personal_terms(user)
    data.records["survey_answers"] = _survey_answers(user)
    data.records["item_versions_written"] = _versions_written(user)
    data.records["marks_given"] = _marks_given(user)
    return data


def _attempts(user: User, data: PersonalData) -> None:
    """Marks, bands, per-question points and feedback come only through `result_view`, the
    rule of the result page, asked now: what the review options withhold today (until the test
    closes, or for good) stays out, and an attempt in progress shows no mark. Correct answers
    are never in it: the participant's review does not show them."""
    rows = db.session.execute(
        select(Attempt, Cohort.code).join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(Attempt.test).join(Cohort, Cohort.id == Test.cohort_id)
        .where(Enrolment.user_id == user.id)
        .options(contains_eager(Attempt.test),
                 selectinload(Attempt.slots).joinedload(AttemptSlot.version).joinedload(ItemVersion.item))
        .order_by(Attempt.started_at, Attempt.id)).all()
    attempts, answers = [], []
    for attempt, cohort_code in rows:
        test = attempt.test
        view = attempt_service.result_view(attempt, language=user.language or "kk", topics=True)
        attempts.append({
            "attempt_id": attempt.id, "test": test.title, "kind": test.kind, "cohort": cohort_code,
            "number": attempt.number, "status": attempt.status, "started_at": attempt.started_at,
            "deadline_at": attempt.deadline_at, "finished_at": attempt.finished_at,
            **{k: v for k, v in view.items() if k not in _VIEW_SKIPPED}})
        reviews = {r["slot"]: r for r in view.get("answers", [])}
        for s in attempt.slots:
            version, kind = s.version, qtype(s.version.qtype)
            item_data = version.data or {}
            answers.append({
                "attempt_id": attempt.id, "test": test.title, "slot": s.slot, "item_code": version.item.code,
                "question": version.text,
                # as the page showed it, in its order: nothing that tells the key
                "shown": kind.public_view(item_data, s.option_order or []),
                "response": kind.summary(item_data, s.answer) if s.answer is not None else None,
                "saved_at": s.answered_at, "flagged": s.flagged,
                **{k: v for k, v in reviews.get(s.slot, {}).items() if k != "slot"}})
    data.records["attempts"] = attempts
    data.records["answers"] = answers


def _personal_terms(user: User) -> list[dict]:
    """What a trainer granted them beyond the test's own terms (the audit log knows who: the
    participant is not told, so neither is the export)."""
    return [
        {"test": title, "cohort": code, "extra_attempts": x.count, "extra_minutes": x.minutes,
         "opens_at": x.opens_at, "closes_at": x.closes_at, "changed_at": x.updated_at}
        for x, title, code in db.session.execute(
            select(ExtraAttempts, Test.title, Cohort.code).join(Enrolment, Enrolment.id == ExtraAttempts.enrolment_id)
            .join(Test, Test.id == ExtraAttempts.test_id).join(Cohort, Cohort.id == Test.cohort_id)
            .where(Enrolment.user_id == user.id).order_by(ExtraAttempts.id))]


def _survey_answers(user: User) -> list[dict]:
    """Answers to surveys that were not anonymous. An anonymous survey's response still keeps
    its enrolment (services/survey.py), but anonymity promises no tie between a person and an
    answer outside the support plan: an export, which an administrator may also take on the
    person's behalf, would be one, so nothing of it is written (not even that they answered)."""
    return [
        {"survey": title, "kind": test_kind, "cohort": code, "submitted_at": submitted_at, "position": position,
         "question": dict(question or {}), "question_kind": question_kind, "likert": likert, "text": text}
        for title, test_kind, code, submitted_at, position, question, question_kind, likert, text in db.session.execute(
            select(Test.title, Test.kind, Cohort.code, SurveyResponse.submitted_at, SurveyQuestion.position,
                   SurveyQuestion.text, SurveyQuestion.kind, SurveyAnswer.likert, SurveyAnswer.text)
            .select_from(SurveyAnswer).join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
            .join(Test, Test.id == SurveyResponse.test_id).join(Cohort, Cohort.id == Test.cohort_id)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(Enrolment.user_id == user.id, Test.anonymous == false())
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id, SurveyQuestion.position))]


def _versions_written(user: User) -> list[dict]:
    """The item versions they saved. A revision copies from the version before what it leaves
    alone, which another may have written (the key of a question whose title they mended): a
    field comes only where this version set it, otherwise it is named in `unchanged`."""
    before = aliased(ItemVersion)
    out = []
    for version, item_code, bank_code, previous in db.session.execute(
            select(ItemVersion, Item.code, Bank.code, before).join(Item, Item.id == ItemVersion.item_id)
            .join(Bank, Bank.id == Item.bank_id)
            .outerjoin(before, and_(before.item_id == ItemVersion.item_id, before.number == ItemVersion.number - 1))
            .where(ItemVersion.created_by_id == user.id).order_by(ItemVersion.created_at, ItemVersion.id)):
        mine = [f for f in WRITTEN if previous is None or getattr(previous, f) != getattr(version, f)]
        out.append({"bank": bank_code, "item_code": item_code, "version": version.number, "qtype": version.qtype,
                    "language": version.language, "created_at": version.created_at,
                    **{f: getattr(version, f) if f in mine else None for f in WRITTEN},
                    "unchanged": [f for f in WRITTEN if f not in mine]})
    return out


def _marks_given(user: User) -> list[dict]:
    """The points they set on questions of attempts, from the audit log (a slot keeps no
    grader). By attempt slot and attempt id, with the test and cohort: the participant's name
    and their written reason stay out (a reason may well name the participant)."""
    entries = db.session.execute(
        select(AuditEntry.at, AuditEntry.action, AuditEntry.object_id, AuditEntry.details)
        .where(AuditEntry.actor_id == user.id, AuditEntry.object_type == "AttemptSlot",
               AuditEntry.action.in_(MARKS)).order_by(AuditEntry.id)).all()
    ids = {int(object_id) for _at, _action, object_id, _details in entries if (object_id or "").isdigit()}
    where = {}
    if ids:
        where = {row[0]: tuple(row[1:]) for row in db.session.execute(
            select(AttemptSlot.id, AttemptSlot.attempt_id, AttemptSlot.slot, Test.title, Cohort.code)
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id).join(Test, Test.id == Attempt.test_id)
            .join(Cohort, Cohort.id == Test.cohort_id).where(AttemptSlot.id.in_(ids)))}
    out = []
    for at, action, object_id, details in entries:
        slot_id = int(object_id) if (object_id or "").isdigit() else None
        attempt_id, slot, title, code = where.get(slot_id, ((details or {}).get("attempt_id"), None, None, None))
        out.append({"at": at, "action": action, "attempt_slot_id": slot_id, "attempt_id": attempt_id,
                    "test": title, "cohort": code, "question": slot, "mark": (details or {}).get("new")})
    return out


def erase(erasure) -> None:
    """Attempts stay whole, the answers as given with their marks: results and certificates
    rest on them (a regrade must still find what was answered). A survey's Likert values stay
    in the cohort's summary; what the person wrote in its open questions goes."""

    responses = select(SurveyResponse.id).join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id) \
        .where(Enrolment.user_id == erasure.user.id)
    erasure.count("quizbank.survey_texts", db.session.execute(
        update(SurveyAnswer).where(SurveyAnswer.response_id.in_(responses), SurveyAnswer.text.is_not(None),
               SurveyAnswer.text != "")
        .values(text=ERASED_TEXT).execution_options(synchronize_session=False)).rowcount)
