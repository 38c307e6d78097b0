"""xAPI 1.0.3 statements of what participants do, queued in the transaction of the event that
tells it and sent in batches to the centre's Learning Record Store (a regional education
office's analytics, a research partner): Moodle's logstore_xapi, Open edX's
event-routing-backends.

- Who: the account, never the person: {"homePage": LMS_PUBLIC_URL, "name": "<account id>"},
  so the LRS holds no name or e-mail (and an erasure here leaves nothing there to name them).
- What: a finished test (passed or failed, with its score, once its essays are graded: the
  event waits for them; completed for a survey), a completed course, a certificate earned, a webinar attended, a
  post-course consultation attended, a defense's result (when the panel releases it to the
  participants, not when it decides; each member of a mini-group's).
- Once: a statement's id is a UUID5 of the site and the event (the attempt, the session and
  the participant...), so an event told twice is one statement, here and in the LRS.
- Delivery: `send_due` posts up to BATCH statements per request; a refusal or an unreachable
  LRS keeps them, with the error, and tries again later, waiting longer each time (up to
  MAX_WAIT); nothing is dropped."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from lms.core.services import clock
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.xapi.models import XapiStatement

VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "attended": "http://adlnet.gov/expapi/verbs/attended",
    "earned": "http://id.tincanapi.com/verb/earned",
}
ACTIVITY_TYPES = {
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "course": "http://adlnet.gov/expapi/activities/course",
    "meeting": "http://adlnet.gov/expapi/activities/meeting",
    "badge": "http://activitystrea.ms/schema/1.0/badge",
    "performance": "http://adlnet.gov/expapi/activities/performance",
}
#: statements per request to the LRS
BATCH = 50
#: the longest wait between two tries of a statement the LRS did not take
MAX_WAIT = timedelta(hours=6)
TIMEOUT = 30
_NAMESPACE = uuid.UUID("6f1d3c52-8d7e-4b0a-9a55-3f0c2e7b9d14")
LANGUAGE = {"kk": "kk-KZ", "ru": "ru-RU", "en": "en-US"}


def endpoint() -> str | None:
    """The LRS's address; None sends nothing (as for work done outside an application, where no
    configuration says where to send)."""
    return (current_app.config.get("XAPI_ENDPOINT") or None) if has_app_context() else None


def _site() -> str:
    return current_app.config["LMS"].public_url.rstrip("/")


def _at(value: datetime | None) -> str:
    return (value or clock.now()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def queue(key: str, user_id: int, verb: str, path: str, name: str, kind: str, *, result: dict | None = None,
          parent: str | None = None, at: datetime | None = None, language: str = "kk") -> bool:
    """Queue one statement in the caller's transaction; False when the site sends none (no
    LMS_XAPI_ENDPOINT) or this event was queued before."""
    if not endpoint():
        return False
    site = _site()
    statement_id = str(uuid.uuid5(_NAMESPACE, f"{site}|{key}"))
    if db.session.scalar(select(XapiStatement.id).where(XapiStatement.statement_id == statement_id)):
        return False
    body = {
        "id": statement_id,
        "actor": {"objectType": "Agent", "account": {"homePage": site, "name": str(user_id)}},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": site + path,
                   "definition": {"type": ACTIVITY_TYPES[kind], "name": {LANGUAGE.get(language, "kk-KZ"): name}}},
        "context": {"platform": "Ustaz", "language": LANGUAGE.get(language, "kk-KZ")},
        "timestamp": _at(at),
    }
    if parent:
        body["context"]["contextActivities"] = {"parent": [{"objectType": "Activity", "id": site + parent}]}
    if result:
        body["result"] = result
    db.session.add(XapiStatement(statement_id=statement_id, user_id=user_id, verb=verb, body=body))
    return True


# --- what happens, as the events tell it -----------------------------------------------------------

def on_attempt_finished(attempt, **_kw) -> None:
    if not endpoint():  # no LRS: not a statement more per event
        return
    test = attempt.test
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    code = enrolment.cohort.code
    if test.kind.endswith("survey") or attempt.percent is None:
        verb, result = "completed", {"completion": True}
    else:
        verb = "passed" if attempt.passed else "failed"
        result = {"completion": True, "success": bool(attempt.passed),
                  "score": {"scaled": round(attempt.percent / 100, 4), "raw": attempt.score, "min": 0,
                            "max": attempt.max_score}}
    queue(f"attempt:{attempt.id}", enrolment.user_id, verb, f"/cohorts/{code}/tests/{test.id}", test.title,
          "assessment", result=result, parent=f"/cohorts/{code}", at=attempt.finished_at,
          language=_language(enrolment.cohort))


def _language(cohort) -> str:
    return "ru" if cohort.language == "ru" else "kk"


def _course_name(cohort) -> str:
    programme = cohort.programme
    title = programme.title_ru if cohort.language == "ru" and programme.title_ru else programme.title_kk
    return f"{cohort.code}: {title}"


def on_enrolment_completed(enrolment, **_kw) -> None:
    if not endpoint():  # no LRS: not a statement more per event
        return
    cohort = enrolment.cohort
    queue(f"enrolment:{enrolment.id}:completed", enrolment.user_id, "completed", f"/cohorts/{cohort.code}",
          _course_name(cohort), "course", result={"completion": True}, at=enrolment.completed_at,
          language=_language(cohort))


def on_certificate_issued(certificate, **_kw) -> None:
    if not endpoint():  # no LRS: not a statement more per event
        return
    enrolment = certificate.enrolment
    queue(f"certificate:{certificate.id}", enrolment.user_id, "earned", f"/verify/{certificate.number}",
          certificate.programme_title, "badge", parent=f"/cohorts/{enrolment.cohort.code}",
          at=certificate.issued_at, language=certificate.language)


def on_attendance_changed(session, enrolment_ids=(), **_kw) -> None:
    if not endpoint():  # no LRS: not a statement more per event
        return
    from lms.courses.services import attendance

    wanted = set(enrolment_ids)
    code = session.cohort.code
    for enrolment, mark in attendance.session_sheet(session):
        if enrolment.id in wanted and mark is not None and mark.status in ("present", "late"):
            queue(f"attendance:{session.id}:{enrolment.id}", enrolment.user_id, "attended",
                  f"/cohorts/{code}/schedule#session-{session.id}",
                  f"{code}: {session.kind} {session.starts_at:%Y-%m-%d %H:%M} UTC", "meeting",
                  parent=f"/cohorts/{code}", at=session.starts_at, language=_language(session.cohort))


def on_defense_released(defense, **_kw) -> None:
    """Told at release, not when the panel decides: the participants read it from then on."""
    if not endpoint():
        return
    from lms.courses.services import cohorts

    session = defense.session
    cohort, most = db.session.get(Cohort, session.cohort_id), float(session.rubric.max_points)
    defenders = [e for e in cohorts.enrolments(cohort) if e.id == defense.enrolment_id
                 or (defense.enrolment_id is None and e.mini_group is not None and e.mini_group == defense.mini_group)]
    result = {"completion": True, "success": bool(defense.passed),
              "score": {"scaled": round(defense.points / most, 4) if most else 0, "raw": defense.points, "min": 0,
                        "max": most}}
    for enrolment in defenders:
        queue(f"defense:{defense.id}:{enrolment.id}", enrolment.user_id, "passed" if defense.passed else "failed",
              f"/cohorts/{cohort.code}/defenses/{session.id}#defense-{defense.id}", session.title, "performance",
              result=result, parent=f"/cohorts/{cohort.code}", at=defense.released_at, language=_language(cohort))


def on_contact_logged(contact, plan=None, **_kw) -> None:
    if not endpoint():  # no LRS: not a statement more per event
        return
    enrolment = db.session.get(Enrolment, plan.enrolment_id)
    code = enrolment.cohort.code
    queue(f"contact:{contact.id}", enrolment.user_id, "attended", f"/cohorts/{code}/support/plans/{plan.id}"
          f"#contact-{contact.id}", "Кеңес / Консультация", "meeting", parent=f"/cohorts/{code}",
          at=contact.happened_at)


# --- delivery ----------------------------------------------------------------------------------

@dataclass
class Delivery:
    sent: int = 0
    #: statements the LRS did not take this time (they wait for the next try)
    failed: int = 0
    error: str | None = None


def _post(url: str, statements: list[dict]) -> tuple[int | None, str | None]:
    """POST one batch: (the LRS's HTTP status or None when unreachable, what went wrong or None)."""
    request = urllib.request.Request(url.rstrip("/") + "/statements", method="POST",
                                     data=json.dumps(statements, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json",
                                              "X-Experience-API-Version": "1.0.3"})
    config = current_app.config
    if config.get("XAPI_USERNAME"):
        pair = f"{config['XAPI_USERNAME']}:{config.get('XAPI_PASSWORD') or ''}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"the LRS answered {exc.code} {exc.reason}: {exc.read()[:300].decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"the LRS could not be reached: {getattr(exc, 'reason', exc)}"


def _deliver(url: str, bodies: list[dict]) -> str | None:
    """None once the LRS holds every statement of the batch. A 409 Conflict says it holds a
    statement of that id already: ours (an id follows from its event, and a body never changes),
    sent by a try whose answer was lost. A batch answered 409 is sent again one by one."""
    status, error = _post(url, bodies)
    if error is None or (status == 409 and len(bodies) == 1):
        return None
    if status == 409:
        return next((e for e in (_deliver(url, [b]) for b in bodies) if e is not None), None)
    return error


def _wait(tries: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(tries, 12)), MAX_WAIT)


def send_due(now: datetime | None = None, limit: int = 5000) -> Delivery:
    """Send what waits and is due, oldest first; stops at the first batch the LRS does not take
    (the rest would meet the same LRS). Each batch is committed on its own."""
    done = Delivery()
    url = endpoint()
    if not url:
        return done
    now = now or clock.now()
    due = (XapiStatement.sent_at.is_(None)
           & (XapiStatement.next_try_at.is_(None) | (XapiStatement.next_try_at <= now)))
    ids = list(db.session.scalars(select(XapiStatement.id).where(due).order_by(XapiStatement.id).limit(limit)))
    db.session.commit()  # no transaction stays open while the LRS answers
    for start in range(0, len(ids), BATCH):
        rows = list(db.session.scalars(select(XapiStatement).where(XapiStatement.id.in_(ids[start:start + BATCH]))
                                       .order_by(XapiStatement.id)))
        bodies = [r.body for r in rows]
        db.session.commit()
        error = _deliver(url, bodies)
        for r in rows:
            if error is None:
                r.sent_at, r.last_error, r.next_try_at = now, None, None
            else:
                r.tries += 1
                r.last_error, r.next_try_at = error, now + _wait(r.tries)
        db.session.commit()
        if error is not None:
            done.failed, done.error = len(ids) - done.sent, error
            break
        done.sent += len(rows)
    return done


@dataclass
class Status:
    waiting: int
    sent: int
    #: statements tried and refused at least once, not yet sent
    failing: int
    last_error: str | None
    oldest_waiting: datetime | None


def status() -> Status:
    waiting = XapiStatement.sent_at.is_(None)
    row = db.session.execute(select(
        func.count().filter(waiting), func.count().filter(~waiting),
        func.count().filter(waiting & (XapiStatement.tries > 0)),
        func.min(XapiStatement.created_at).filter(waiting))).one()
    last = db.session.scalar(select(XapiStatement.last_error).where(waiting, XapiStatement.last_error.is_not(None))
                             .order_by(XapiStatement.id.desc()).limit(1))
    return Status(row[0], row[1], row[2], last, row[3])


def send_task() -> str:
    """The scheduled task's run: what `send_due` did, in a line."""
    return said(send_due()) if endpoint() else "no LMS_XAPI_ENDPOINT: nothing to send"


def said(done: Delivery) -> str:
    report = f"sent {done.sent} statement(s)"
    if done.error:
        report += f"; {done.failed} wait for the next try: {done.error}"
    return report
