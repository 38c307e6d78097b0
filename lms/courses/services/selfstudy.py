"""Self-study: tasks per topic with planned hours, hand-ins of evidence, the trainer's review.

Every hand-in is a new Submission row and none is ever changed by the participant or
deleted, so nothing a participant saved is lost; the newest hand-in of a task counts
(the ledger credits the task's hours while it is accepted)."""
from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.services import audit, files
from lms.core.services.exports import csv_bytes
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment, PeerReview, SelfStudyTask, Submission, Topic
from lms.courses.services import ledger, marks
from lms.db import db, utcnow
from lms.signals import selfstudy_reviewed

MAX_TEXT = 20_000
MAX_INSTRUCTIONS = 20_000
MAX_LINK = 1000
MAX_TASK_HOURS = 80
#: the most classmates' hand-ins a task asks each participant to comment on
MAX_PEER_REVIEWS = 3
#: a formative task's descriptors: how many, and how long each
MAX_DESCRIPTORS = 12
MAX_DESCRIPTOR = 300
#: how long after the cohort's end a due date may fall (late final work, resits)
DUE_GRACE_DAYS = 180


# --- tasks --------------------------------------------------------------------------------

def _plan(cohort: Cohort) -> tuple[list[ledger.Unit], dict[int, Topic], dict[int, int]]:
    """The ledger units, the programme's topics, and each topic's position in programme order."""
    units, topics = ledger.units(cohort)
    position = {tid: i for i, tid in enumerate(topics)}
    return units, topics, position


def get_task(cohort: Cohort, task_id: int) -> SelfStudyTask:
    """A task of this cohort; any other id (another cohort's task included) is not found."""
    task = db.session.get(SelfStudyTask, task_id)
    if task is None or task.cohort_id != cohort.id:
        raise NotFound(_l("no task %(id)s in cohort %(cohort)s", id=task_id, cohort=cohort.code))
    return task


def create_default_tasks(cohort: Cohort, actor) -> list[SelfStudyTask]:
    """One task per plan unit with self-study hours; in a variative module one task per
    topic, each worth the module's hours divided by how many topics a participant chooses.
    Idempotent: topics that already have a task are skipped. Due dates are spread over the
    cohort's dates in programme order, the last one on the end date."""
    units, topics, position = _plan(cohort)
    with_hours = [u for u in units if u.self_planned > 0]
    have = set(db.session.scalars(select(SelfStudyTask.topic_id).where(SelfStudyTask.cohort_id == cohort.id)))
    span = (cohort.end_date - cohort.start_date).days
    created: list[SelfStudyTask] = []
    for k, unit in enumerate(with_hours):
        due = cohort.start_date + timedelta(days=round(span * (k + 1) / len(with_hours)))
        if unit.topic is not None:
            pairs = [(unit.topic, unit.self_planned)]
        else:
            module_topics = [topics[tid] for tid in unit.topic_ids]
            share = unit.module.choose or len(module_topics) or 1
            pairs = [(t, round(unit.self_planned / share, 2)) for t in module_topics]
        for topic, hours in pairs:
            if topic.id in have:
                continue
            task = SelfStudyTask(cohort=cohort, topic_id=topic.id, title=f"{topic.code}. {topic.title_kk}"[:300],
                                 instructions="", hours=hours, due_date=due,
                                 sort_order=10 * position.get(topic.id, 0))
            db.session.add(task)
            created.append(task)
            have.add(topic.id)
    db.session.flush()
    if created:
        audit.record(actor, "selfstudy_tasks_created", cohort, f"{len(created)} default tasks in {cohort.code}",
                     task_ids=[t.id for t in created])
    return created


def _number(value, name: str, field: str) -> float:
    if value is None or value == "":
        raise ServiceError(_l("%(name)s is required", name=name), field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("%(name)s must be a number", name=name), field=field) from None
    if number != number:  # NaN
        raise ServiceError(_l("%(name)s must be a number", name=name), field=field)
    return number


def save_task(cohort: Cohort, fields: dict, actor, task: SelfStudyTask | None = None) -> SelfStudyTask:
    """Create (task=None) or edit a task. Instructions are Markdown, stored as given and
    sanitized when rendered."""
    if task is not None and task.cohort_id != cohort.id:
        raise NotFound(_l("no task %(id)s in cohort %(cohort)s", id=task.id, cohort=cohort.code))
    title = (fields.get("title") or "").strip()
    if not title:
        raise ServiceError(_l("the task needs a title"), field="title")
    if len(title) > 300:
        raise ServiceError(_l("the title is longer than %(count)s characters", count=300), field="title")
    instructions = fields.get("instructions") or ""
    if len(instructions) > MAX_INSTRUCTIONS:
        raise ServiceError(_l("the instructions are longer than %(count)s characters", count=f"{MAX_INSTRUCTIONS:,}"),
                           field="instructions")
    hours = _number(fields.get("hours"), _l("the hours"), "hours")
    if not 0 <= hours <= MAX_TASK_HOURS:
        raise ServiceError(_l("the hours must be between 0 and %(max)s", max=MAX_TASK_HOURS), field="hours")
    due = fields.get("due_date")
    if due is not None and not isinstance(due, date):
        raise ServiceError(_l("the due date is not a date"), field="due_date")
    latest = cohort.end_date + timedelta(days=DUE_GRACE_DAYS)
    if due is not None and not cohort.start_date <= due <= latest:
        raise ServiceError(_l("the due date must fall between the cohort's start (%(start)s) and %(days)s days after"
                              " its end (%(latest)s)", start=cohort.start_date, days=DUE_GRACE_DAYS, latest=latest),
                           field="due_date")
    descriptors = _descriptors(fields.get("descriptors"))
    self_check = fields.get("self_check") or ""
    if len(self_check) > MAX_INSTRUCTIONS:
        raise ServiceError(_l("the self-check reference is longer than %(count)s characters",
                              count=f"{MAX_INSTRUCTIONS:,}"), field="self_check")
    max_points = marks.check_max(fields.get("max_points"))
    peers = fields.get("peer_reviews") or 0
    if not isinstance(peers, int) or not 0 <= peers <= MAX_PEER_REVIEWS:
        raise ServiceError(_l("each participant comments on 0 to %(most)s classmates' hand-ins", most=MAX_PEER_REVIEWS),
                           field="peer_reviews")
    topic_id = fields.get("topic_id")
    if isinstance(topic_id, Topic):
        topic_id = topic_id.id
    units, topics, position = _plan(cohort)
    topic = topics.get(topic_id) if isinstance(topic_id, int) else None
    if topic is None:
        raise ServiceError(_l("choose a topic of this cohort's programme"), field="topic_id")
    if not any(topic.id in u.topic_ids for u in units):
        raise ServiceError(_l("topic %(topic)s has no hours in the %(format)s plan", topic=topic.code,
                              format=cohort.format_code), field="topic_id")
    if task is not None and task.id is not None:
        _check_marks_fit(task, max_points)
    before = None
    if task is None:
        task = SelfStudyTask(cohort=cohort)
        db.session.add(task)
    else:
        before = {"title": task.title, "hours": task.hours, "topic_id": task.topic_id,
                  "due_date": task.due_date.isoformat() if task.due_date else None, "max_points": task.max_points}
    if task.topic_id != topic.id:
        task.sort_order = 10 * position.get(topic.id, 0) + 5  # after the topic's default task
    task.topic_id, task.title, task.instructions = topic.id, title, instructions
    task.hours, task.due_date, task.peer_reviews = round(hours, 2), due, peers
    task.descriptors, task.self_check, task.max_points = descriptors, self_check, max_points
    db.session.flush()
    if before is None:
        audit.record(actor, "selfstudy_task_created", task, f"{cohort.code}: {title}", hours=task.hours,
                     max_points=max_points)
    else:
        audit.record(actor, "selfstudy_task_changed", task, f"{cohort.code}: {title}", old=before,
                     new={"title": task.title, "hours": task.hours, "topic_id": task.topic_id,
                          "due_date": due.isoformat() if due else None, "max_points": max_points})
    return task


def _check_marks_fit(task: SelfStudyTask, max_points: float | None) -> None:
    """A task's maximum may not drop below a mark already given (nor go, while marks stand), so
    no mark a participant was told becomes more than the whole or silently stops counting."""
    if max_points is not None and task.max_points is not None and max_points >= task.max_points:
        return
    highest = db.session.scalar(select(func.max(Submission.points)).where(Submission.task_id == task.id))
    if highest is None:
        return
    if max_points is None:
        raise ServiceError(_l("hand-ins of this task are marked (up to %(highest)s): clear their marks before taking"
                              " the maximum off", highest=f"{highest:g}"), field="max_points")
    if max_points < highest:
        raise ServiceError(_l("a hand-in of this task is marked %(highest)s: the maximum cannot be less",
                              highest=f"{highest:g}"), field="max_points")


def _descriptors(value) -> list[str]:
    """The descriptors as given: a list, or a text with one per line (blank lines dropped)."""
    if value is None or value == "":
        return []
    lines = value.splitlines() if isinstance(value, str) else value
    if not isinstance(lines, (list, tuple)) or not all(isinstance(line, str) for line in lines):
        raise ServiceError(_l("the descriptors are lines of text"), field="descriptors")
    lines = [" ".join(line.split()) for line in lines]
    lines = [line for line in lines if line]
    if len(lines) > MAX_DESCRIPTORS:
        raise ServiceError(_l("%(got)s descriptors: a task has at most %(most)s", got=len(lines),
                              most=MAX_DESCRIPTORS), field="descriptors")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_DESCRIPTOR:
            raise ServiceError(_l("descriptor %(n)s is longer than %(most)s characters", n=number,
                                  most=MAX_DESCRIPTOR), field="descriptors")
    return lines


def _ticks(chosen, descriptors: list[str], field: str) -> list[bool] | None:
    """Indexes of the descriptors ticked (0-based) as one flag per descriptor; None when the
    hand-in has no descriptors or no ticks were asked for."""
    if chosen is None or not descriptors:
        return None
    if not isinstance(chosen, (list, tuple, set)) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(descriptors) for i in chosen):
        raise ServiceError(_l("tick descriptors of this task only"), field=field)
    return [i in set(chosen) for i in range(len(descriptors))]


def delete_task(task: SelfStudyTask, actor) -> None:
    """Refused once anyone has handed in work for it: their evidence must not disappear."""
    count = db.session.scalar(select(func.count()).select_from(Submission).where(Submission.task_id == task.id))
    if count:
        raise Conflict(_l("task «%(title)s» has %(count)s hand-in(s) and cannot be deleted; edit it instead",
                          title=task.title, count=count))
    audit.record(actor, "selfstudy_task_deleted", task, task.title, cohort_id=task.cohort_id, hours=task.hours)
    db.session.delete(task)
    db.session.flush()


# --- hand-ins -----------------------------------------------------------------------------

def history(task: SelfStudyTask, enrolment: Enrolment) -> list[Submission]:
    """Every hand-in of one participant for one task, newest first."""
    return list(db.session.scalars(
        select(Submission).where(Submission.task_id == task.id, Submission.enrolment_id == enrolment.id)
        .options(selectinload(Submission.file))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())))


def newest(task: SelfStudyTask, enrolment: Enrolment) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.task_id == task.id, Submission.enrolment_id == enrolment.id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1))


def _check_link(link: str) -> str:
    if len(link) > MAX_LINK:
        raise ServiceError(_l("the link is longer than %(most)s characters", most=MAX_LINK), field="link")
    try:
        parts = urlsplit(link)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
            c.isspace() for c in link):
        raise ServiceError(_l("the link must be a web address starting with http:// or https://"), field="link")
    return link


def submit(task: SelfStudyTask, enrolment: Enrolment, text: str | None, link: str | None,
           upload: tuple[bytes, str] | None, actor, self_assessment: str | None = None,
           self_met: list[int] | None = None) -> Submission:
    """A new hand-in (a new row; earlier ones stay), with the participant's own assessment of
    it if they give one, and the task's descriptors their work meets by their own check
    (`self_met`, indexes). All checks run before the file is stored, so a refusal leaves
    nothing behind."""
    if enrolment.cohort_id != task.cohort_id:
        raise NotFound(_l("no task %(id)s in this cohort", id=task.id))
    if enrolment.status == "withdrawn":
        raise ServiceError(_l("you have withdrawn from this cohort and cannot hand in work"))
    text = (text or "").strip()
    link = (link or "").strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("the text is %(got)s characters long; the limit is %(most)s", got=f"{len(text):,}",
                              most=f"{MAX_TEXT:,}"), field="text")
    if link:
        _check_link(link)
    self_assessment = (self_assessment or "").strip() or None
    if self_assessment and len(self_assessment) > MAX_TEXT:
        raise ServiceError(_l("the self-assessment is longer than %(most)s characters", most=f"{MAX_TEXT:,}"),
                           field="self_assessment")
    descriptors = list(task.descriptors or []) or None
    ticks = _ticks(self_met or [], descriptors or [], "self_met")
    if upload is not None and not (upload[0] or (upload[1] or "").strip()):
        upload = None  # an empty file input
    if not text and not link and upload is None:
        raise ServiceError(_l("hand in some evidence: a text, a link or a file"), field="text")
    current = newest(task, enrolment)
    if current is not None and current.status == "accepted":
        raise Conflict(_l("this task is already accepted; there is nothing more to hand in"))
    stored = None
    if upload is not None:
        data, filename = upload
        stored = files.store(data, filename, actor, field="file")
    submission = Submission(task=task, enrolment=enrolment, text=text, link=link or None, file=stored,
                            self_assessment=self_assessment, descriptors=descriptors,
                            self_met=ticks,
                            status="submitted", submitted_at=utcnow())
    db.session.add(submission)
    db.session.flush()
    audit.record(actor, "selfstudy_submitted", submission, f"{task.title}",
                 task_id=task.id, enrolment_id=enrolment.id, file_id=stored.id if stored else None,
                 supersedes=current.id if current is not None else None)
    return submission


# --- peer review --------------------------------------------------------------------------

def reviews_to_write(task: SelfStudyTask, enrolment: Enrolment) -> list[PeerReview]:
    """The classmates' hand-ins this participant comments on, assigned the first time they open
    the task after handing in their own: up to the task's number, each the newest hand-in of a
    classmate still in the cohort, those with the fewest reviewers first and then the latest
    handed in (so every hand-in gets its comments), never one's own. Empty where the task asks none or one has not handed in."""
    if task.peer_reviews <= 0 or enrolment.status == "withdrawn" or newest(task, enrolment) is None:
        return []
    mine = list(db.session.scalars(
        select(PeerReview).join(Submission, Submission.id == PeerReview.submission_id)
        .where(Submission.task_id == task.id, PeerReview.reviewer_id == enrolment.id)
        .options(selectinload(PeerReview.submission).selectinload(Submission.file))
        .order_by(PeerReview.id)))
    wanted = task.peer_reviews - len(mine)
    if wanted > 0:
        seen = {r.submission.enrolment_id for r in mine} | {enrolment.id}
        rn = func.row_number().over(partition_by=Submission.enrolment_id,
                                    order_by=(Submission.submitted_at.desc(), Submission.id.desc())).label("rn")
        latest = (select(Submission.id, Submission.enrolment_id, Submission.submitted_at, rn)
                  .join(Enrolment, Enrolment.id == Submission.enrolment_id)
                  .where(Submission.task_id == task.id, Enrolment.status != "withdrawn").subquery())
        load = (select(Submission.enrolment_id, func.count(PeerReview.id).label("n"))
                .join(PeerReview, PeerReview.submission_id == Submission.id)
                .where(Submission.task_id == task.id).group_by(Submission.enrolment_id).subquery())
        candidates = db.session.execute(
            select(latest.c.id, latest.c.enrolment_id).outerjoin(load, load.c.enrolment_id == latest.c.enrolment_id)
            .where(latest.c.rn == 1, latest.c.enrolment_id.not_in(seen))
            # the least reviewed, then the latest handed in (who had the fewest chances to be picked)
            .order_by(func.coalesce(load.c.n, 0), latest.c.submitted_at.desc(), latest.c.id.desc())
            .limit(wanted)).all()
        for submission_id, _author in candidates:
            review = PeerReview(submission_id=submission_id, reviewer_id=enrolment.id, assigned_at=utcnow())
            db.session.add(review)
            mine.append(review)
        db.session.flush()
    return mine


def get_review(cohort: Cohort, review_id: int) -> PeerReview:
    review = db.session.get(PeerReview, review_id)
    if review is None or review.submission.task.cohort_id != cohort.id:
        raise NotFound(_l("no peer review %(id)s in cohort %(cohort)s", id=review_id, cohort=cohort.code))
    return review


def write_review(review: PeerReview, enrolment: Enrolment, comment: str | None, actor) -> PeerReview:
    """The assigned reviewer's comment; written again, the earlier text goes to the audit log."""
    if review.reviewer_id != enrolment.id:
        raise NotFound(_l("no peer review %(id)s for you", id=review.id))
    if enrolment.status == "withdrawn":
        raise ServiceError(_l("you have withdrawn from this cohort"))
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError(_l("write your comment on the classmate's work"), field="comment")
    if len(comment) > MAX_TEXT:
        raise ServiceError(_l("the comment is longer than %(most)s characters", most=f"{MAX_TEXT:,}"), field="comment")
    audit.record(actor, "selfstudy_peer_reviewed", review, review.submission.task.title,
                 submission_id=review.submission_id, old=review.comment)
    review.comment, review.written_at = comment, utcnow()
    db.session.flush()
    return review


def reviews_of(task: SelfStudyTask, enrolment: Enrolment) -> list[PeerReview]:
    """The comments classmates wrote on this participant's hand-ins of the task, newest first
    (the author's page shows them without names; the trainer's with them)."""
    return list(db.session.scalars(
        select(PeerReview).join(Submission, Submission.id == PeerReview.submission_id)
        .where(Submission.task_id == task.id, Submission.enrolment_id == enrolment.id,
               PeerReview.written_at.is_not(None))
        .options(selectinload(PeerReview.reviewer).selectinload(Enrolment.user))
        .order_by(PeerReview.written_at.desc(), PeerReview.id.desc())))


# --- review -------------------------------------------------------------------------------

def get_submission(cohort: Cohort, submission_id: int) -> Submission:
    """A submission to a task of this cohort; anything else is not found."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.task.cohort_id != cohort.id:
        raise NotFound(_l("no submission %(id)s in cohort %(cohort)s", id=submission_id, cohort=cohort.code))
    return submission


def review(submission: Submission, accept: bool, feedback: str | None, actor,
           met: list[int] | None = None, points=marks.KEEP) -> Submission:
    """Accept or return the newest hand-in. Returning needs feedback; an accepted hand-in
    may be returned later (an undo), which takes its hours off the ledger again. `met`: the
    indexes of the hand-in's descriptors the work meets (None leaves the ticks as they were).
    `points`: its mark on a marked task, None or empty for none (left out: the mark stays)."""
    current = newest(submission.task, submission.enrolment)
    if current is None or current.id != submission.id:
        raise Conflict(_l("a newer hand-in exists; review that one instead"))
    feedback = (feedback or "").strip()
    if len(feedback) > MAX_TEXT:
        raise ServiceError(_l("the feedback is longer than %(most)s characters", most=f"{MAX_TEXT:,}"),
                           field="feedback")
    new = "accepted" if accept else "returned"
    if submission.status == new:
        raise Conflict(_l("this hand-in is already accepted") if new == "accepted" else
                       _l("this hand-in is already returned"))
    if not accept and not feedback:
        raise ServiceError(_l("say what to improve: returning work needs feedback"), field="feedback")
    ticks = _ticks(met, submission.descriptors or [], "met")
    given = submission.points if points is marks.KEEP else marks.check_points(submission.task, points)
    old, old_feedback, old_met = submission.status, submission.feedback, submission.met
    if ticks is not None:
        submission.met = ticks
    submission.status = new
    submission.feedback = feedback or None
    submission.reviewed_at = utcnow()
    submission.reviewed_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "selfstudy_reviewed", submission,
                 f"{submission.task.title}: {old} -> {new}", old=old, new=new, feedback=feedback or None,
                 old_feedback=old_feedback, met=submission.met, old_met=old_met,
                 enrolment_id=submission.enrolment_id)
    marks.set_points(submission, given, actor)
    selfstudy_reviewed.send(submission, actor=actor, accepted=accept)
    return submission


# --- lists for the trainer ----------------------------------------------------------------

def _newest_rows(*where):
    """A subquery of the hand-ins by present participants to the tasks `where` picks (over
    SelfStudyTask and Cohort), rn = 1 on the newest of each (task, participant)."""
    rn = func.row_number().over(partition_by=(Submission.task_id, Submission.enrolment_id),
                                order_by=(Submission.submitted_at.desc(), Submission.id.desc())).label("rn")
    return (select(Submission.id, Submission.task_id, Submission.status, Submission.submitted_at,
                   SelfStudyTask.cohort_id, rn)
            .join(SelfStudyTask, SelfStudyTask.id == Submission.task_id)
            .join(Cohort, Cohort.id == SelfStudyTask.cohort_id)
            .join(Enrolment, Enrolment.id == Submission.enrolment_id)
            .where(Enrolment.status != "withdrawn", *where)
            .subquery())


def task_counts(cohort: Cohort) -> dict[int, dict[str, int]]:
    """task id -> {status: how many participants' newest hand-in has it}, in one statement."""
    sub = _newest_rows(SelfStudyTask.cohort_id == cohort.id)
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"submitted": 0, "accepted": 0, "returned": 0})
    for task_id, status, n in db.session.execute(
            select(sub.c.task_id, sub.c.status, func.count()).where(sub.c.rn == 1)
            .group_by(sub.c.task_id, sub.c.status)):
        out[task_id][status] = n
    return out


def tasks(cohort: Cohort) -> list[SelfStudyTask]:
    return list(db.session.scalars(select(SelfStudyTask).where(SelfStudyTask.cohort_id == cohort.id)
                                   .options(selectinload(SelfStudyTask.topic))
                                   .order_by(SelfStudyTask.sort_order, SelfStudyTask.id)))


def waiting_in_live_cohorts() -> dict[int, tuple[int, datetime]]:
    """cohort id -> (newest hand-ins waiting for review, when the oldest of them came), over the
    planned and running cohorts, in one statement (the trainers' morning reminder)."""
    sub = _newest_rows(Cohort.status.in_(("planned", "running")))
    rows = db.session.execute(select(sub.c.cohort_id, func.count(), func.min(sub.c.submitted_at))
                              .where(sub.c.rn == 1, sub.c.status == "submitted").group_by(sub.c.cohort_id))
    return {cohort_id: (count, oldest) for cohort_id, count, oldest in rows}


def review_queue(cohort: Cohort):
    """The newest hand-ins waiting for review, oldest first (a statement to paginate)."""
    sub = _newest_rows(SelfStudyTask.cohort_id == cohort.id)
    waiting = select(sub.c.id).where(sub.c.rn == 1, sub.c.status == "submitted")
    return (select(Submission).where(Submission.id.in_(waiting))
            .options(selectinload(Submission.task), selectinload(Submission.file),
                     selectinload(Submission.enrolment).selectinload(Enrolment.user))
            .order_by(Submission.submitted_at, Submission.id))


def newest_of_task(task: SelfStudyTask) -> list[Submission]:
    """Each present participant's newest hand-in for one task, by name (the task's download)."""
    sub = _newest_rows(SelfStudyTask.id == task.id)
    newest_ids = select(sub.c.id).where(sub.c.rn == 1)
    rows = db.session.scalars(select(Submission).where(Submission.id.in_(newest_ids))
                              .options(selectinload(Submission.file),
                                       selectinload(Submission.enrolment).selectinload(Enrolment.user)))
    return sorted(rows, key=lambda s: (s.enrolment.user.sort_key, s.id))


@dataclass(frozen=True)
class DescriptorCount:
    """How the present participants' newest hand-ins meet one descriptor of a task."""
    text: str
    #: hand-ins that showed it, and how many of them the participant ticked
    shown: int
    self_met: int
    #: of those, the reviewed ones, and how many of them the trainer ticked
    reviewed: int
    met: int


def descriptor_counts(task: SelfStudyTask) -> list[DescriptorCount]:
    """Per descriptor, the participants' and the trainer's ticks over the newest hand-ins (the
    criteria most work misses, for the next consultation). The task's descriptors come first,
    then any a hand-in showed before the task was edited; counted by text."""
    tally: dict[str, list[int]] = {text: [0, 0, 0, 0] for text in task.descriptors or []}
    for s in newest_of_task(task):
        for i, text in enumerate(s.descriptors or []):
            row = tally.setdefault(text, [0, 0, 0, 0])
            row[0] += 1
            row[1] += bool((s.self_met or [])[i:i + 1] == [True])
            if s.met is not None and i < len(s.met):
                row[2] += 1
                row[3] += bool(s.met[i])
    return [DescriptorCount(text, *row) for text, row in tally.items()]


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip()[:80] or "-"


def hand_ins_zip(task: SelfStudyTask, out, labels: dict[str, str]) -> int:
    """Write every present participant's newest hand-in for the task into `out` as one ZIP
    (Moodle's "Download all submissions"): a folder per participant, by name, with the answer,
    link, self-assessment, descriptors ticked, mark and feedback as text, and the file as handed in;
    an index table first. `labels` are the page's words for the text (the reader's language).
    Returns how many hand-ins; nothing is written when there are none."""
    rows = newest_of_task(task)
    if not rows:
        return 0
    index = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, s in enumerate(rows, 1):
            user = s.enrolment.user
            folder = f"{number:02d} {_safe_name(user.full_name)}"
            lines = [f"{user.full_name} <{user.email}>", f"{labels['status']}: {labels[s.status]}",
                     f"{labels['handed_in']}: {s.submitted_at:%Y-%m-%d %H:%M} UTC", ""]
            if s.text:
                lines += [s.text, ""]
            if s.link:
                lines += [f"{labels['link']}: {s.link}", ""]
            for i, descriptor in enumerate(s.descriptors or []):
                own = (s.self_met or [])[i] if i < len(s.self_met or []) else False
                theirs = None if s.met is None else s.met[i]
                lines.append(f"[{'x' if own else ' '}] [{'-' if theirs is None else 'x' if theirs else ' '}] "
                             f"{descriptor}")
            if s.descriptors:
                lines += [labels["ticks"], ""]
            if s.self_assessment:
                lines += [f"{labels['self_assessment']}: {s.self_assessment}", ""]
            if s.points is not None:
                lines += [f"{labels['mark']}: {s.points:g} / {task.max_points or 0:g}", ""]
            if s.feedback:
                lines += [f"{labels['feedback']}: {s.feedback}", ""]
            archive.writestr(f"{folder}/{labels['answer_file']}.txt", "\n".join(lines))
            if s.file is not None and files.path_of(s.file).exists():
                archive.write(files.path_of(s.file), f"{folder}/{_safe_name(s.file.original_name)}")
            index.append([number, user.full_name, user.email, labels[s.status], f"{s.submitted_at:%Y-%m-%d %H:%M}",
                          s.file.original_name if s.file else "", s.link or "",
                          sum(1 for t in (s.met or []) if t) if s.met is not None else "",
                          "" if s.points is None else s.points])
        archive.writestr(f"00 {labels['index_file']}.csv", csv_bytes(labels["index_header"].split("|"), index))
    return len(rows)
