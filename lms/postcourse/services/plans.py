"""Support plans: one per graduate, opened when the enrolment completes, for the year after it.

The year is dated from the completion date: month 1 runs from the completion date to the day
before the same date a month later, month 2 the month after that, and so on; the plan ends
on the last day of month 12. A menu entry's `due_month` m is due on the last day of month m,
and a stage's window runs from the first day of its first month to the last day of its last.

The organisational stage starts with needs drawn from the graduate's results (best module-test
percents, weakest first, and the final test) and their exit-survey answers (low agreement and
the open answers about support), and with the model's required activities. Staff and the
graduate then agree activities from the menu; the graduate accepts. While a plan is a draft,
edits are drafting; once agreed, every edit is an adjustment. Opening, agreeing, accepting,
each adjustment and closing each keep a PlanVersion (a JSON snapshot); `version` is the
number of the newest one. Dates come from `clock`, so tests can walk a cohort through a year.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.core.i18n import localized
from lms.core.models import User
from lms.core.services import audit, clock
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.postcourse.models import ACTIVITY_STATUSES, PlanActivity, PlanVersion, SupportPlan
from lms.postcourse.services import models as model_service
from lms.postcourse.services.models import MenuItem, SupportModel
from lms.signals import support_activity_done, support_plan_opened, support_plan_versioned

#: a plan's stages as people read them (forms, pages, refusals)
STAGE_LABELS = {"organisational": _l("Organisational stage"), "implementation": _l("Implementation stage"),
                "reflection": _l("Reflection stage")}

YEAR_MONTHS = 12
#: how many of the weakest modules the needs name
WEAKEST = 3
#: Likert answers at or below this (1 strongly disagree .. 5 strongly agree) are needs
LOW_LIKERT = 2
#: an open survey question is about support needs when its text names support (any language)
SUPPORT_WORDS = ("support", "қолдау", "сүйемелдеу", "поддержк", "сопровожден")
#: "due soon": due within this many days (the grid, the plan page and the reminders share it)
DUE_SOON_DAYS = 14
MAX_NOTE = 5000


# --- dates --------------------------------------------------------------------------------------

add_months = clock.add_months


def month_start(starts_on: date, month: int) -> date:
    return add_months(starts_on, month - 1)


def month_end(starts_on: date, month: int) -> date:
    return add_months(starts_on, month) - timedelta(days=1)


def plan_month(plan: SupportPlan, day: date | None = None) -> int:
    """Which month of the plan `day` (today) falls in: 1-12, 0 before it starts, 13 after it ends."""
    day = day or clock.today()
    if day < plan.starts_on:
        return 0
    for m in range(1, YEAR_MONTHS + 1):
        if day <= month_end(plan.starts_on, m):
            return m
    return YEAR_MONTHS + 1


def stage_window(plan: SupportPlan, stage) -> tuple[date, date]:
    """First and last day of a model stage in this plan."""
    return month_start(plan.starts_on, stage.first_month), month_end(plan.starts_on, stage.last_month)


def due_for(plan: SupportPlan, item: MenuItem) -> date:
    return month_end(plan.starts_on, item.due_month)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def completion_date(enrolment: Enrolment) -> date:
    tz = enrolment.cohort.timezone or "Asia/Almaty"
    if enrolment.completed_at is None:
        return clock.today(tz)
    return local_date(enrolment.completed_at, tz)


def activity_state(activity: PlanActivity, today: date | None = None) -> str:
    """done, cancelled, overdue (planned, past due), due_soon (due within DUE_SOON_DAYS) or planned."""
    if activity.status != "planned":
        return activity.status
    today = today or clock.today()
    if activity.due_on < today:
        return "overdue"
    if activity.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "planned"


# --- loading --------------------------------------------------------------------------------------

def model_of(plan: SupportPlan) -> SupportModel:
    return model_service.by_code(plan.model_code)


def get_plan(plan_id: int) -> SupportPlan:
    plan = db.session.get(SupportPlan, plan_id)
    if plan is None:
        raise NotFound(_l("no support plan %(id)s", id=plan_id))
    return plan


def plan_in(cohort: Cohort, plan_id: int) -> SupportPlan:
    """The plan, only if it belongs to a graduate of `cohort` (NotFound otherwise, as if missing)."""
    plan = db.session.scalar(
        select(SupportPlan).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .where(SupportPlan.id == plan_id, Enrolment.cohort_id == cohort.id))
    if plan is None:
        raise NotFound(_l("no support plan %(id)s in cohort %(cohort)s", id=plan_id, cohort=cohort.code))
    return plan


def plan_of(enrolment: Enrolment) -> SupportPlan | None:
    return db.session.scalar(select(SupportPlan).where(SupportPlan.enrolment_id == enrolment.id))


def enrolment_of(plan: SupportPlan) -> Enrolment:
    return db.session.get(Enrolment, plan.enrolment_id)


def plans_of(cohort: Cohort) -> list[SupportPlan]:
    """A cohort's plans with their activities, by graduate name (two statements)."""
    return list(db.session.scalars(
        select(SupportPlan).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .join(User, User.id == Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
        .options(selectinload(SupportPlan.activities)).order_by(User.sort_key, SupportPlan.id)))


def graduate_names(plans: list[SupportPlan]) -> dict[int, str]:
    """{plan id: the graduate's full name}, in one statement."""
    if not plans:
        return {}
    return dict(db.session.execute(
        select(SupportPlan.id, User.full_name).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .join(User, User.id == Enrolment.user_id).where(SupportPlan.id.in_([p.id for p in plans]))).all())


def owner_id(plan: SupportPlan) -> int:
    return db.session.scalar(select(Enrolment.user_id).where(Enrolment.id == plan.enrolment_id))


# --- needs ---------------------------------------------------------------------------------------

def _is_support_question(question: Mapping) -> bool:
    text = " ".join(str(v) for v in (question or {}).values()).casefold()
    return any(word in text for word in SUPPORT_WORDS)


def needs_of(enrolment: Enrolment, module_results: Mapping | None = None,
             final_results: Mapping | None = None, final_topics: Mapping | None = None) -> dict:
    """What the organisational stage starts from. `module_results` / `final_results` are
    quizbank's `best_results` for the cohort, `final_topics` its `weak_topics` of the final test
    (each read here when not given).

    {"weakest": [{"module": 3, "percent": 40.0}, ...] (best module-test percents, weakest
    first, at most 3), "final": {"percent": 72.5, "passed": true} or null, "weak_topics":
    [{"topic": "2.3", "percent": 0.0}, ...] (the final test's topics below its pass mark, weakest
    first, at most 3; where a programme has no module tests, the only finer measure), "survey": [{"question":
    {kk, ru, en}, "likert": 2} or {"question": ..., "text": "..."}, each with "anonymous"],
    "note": ""}. Answers of an anonymous survey are the graduate's to see, not their trainers'."""
    from lms.quizbank.services import results as result_service
    from lms.quizbank.services import survey as survey_service
    from lms.quizbank.services import tests as test_service

    if module_results is None:
        module_results = result_service.best_results(enrolment.cohort_id, "module")
    if final_results is None:
        final_results = result_service.best_results(enrolment.cohort_id, "final")
    if final_topics is None:  # this graduate's attempt only, not the cohort's, as each completes
        final_topics = result_service.weak_topics(enrolment.cohort_id, "final", WEAKEST,
                                                  best={enrolment.id: final_results.get(enrolment.id) or {}})
    modules = sorted(((number, r.percent) for number, r in (module_results.get(enrolment.id) or {}).items()
                      if number is not None), key=lambda mp: (mp[1], mp[0]))
    weakest = [{"module": number, "percent": round(percent, 1)} for number, percent in modules[:WEAKEST]]
    finals = list((final_results.get(enrolment.id) or {}).values())
    best_final = max(finals, key=lambda r: r.percent) if finals else None
    final = {"percent": round(best_final.percent, 1), "passed": best_final.passed} if best_final else None
    survey: list[dict] = []
    anonymous: dict[int, bool] = {}
    for row in survey_service.answers_of(enrolment):
        test_id = row["test_id"]
        if test_id not in anonymous:
            anonymous[test_id] = bool(test_service.get_test(test_id).anonymous)
        if row["kind"] == "likert" and row["likert"] is not None and row["likert"] <= LOW_LIKERT:
            survey.append({"question": row["question"], "likert": row["likert"], "anonymous": anonymous[test_id]})
        elif row["kind"] == "open" and (row["text"] or "").strip() and _is_support_question(row["question"]):
            survey.append({"question": row["question"], "text": row["text"].strip(), "anonymous": anonymous[test_id]})
    return {"weakest": weakest, "final": final, "weak_topics": list(final_topics.get(enrolment.id) or []),
            "survey": survey, "note": ""}


def competences_of(plan: SupportPlan, language: str):
    """The graduate's competences at the diagnostic, the module tests and the final of their
    course, as their own results show them (quizbank's `competence_profile`: what the review
    options let the graduate see, no more); None where the programme has no framework."""
    from lms.quizbank.services import results as result_service

    enrolment = enrolment_of(plan)
    cohort = db.session.get(Cohort, enrolment.cohort_id)
    return result_service.competence_profile(cohort, result_service.my_tests(cohort, enrolment), language)


def needs_for(plan: SupportPlan, *, staff: bool) -> dict:
    """The needs as the reader may see them: staff never see answers of an anonymous survey."""
    return needs_seen(plan.needs, staff=staff)


def needs_seen(needs: dict | None, *, staff: bool) -> dict:
    """`needs_for` of a plan's needs or of a version's copy of them."""
    needs = dict(needs or {})
    if staff:
        needs["survey"] = [s for s in needs.get("survey") or [] if not s.get("anonymous")]
    return needs


# --- opening -------------------------------------------------------------------------------------

def _activity_from(plan: SupportPlan, item: MenuItem, due_on: date | None = None, title: str | None = None,
                   note: str | None = None) -> PlanActivity:
    return PlanActivity(plan=plan, activity_type=item.code, title=(title or item.title["kk"])[:300],
                        stage=item.stage, due_on=due_on or due_for(plan, item), status="planned",
                        completion_form=(item.completion_form or {}).get("kk", "")[:300] or None, note=note)


def open_plan(enrolment: Enrolment, actor=None, *, model: SupportModel | None = None,
              module_results: Mapping | None = None, final_results: Mapping | None = None,
              final_topics: Mapping | None = None) -> SupportPlan:
    """The graduate's plan, opened now if it is not open yet (idempotent). The enrolment must
    be completed; the programme must have a support model (NotFound otherwise)."""
    existing = plan_of(enrolment)
    if existing is not None:
        return existing
    if enrolment.status != "completed":
        raise Conflict(_l("the enrolment is %(status)s: a plan opens when the course is completed",
                          status=enrolment.status), field="enrolment")
    cohort = enrolment.cohort
    model = model or model_service.model_for(cohort.programme.code)
    starts = completion_date(enrolment)
    plan = SupportPlan(enrolment_id=enrolment.id, model_code=model.code, starts_on=starts,
                       ends_on=month_end(starts, YEAR_MONTHS), status="draft", version=1,
                       needs=needs_of(enrolment, module_results, final_results, final_topics),
                       created_at=clock.now())
    for item in model.required:
        _activity_from(plan, item)  # joins plan.activities through its back-reference
    try:
        with db.session.begin_nested():  # the same completion handled twice at once
            db.session.add(plan)
            db.session.flush()
    except IntegrityError:
        again = plan_of(enrolment)
        if again is None:
            raise
        return again
    _keep_version(plan, "opened", actor, None, number=1)
    audit.record(actor, "support_plan_opened", plan, f"{enrolment.user.email} in {cohort.code}: {model.code}"
                 f" from {plan.starts_on}")
    support_plan_opened.send(plan, actor=actor)
    return plan


def open_plans(cohort: Cohort, actor=None) -> list[SupportPlan]:
    """Plans for the cohort's completed enrolments that have none (those completed before the
    plugin was installed, or whose completion found no support model); returns the new ones."""
    model = model_service.model_for(cohort.programme.code)
    have = set(db.session.scalars(
        select(SupportPlan.enrolment_id).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id)))
    todo = [e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.status == "completed")
        .options(selectinload(Enrolment.user)).order_by(Enrolment.id)) if e.id not in have]
    if not todo:
        return []
    from lms.quizbank.services import results as result_service

    modules = result_service.best_results(cohort.id, "module")
    finals = result_service.best_results(cohort.id, "final")
    topics = result_service.weak_topics(cohort.id, "final", WEAKEST, best=finals)
    return [open_plan(e, actor, model=model, module_results=modules, final_results=finals, final_topics=topics)
            for e in todo]


def on_enrolment_completed(enrolment: Enrolment, actor=None, **_kw) -> None:
    """Listener of `enrolment_completed`: open the graduate's plan. A programme without a support
    model gets none; a broken model file does not stop the completion (`lms postcourse open`
    catches up once the file is fixed)."""
    try:
        open_plan(enrolment, actor)
    except NotFound:
        return
    except ServiceError as exc:
        current_app.logger.warning("no support plan opened for enrolment %s: %s", enrolment.id, exc.message)


# --- versions ------------------------------------------------------------------------------------

def snapshot(plan: SupportPlan, action: str) -> dict:
    return {
        "action": action, "status": plan.status, "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(), "needs": plan.needs,
        "activities": [{"id": a.id, "type": a.activity_type, "title": a.title, "stage": a.stage,
                        "due_on": a.due_on.isoformat(), "status": a.status,
                        "done_on": a.done_on.isoformat() if a.done_on else None, "note": a.note}
                       for a in sorted(plan.activities, key=lambda a: (a.due_on, a.id or 0))],
    }


def _keep_version(plan: SupportPlan, action: str, actor, note: str | None, *, number: int | None = None) -> PlanVersion:
    if number is None:
        plan.version = (plan.version or 1) + 1
        number = plan.version
    db.session.flush()
    version = PlanVersion(plan_id=plan.id, number=number, snapshot=snapshot(plan, action), note=note or None,
                          changed_by_id=getattr(actor, "id", None), changed_at=clock.now())
    db.session.add(version)
    db.session.flush()
    if action != "opened":
        support_plan_versioned.send(plan, action=action, version=version, actor=actor)
    return version


def versions(plan: SupportPlan) -> list[PlanVersion]:
    """Newest first."""
    return list(db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                                   .order_by(PlanVersion.number.desc())))


def _note(value, field: str = "note") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ServiceError(_l("expected a text"), field=field)
    value = value.strip()
    if len(value) > MAX_NOTE:
        raise ServiceError(_l("at most %(count)s characters (got %(length)s)", count=MAX_NOTE, length=len(value)),
                           field=field)
    return value or None


def _open_for_edits(plan: SupportPlan) -> None:
    if plan.status == "closed":
        raise Conflict(_l("the plan is closed: its year is over"), field="plan")


def agree(plan: SupportPlan, actor, note: str | None = None, needs_note: str | None = None) -> PlanVersion:
    """Staff and the graduate agreed the draft. The organisational stage's required activities
    are the agreement itself (needs analysed, programme agreed): they are done today."""
    _open_for_edits(plan)
    if plan.status != "draft":
        raise Conflict(_l("the plan is agreed already; change its activities to adjust it"), field="plan")
    if not plan.activities:
        raise ServiceError(_l("agree at least one activity from the menu first"), field="activities")
    note = _note(note)
    if needs_note is not None:
        plan.needs = {**(plan.needs or {}), "note": _note(needs_note, "needs_note") or ""}
    today = clock.today()
    model = model_of(plan)
    for a in plan.activities:
        item = model.find(a.activity_type)
        if a.status == "planned" and a.stage == "organisational" and item is not None and item.required:
            _set_done(a, today, actor, "agreed")
    plan.status = "agreed"
    version = _keep_version(plan, "agreed", actor, note)
    audit.record(actor, "support_plan_agreed", plan, f"version {version.number}")
    return version


def accept(plan: SupportPlan, actor) -> PlanVersion:
    """Only the graduate accepts their own plan, once agreed (and again after each adjustment)."""
    _open_for_edits(plan)
    if getattr(actor, "id", None) != owner_id(plan):
        raise ServiceError(_l("only the graduate accepts their own plan"), field="plan")
    if plan.status == "draft":
        raise Conflict(_l("the plan is still a draft: it is accepted once it is agreed"), field="plan")
    if plan.status == "accepted":
        raise Conflict(_l("you have accepted this version already"), field="plan")
    plan.status, plan.accepted_at = "accepted", clock.now()
    version = _keep_version(plan, "accepted", actor, None)
    audit.record(actor, "support_plan_accepted", plan, f"version {version.number}")
    return version


def close_plan(plan: SupportPlan, actor, note: str | None = None) -> PlanVersion | None:
    """The year is over for this graduate (the reflection event, or by hand). Idempotent."""
    if plan.status == "closed":
        return None
    note = _note(note)
    plan.status = "closed"
    version = _keep_version(plan, "closed", actor, note)
    audit.record(actor, "support_plan_closed", plan, f"version {version.number}")
    return version


# --- activities ------------------------------------------------------------------------------------

def parse_date(value, field: str, *, from_datetime: bool = False) -> date:
    """A date from a form, the API or the CLI (a date or ISO text), refused naming `field`;
    a datetime is taken as its date only where `from_datetime` says a moment will do."""
    if isinstance(value, datetime):
        if from_datetime:
            return value.date()
        raise ServiceError(_l("expected a date (YYYY-MM-DD)"), field=field)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ServiceError(_l("expected a date (YYYY-MM-DD), got %(value)s", value=repr(value)), field=field)


def _check_due(plan: SupportPlan, model: SupportModel, item: MenuItem, due_on: date) -> None:
    if not plan.starts_on <= due_on <= plan.ends_on:
        raise ServiceError(_l("%(day)s is outside the plan's year (%(start)s to %(end)s)", day=due_on,
                              start=plan.starts_on, end=plan.ends_on), field="due_on")
    first, last = stage_window(plan, model.stage(item.stage))
    if not first <= due_on <= last:
        raise ServiceError(_l("%(code)s belongs to the %(stage)s (%(first)s to %(last)s); %(due)s is outside it",
                              code=item.code, stage=STAGE_LABELS.get(item.stage, item.stage), first=first, last=last,
                              due=due_on), field="due_on")


def _title(value, item: MenuItem) -> str:
    title = (value or "").strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise ServiceError(_l("expected a text"), field="title")
    if len(title) > 300:
        raise ServiceError(_l("at most %(count)s characters (got %(length)s)", count=300, length=len(title)),
                           field="title")
    return title or item.title["kk"]


def _add(plan: SupportPlan, model: SupportModel, fields: Mapping) -> PlanActivity:
    code = fields.get("activity_type")
    item = model.find(code) if isinstance(code, str) else None
    if item is None:
        raise ServiceError(_l("%(code)s is not on the %(model)s menu (choose from %(menu)s)", code=repr(code),
                              model=model.code, menu=", ".join(m.code for m in model.menu)), field="activity_type")
    due_on = parse_date(fields["due_on"], "due_on") if fields.get("due_on") else due_for(plan, item)
    _check_due(plan, model, item, due_on)
    activity = _activity_from(plan, item, due_on, _title(fields.get("title"), item), _note(fields.get("note")))
    db.session.add(activity)
    db.session.flush()
    return activity


def _change(plan: SupportPlan, model: SupportModel, activity: PlanActivity, fields: Mapping) -> list[str]:
    if activity.plan_id != plan.id:
        raise NotFound(_l("no activity %(id)s in this plan", id=activity.id))
    unknown = sorted(set(fields) - {"due_on", "title", "note"})
    if unknown:
        raise ServiceError(_l("only due_on, title and note change (got %(fields)s); to change the kind, remove the"
                              " activity and add another", fields=", ".join(unknown)), field=unknown[0])
    item = model.find(activity.activity_type)
    changed = []
    if "due_on" in fields:
        due_on = parse_date(fields["due_on"], "due_on")
        if item is not None:
            _check_due(plan, model, item, due_on)
        if due_on != activity.due_on:
            activity.due_on = due_on
            changed.append("due_on")
    if "title" in fields and item is not None:
        title = _title(fields["title"], item)
        if title != activity.title:
            activity.title = title
            changed.append("title")
    if "note" in fields:
        note = _note(fields["note"])
        if note != activity.note:
            activity.note = note
            changed.append("note")
    return changed


def _remove(plan: SupportPlan, model: SupportModel, activity: PlanActivity) -> None:
    if activity.plan_id != plan.id:
        raise NotFound(_l("no activity %(id)s in this plan", id=activity.id))
    item = model.find(activity.activity_type)
    if item is not None and item.required and sum(
            1 for a in plan.activities if a.activity_type == item.code) <= 1:
        raise Conflict(_l("%(code)s is required by the %(model)s support model; it stays in the plan", code=item.code,
                          model=model.code), field="activity_id")
    if activity.status == "done":
        raise Conflict(_l("a done activity stays in the plan (cancel it instead if it was a mistake)"),
                       field="activity_id")
    plan.activities.remove(activity)
    db.session.delete(activity)
    db.session.flush()


def _after_edit(plan: SupportPlan, actor, note: str | None, summary: str) -> PlanVersion | None:
    """Drafting keeps no version; once agreed, an edit is an adjustment the graduate accepts anew."""
    audit.record(actor, "support_plan_edited", plan, summary)
    if plan.status == "draft":
        return None
    plan.status, plan.accepted_at = "agreed", None
    return _keep_version(plan, "adjusted", actor, note or summary)


def activity_in(plan: SupportPlan, activity_id) -> PlanActivity:
    activity = next((a for a in plan.activities if a.id == activity_id), None) \
        if isinstance(activity_id, int) and not isinstance(activity_id, bool) else None
    if activity is None:
        raise NotFound(_l("no activity %(id)s in this plan", id=repr(activity_id)), field="activity_id")
    return activity


def add_activity(plan: SupportPlan, fields: Mapping, actor, note: str | None = None) -> PlanActivity:
    """Agree one more activity from the menu: activity_type, due_on (default: the menu's month),
    optional title and note."""
    _open_for_edits(plan)
    activity = _add(plan, model_of(plan), fields)
    _after_edit(plan, actor, _note(note), f"added {activity.activity_type} due {activity.due_on}")
    return activity


def change_activity(plan: SupportPlan, activity: PlanActivity, fields: Mapping, actor,
                    note: str | None = None) -> PlanActivity:
    _open_for_edits(plan)
    changed = _change(plan, model_of(plan), activity, fields)
    if changed:
        _after_edit(plan, actor, _note(note), f"changed {activity.activity_type}: {', '.join(changed)}")
    return activity


def remove_activity(plan: SupportPlan, activity: PlanActivity, actor, note: str | None = None) -> None:
    _open_for_edits(plan)
    code = activity.activity_type
    _remove(plan, model_of(plan), activity)
    _after_edit(plan, actor, _note(note), f"removed {code}")


def adjust(plan: SupportPlan, edits: Mapping, actor, note: str | None = None) -> PlanVersion | None:
    """Several edits as one adjustment (one version): {"add": [fields, ...], "change": {activity id:
    fields}, "remove": [activity id, ...]}; all or nothing (the caller rolls back on refusal)."""
    _open_for_edits(plan)
    model = model_of(plan)
    unknown = sorted(set(edits) - {"add", "change", "remove"})
    if unknown:
        raise ServiceError(_l("unknown edit(s) %(edits)s (add, change, remove)", edits=", ".join(unknown)), field=unknown[0])
    parts = []
    for activity_id in edits.get("remove") or []:
        activity = activity_in(plan, activity_id)
        parts.append(f"removed {activity.activity_type}")
        _remove(plan, model, activity)
    for activity_id, fields in (edits.get("change") or {}).items():
        activity = activity_in(plan, int(activity_id) if str(activity_id).isdigit() else activity_id)
        if _change(plan, model, activity, fields):
            parts.append(f"changed {activity.activity_type}")
    for fields in edits.get("add") or []:
        parts.append(f"added {_add(plan, model, fields).activity_type}")
    if not parts:
        return None
    return _after_edit(plan, actor, _note(note), "; ".join(parts))


def _set_done(activity: PlanActivity, on: date, actor, source: str) -> None:
    activity.status, activity.done_on = "done", on
    db.session.flush()
    support_activity_done.send(activity, actor=actor, source=source)


def complete_activity(activity: PlanActivity, on: date, actor, source: str) -> bool:
    """Mark a planned activity done on `on` because something linked to it happened (a
    consultation, observation, evidence, attendance). Returns whether it changed."""
    if activity.status != "planned":
        return False
    _set_done(activity, on, actor, source)
    audit.record(actor, "support_activity_done", activity, f"{activity.activity_type} on {on} ({source})")
    return True


def mark_activity(plan: SupportPlan, activity: PlanActivity, status: str, actor, on: date | None = None) -> PlanActivity:
    """Done (on a date, today by default), cancelled, or planned again. Not an adjustment: the
    plan stays as agreed."""
    _open_for_edits(plan)
    if activity.plan_id != plan.id:
        raise NotFound(_l("no activity %(id)s in this plan", id=activity.id), field="activity_id")
    if status not in ACTIVITY_STATUSES:
        raise ServiceError(_l("one of %(choices)s (got %(value)s)", choices=", ".join(ACTIVITY_STATUSES), value=repr(status)),
                           field="status")
    today = clock.today()
    if status == "done":
        on = parse_date(on, "done_on") if on else today
        if on > today:
            raise ServiceError(_l("%(day)s is in the future", day=on), field="done_on")
        if on < plan.starts_on:
            raise ServiceError(_l("%(day)s is before the plan started (%(start)s)", day=on, start=plan.starts_on),
                               field="done_on")
        if activity.status == "done" and activity.done_on == on:
            return activity
        old = activity.status
        _set_done(activity, on, actor, "manual")
        audit.record(actor, "support_activity_done", activity, f"{activity.activity_type}: {old} -> done on {on}")
        return activity
    if activity.status == status:
        return activity
    old = activity.status
    activity.status, activity.done_on = status, None
    db.session.flush()
    audit.record(actor, "support_activity_status", activity, f"{activity.activity_type}: {old} -> {status}",
                 old=old, new=status)
    return activity


def activity_label(activity: PlanActivity, model: SupportModel | None, lang: str | None = None) -> str:
    """The menu's title in the reader's language, unless the activity was given its own title."""
    item = model.find(activity.activity_type) if model else None
    if item is not None and activity.title in item.title.values():
        return item.label(lang)
    return activity.title


def completion_label(activity: PlanActivity, model: SupportModel | None, lang: str | None = None) -> str:
    item = model.find(activity.activity_type) if model else None
    if item is not None and item.completion_form:
        return localized(item.completion_form, lang=lang)
    return activity.completion_form or ""


# --- the plan as a page or the API shows it ----------------------------------------------------------

@dataclass
class StageView:
    code: str
    title: str
    first: date
    last: date
    current: bool
    activities: list = field(default_factory=list)


@dataclass
class PlanView:
    plan: SupportPlan
    enrolment: Enrolment
    model: SupportModel
    today: date
    month: int
    needs: dict
    stages: list[StageView]
    contacts: list
    observations: list
    evidence: list
    events: list
    versions: list[PlanVersion]
    #: the graduate's requests for a consultation, waiting ones first
    requests: list

    def state(self, activity: PlanActivity) -> str:
        return activity_state(activity, self.today)


def plan_view(plan: SupportPlan, *, staff: bool, lang: str | None = None) -> PlanView:
    """Everything the plan page and the API show, read in a fixed number of statements."""
    from lms.postcourse.services import activities as activity_service

    model = model_of(plan)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.id == plan.enrolment_id)
                                  .options(selectinload(Enrolment.user), selectinload(Enrolment.cohort)))
    today = clock.today(enrolment.cohort.timezone or "Asia/Almaty")
    month = plan_month(plan, today)
    stages = []
    for s in model.stages:
        first, last = stage_window(plan, s)
        stages.append(StageView(s.code, s.label(lang), first, last, first <= today <= last,
                                [a for a in plan.activities if a.stage == s.code]))
    return PlanView(plan=plan, enrolment=enrolment, model=model, today=today, month=month,
                    needs=needs_for(plan, staff=staff), stages=stages,
                    contacts=activity_service.contacts_of(plan), observations=activity_service.observations_of(plan),
                    requests=activity_service.requests_of(plan),
                    evidence=activity_service.evidence_of(plan), events=activity_service.events_of(plan),
                    versions=versions(plan))


def counts_by_status(cohort: Cohort) -> dict[str, int]:
    rows = db.session.execute(
        select(SupportPlan.status, func.count()).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id).group_by(SupportPlan.status))
    out = {s: 0 for s in ("draft", "agreed", "accepted", "closed")}
    out.update({status: n for status, n in rows})
    return out

