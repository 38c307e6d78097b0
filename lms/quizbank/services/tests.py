"""A cohort's tests: kind, blueprint, when it opens and closes, time limit, attempts
allowed, pass mark, grade bands and what the participant sees afterwards.

Publishing (the check that every participant can get a complete draw) lives in
`blueprints.publish`; this module creates, changes, lists and closes tests.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import or_, select, update

from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError, about, joined
from lms.courses.models import Cohort
from lms.db import db, utcnow
from lms.quizbank.models import TEST_KINDS, Attempt, Bank, Blueprint, ExtraAttempts, Test

#: seed 004 (LDR-DT), lines 275-283: certificate at 50 %, four bands; highest first
SEED_004_BANDS = [
    {"min": 90, "label": {"kk": "өте жақсы", "ru": "отлично", "en": "excellent"}},
    {"min": 70, "label": {"kk": "жақсы", "ru": "хорошо", "en": "good"}},
    {"min": 50, "label": {"kk": "қанағаттанарлық", "ru": "удовлетворительно", "en": "satisfactory"}},
    {"min": 0, "label": {"kk": "қанағаттанарлықсыз", "ru": "неудовлетворительно", "en": "unsatisfactory"}},
]
#: pass mark and bands a new test takes from its programme when the form leaves them empty
PROGRAMME_DEFAULTS = {"LDR-DT": {"pass_percent": 50.0, "bands": SEED_004_BANDS}}
DEFAULT_REVIEW = {"score": True, "band": True, "answers": False, "when": "immediately"}
REVIEW_WHEN = ("immediately", "after_close")
TEST_STATES = ("draft", "upcoming", "open", "closed")
FIELDS = ("kind", "title", "module_number", "blueprint", "opens_at", "closes_at", "time_limit_minutes",
          "grace_seconds", "attempts_allowed", "pass_percent", "bands", "review_options")
#: what may still change once participants can start: times, limits and what they see
PUBLISHED_EDITABLE = {"title", "closes_at", "time_limit_minutes", "grace_seconds", "attempts_allowed",
                      "review_options", "opens_at"}
#: how a refusal names a field: in English the API's own names (as the API documents them),
#: in Kazakh and Russian the words of the test form
FIELD_NAMES = {
    "kind": _lp("test field", "kind"), "title": _lp("test field", "title"),
    "module_number": _lp("test field", "module_number"), "blueprint": _lp("test field", "blueprint"),
    "blueprint_id": _lp("test field", "blueprint"), "opens_at": _lp("test field", "opens_at"),
    "closes_at": _lp("test field", "closes_at"), "time_limit_minutes": _lp("test field", "time_limit_minutes"),
    "grace_seconds": _lp("test field", "grace_seconds"), "attempts_allowed": _lp("test field", "attempts_allowed"),
    "pass_percent": _lp("test field", "pass_percent"), "bands": _lp("test field", "bands"),
    "review_options": _lp("test field", "review_options"),
}


def _problem(field: str, message):
    """(field, "<field's name>: <message>") for a refusal's list, translated when shown."""
    return field, about(FIELD_NAMES.get(field, field), message)


def get_test(test_id: int) -> Test:
    test = db.session.get(Test, test_id)
    if test is None:
        raise NotFound(_l("no test %(id)s", id=test_id))
    return test


def tests_of(cohort: Cohort, *, include_drafts: bool = False) -> list[Test]:
    """In the order a cohort meets them: by opening time, then kind and module."""
    stmt = select(Test).where(Test.cohort_id == cohort.id)
    if not include_drafts:
        stmt = stmt.where(Test.status != "draft")
    tests = list(db.session.scalars(stmt))
    kind_order = {k: n for n, k in enumerate(TEST_KINDS)}
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(tests, key=lambda t: (t.opens_at or far, kind_order.get(t.kind, 9), t.module_number or 0, t.id))


def state(test: Test, now: datetime | None = None) -> str:
    """draft, upcoming (published, not open yet), open, or closed (closed by hand or past closing)."""
    now = now or utcnow()
    if test.status == "draft":
        return "draft"
    if test.status == "closed" or (test.closes_at is not None and now >= test.closes_at):
        return "closed"
    if test.opens_at is not None and now < test.opens_at:
        return "upcoming"
    return "open"


def band_label(band: Mapping | None, language: str = "kk") -> str | None:
    """A band's label in `language`, falling back to Kazakh, then to any."""
    if not band:
        return None
    label = band.get("label")
    if isinstance(label, str):
        return label
    if isinstance(label, Mapping):
        return label.get(language) or label.get("kk") or next((v for v in label.values() if v), None)
    return None


def band_for(test: Test, percent: float | None) -> Mapping | None:
    """The first band (highest first) whose minimum the percent reaches."""
    if percent is None:
        return None
    for band in test.bands or []:
        if percent >= float(band.get("min", 0)) - 1e-9:
            return band
    return None


# --- validation ---------------------------------------------------------------------------

def _int(value, field: str, errors: list, *, low: int, high: int | None = None, optional: bool = False):
    if value is None or value == "":
        if optional:
            return None
        errors.append(_problem(field, _l("required")))
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(_problem(field, _l("must be a whole number (got %(value)s)", value=repr(value))))
        return None
    if value < low or (high is not None and value > high):
        errors.append(_problem(field, _l("must be between %(low)s and %(high)s (got %(value)s)", low=low, high=high,
                                         value=value) if high is not None else
                               _l("must be %(low)s or more (got %(value)s)", low=low, value=value)))
        return None
    return value


def _percent(value, field: str, errors: list, where=None):
    """A percent; `where` names it in a refusal when it is not a field of its own (a band's minimum)."""
    def problem(message):
        return (field, about(where, message)) if where is not None else _problem(field, message)

    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            errors.append(problem(_l("must be a number from 0 to 100 (got %(value)s)", value=repr(value))))
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors.append(problem(_l("must be a number from 0 to 100 (got %(value)s)", value=repr(value))))
        return None
    if not 0 <= value <= 100:
        errors.append(problem(_l("must be from 0 to 100 (got %(value)s)", value=f"{value:g}")))
        return None
    return float(value)


def _datetime(value, field: str, errors: list):
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        errors.append(_problem(field, _l("expected a date and time (got %(value)s)", value=repr(value))))
        return None
    if value.tzinfo is None:
        errors.append(_problem(field, _l("the time has no time zone")))
        return None
    return value


def _bands(value, errors: list) -> list:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        errors.append(_problem("bands", _l("expected a list of {min, label}, highest first")))
        return []
    clean, last = [], None
    for k, band in enumerate(value, start=1):
        def problem(message, k=k):
            return "bands", about(_l("%(bands)s, band %(number)s", bands=FIELD_NAMES["bands"], number=k), message)

        if not isinstance(band, Mapping):
            errors.append(problem(_l("expected {min, label}")))
            continue
        sub: list = []
        low = _percent(band.get("min"), "bands", sub,
                       where=_l("%(bands)s, band %(number)s, min", bands=FIELD_NAMES["bands"], number=k))
        label = band.get("label")
        if isinstance(label, str):
            label = {"kk": label.strip()} if label.strip() else None
        elif isinstance(label, Mapping):
            label = {str(lang): str(text).strip() for lang, text in label.items()
                     if lang in ("kk", "ru", "en") and text and str(text).strip()} or None
        else:
            label = None
        if label is None:
            sub.append(problem(_l("a label is required (kk, ru or en)")))
        elif any(len(text) > 100 for text in label.values()):
            sub.append(problem(_l("a label takes at most 100 characters")))
        if sub:
            errors += [("bands", m) for _f, m in sub]
            continue
        if last is not None and low >= last:
            errors.append(problem(_l("min %(low)s must be below the band before it (%(last)s); list the highest"
                                     " band first", low=f"{low:g}", last=f"{last:g}")))
            continue
        last = low
        clean.append({"min": low, "label": label})
    return clean


def _review(value, errors: list) -> dict:
    if value is None or value == "":
        return dict(DEFAULT_REVIEW)
    if not isinstance(value, Mapping):
        errors.append(_problem("review_options", _l("expected {score, band, answers, when}")))
        return dict(DEFAULT_REVIEW)
    out = dict(DEFAULT_REVIEW)
    for key, v in value.items():
        if key in ("score", "band", "answers"):
            if not isinstance(v, bool):
                errors.append(("review_options", about(_l("%(review)s, %(option)s", review=FIELD_NAMES["review_options"],
                                                          option=key),
                                                       _l("true or false (got %(value)s)", value=repr(v)))))
            out[key] = bool(v)
        elif key == "when":
            if v not in REVIEW_WHEN:
                errors.append(("review_options", about(_l("%(review)s, %(option)s", review=FIELD_NAMES["review_options"],
                                                          option="when"),
                                                       _l("one of %(choices)s (got %(value)s)",
                                                          choices=", ".join(REVIEW_WHEN), value=repr(v)))))
            out[key] = v
        else:
            errors.append(_problem("review_options", _l("unknown option %(option)s (score, band, answers, when)",
                                                        option=repr(key))))
    return out


def _resolve_blueprint(value, cohort: Cohort, errors: list) -> Blueprint | None:
    if value is None or value == "":
        return None
    blueprint = value if isinstance(value, Blueprint) else None
    if blueprint is None:
        blueprint_id = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdigit():
            blueprint_id = int(value)
        blueprint = db.session.get(Blueprint, blueprint_id) if blueprint_id is not None else None
        if blueprint is None:
            errors.append(_problem("blueprint_id", _l("no blueprint %(value)s", value=repr(value))))
            return None
    bank_programme = db.session.scalar(select(Bank.programme_code).where(Bank.id == blueprint.bank_id))
    if bank_programme != cohort.programme.code:
        errors.append(_problem("blueprint_id", _l("%(blueprint)s draws from a %(bank)s bank; cohort %(cohort)s follows"
                                                  " %(programme)s", blueprint=blueprint.code, bank=bank_programme,
                                                  cohort=cohort.code, programme=cohort.programme.code)))
        return None
    return blueprint


def _clean(cohort: Cohort, fields: Mapping, current: Test | None) -> dict:
    """Every field checked; one refusal lists every problem (field of the first)."""
    errors: list[tuple[str, str]] = []
    unknown = sorted(set(fields) - set(FIELDS) - {"blueprint_id"})
    if unknown:
        errors.append((unknown[0], _l("unknown field(s): %(fields)s", fields=", ".join(unknown))))

    def given(name, default=None):
        if name in fields:
            return fields[name]
        if name == "blueprint" and "blueprint_id" in fields:
            return fields["blueprint_id"]
        return getattr(current, name) if current is not None else default

    defaults = PROGRAMME_DEFAULTS.get(cohort.programme.code, {})
    out: dict = {}
    kind = given("kind")
    if kind not in TEST_KINDS:
        errors.append(_problem("kind", _l("one of %(choices)s (got %(value)s)", choices=", ".join(TEST_KINDS),
                                          value=repr(kind))))
    out["kind"] = kind
    title = str(given("title") or "").strip()
    if not title:
        errors.append(_problem("title", _l("required")))
    elif len(title) > 300:
        errors.append(_problem("title", _l("at most %(count)s characters", count=300)))
    out["title"] = title
    module_number = _int(given("module_number"), "module_number", errors, low=1, optional=True)
    if kind == "module" and module_number is None and not any(f == "module_number" for f, _m in errors):
        errors.append(_problem("module_number", _l("a module test names its module")))
    if module_number is not None and module_number not in {m.number for m in cohort.programme.modules}:
        errors.append(_problem("module_number", _l("%(programme)s has no module %(number)s",
                                                   programme=cohort.programme.code, number=module_number)))
    out["module_number"] = module_number
    out["blueprint"] = _resolve_blueprint(given("blueprint"), cohort, errors)
    out["opens_at"] = _datetime(given("opens_at"), "opens_at", errors)
    out["closes_at"] = _datetime(given("closes_at"), "closes_at", errors)
    if out["opens_at"] and out["closes_at"] and out["closes_at"] <= out["opens_at"]:
        errors.append(_problem("closes_at", _l("the test closes before it opens")))
    out["time_limit_minutes"] = _int(given("time_limit_minutes"), "time_limit_minutes", errors, low=1,
                                     high=24 * 60, optional=True)
    out["grace_seconds"] = _int(given("grace_seconds", 60), "grace_seconds", errors, low=0, high=3600)
    out["attempts_allowed"] = _int(given("attempts_allowed", 1), "attempts_allowed", errors, low=1, high=100)
    pass_percent = given("pass_percent")
    if pass_percent is None or pass_percent == "":
        pass_percent = defaults.get("pass_percent", 50.0)
    out["pass_percent"] = _percent(pass_percent, "pass_percent", errors)
    bands = given("bands")
    if bands is None or bands == "":
        bands = defaults.get("bands", [])
    out["bands"] = _bands(bands, errors)
    out["review_options"] = _review(given("review_options"), errors)
    if errors:
        raise ServiceError.listing(errors)
    return out


def create_test(cohort: Cohort, fields: Mapping, actor) -> Test:
    """A draft test of `cohort`. Pass mark and bands default to the programme's (seed 004:
    50 %, 90/70/50); review options default to showing score and band at once."""
    clean = _clean(cohort, fields, None)
    blueprint = clean.pop("blueprint")
    test = Test(cohort_id=cohort.id, blueprint_id=blueprint.id if blueprint else None, status="draft", **clean)
    db.session.add(test)
    db.session.flush()
    audit.record(actor, "test_created", test, f"{cohort.code}: {test.kind} {test.title}")
    return test


def update_test(test: Test, fields: Mapping, actor) -> Test:
    """Change a test. Once published only times, limits, title and review options may change
    (what was drawn and how it is scored stay fixed); a closed test does not change."""
    if test.status == "closed":
        raise Conflict(_l("test %(title)s is closed", title=repr(test.title)), field="status")
    cohort = db.session.get(Cohort, test.cohort_id)
    if test.status == "published":
        frozen = sorted(f for f in fields if f not in PUBLISHED_EDITABLE
                        and _differs(test, f, fields[f]))
        if frozen:
            raise Conflict(_l("test %(title)s is published: %(fields)s can no longer change", title=repr(test.title),
                              fields=joined((FIELD_NAMES.get(f, f) for f in frozen), ", ")), field=frozen[0])
    clean = _clean(cohort, fields, test)
    blueprint = clean.pop("blueprint")
    old = {k: _jsonable(getattr(test, k)) for k in clean}
    for key, value in clean.items():
        setattr(test, key, value)
    test.blueprint = blueprint
    db.session.flush()
    if "closes_at" in changed_keys(old, clean):
        _clamp_deadlines(test)
    changed = {k: _jsonable(clean[k]) for k in changed_keys(old, clean)}
    if changed:
        audit.record(actor, "test_updated", test, f"{test.kind} {test.title}: {', '.join(sorted(changed))}",
                     old={k: old[k] for k in changed}, new=changed)
    return test


def changed_keys(old: Mapping, clean: Mapping) -> list[str]:
    return [k for k, v in clean.items() if old.get(k) != _jsonable(v)]


def _clamp_deadlines(test: Test, *, everyone: bool = False) -> None:
    """Attempts in progress stop counting answers when the test closes, even if their
    time limit runs later (their deadline was fixed at start from the old closing time).
    A participant granted a later closing time keeps it, unless the test is closed by hand
    (`everyone`)."""
    if test.closes_at is None:
        return
    stmt = update(Attempt).where(Attempt.test_id == test.id, Attempt.status == "in_progress",
                                 or_(Attempt.deadline_at.is_(None), Attempt.deadline_at > test.closes_at))
    if not everyone:
        stmt = stmt.where(Attempt.enrolment_id.not_in(select(ExtraAttempts.enrolment_id).where(
            ExtraAttempts.test_id == test.id, ExtraAttempts.closes_at > test.closes_at)))
    db.session.execute(stmt.values(deadline_at=test.closes_at).execution_options(synchronize_session="fetch"))


def _differs(test: Test, field: str, value) -> bool:
    if field in ("blueprint", "blueprint_id"):
        current = test.blueprint_id
        value = value.id if isinstance(value, Blueprint) else value
        return str(value or "") != str(current or "")
    return value != getattr(test, field, None)


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def close_test(test: Test, actor) -> Test:
    """No new attempts nor answers after this; attempts in progress are finished by the sweep."""
    if test.status != "published":
        raise Conflict(_l("test %(title)s is a draft; only a published test can be closed", title=repr(test.title))
                       if test.status == "draft" else
                       _l("test %(title)s is closed; only a published test can be closed", title=repr(test.title)),
                       field="status")
    now = utcnow()
    test.status = "closed"
    if test.closes_at is None or test.closes_at > now:
        test.closes_at = now
    db.session.flush()
    _clamp_deadlines(test, everyone=True)
    audit.record(actor, "test_closed", test, f"{test.kind} {test.title}")
    return test
