"""What the courses hold about a person: as a participant, their enrolments, topic choices,
attendance, self-study hand-ins (with files and the trainer's review as their own page shows
it) and the peer comments they wrote and received; as staff, the reviews they gave, the
announcements they posted and the attendance they recorded or uploaded. Other people appear by
id only: a classmate's comment comes without its writer, a trainer's feedback without the
trainer (the participant's pages show neither)."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, selectinload

from lms.core.models import User
from lms.core.services.erasure import ERASED_TEXT
from lms.core.services.privacy import PersonalData
from lms.courses.models import (Announcement, Attendance, AttendanceImport, Cohort,
                                Enrolment, Module, PeerReview, Programme, SelfStudyTask, Submission, Topic,
                                TopicChoice, WebinarSession)
from lms.courses.services import ledger
from lms.db import db


def export(user: User) -> PersonalData:
    data = PersonalData()
    mine = Enrolment.user_id == user.id

    data.records["enrolments"] = [
        {"cohort": cohort.code, "programme": programme.code, "programme_version": programme.version,
         "programme_title": programme.title_kk, "format": cohort.format_code, "language": cohort.language,
         "cohort_starts_on": cohort.start_date, "cohort_ends_on": cohort.end_date, "status": e.status,
         "mini_group": e.mini_group, "enrolled_at": e.enrolled_at, "completed_at": e.completed_at}
        for e, cohort, programme in db.session.execute(
            select(Enrolment, Cohort, Programme).join(Enrolment.cohort).join(Cohort.programme)
            .where(mine).order_by(Enrolment.enrolled_at, Enrolment.id))]

    data.records["topic_choices"] = [
        {"cohort": code, "module": module_number, "topic": topic_code, "topic_title": title,
         "chosen_at": chosen_at}
        for code, module_number, topic_code, title, chosen_at in db.session.execute(
            select(Cohort.code, Module.number, Topic.code, Topic.title_kk, TopicChoice.chosen_at)
            .join(TopicChoice.enrolment).join(Enrolment.cohort).join(TopicChoice.topic)
            .join(Module, Module.id == TopicChoice.module_id)
            .where(mine).order_by(TopicChoice.chosen_at, TopicChoice.id))]

    data.records["attendance"] = [_attendance_row(a, s, code, topic_code, module_number)
                                  for a, s, code, topic_code, module_number in db.session.execute(
                                      select(Attendance, WebinarSession, Cohort.code, Topic.code, Module.number)
                                      .join(Attendance.enrolment).join(Enrolment.cohort)
                                      .join(Attendance.session).join(WebinarSession.module)
                                      .outerjoin(Topic, Topic.id == WebinarSession.topic_id)
                                      .where(mine).order_by(WebinarSession.starts_at, Attendance.id))]

    # the trainer's status, ticks, mark, feedback and its date are on the participant's own task page;
    # who reviewed is not, nor is the task's self-check reference (an answer key, not theirs)
    data.records["selfstudy_submissions"] = [
        {"id": s.id, "cohort": code, "task": title, "topic": topic_code, "text": s.text, "link": s.link,
         "file": data.add_file("submissions", s.file), "self_assessment": s.self_assessment,
         "descriptors": s.descriptors, "my_ticks": s.self_met, "trainer_ticks": s.met, "status": s.status,
         "mark": s.points, "marked_out_of": max_points if s.points is not None else None,
         "feedback": s.feedback, "submitted_at": s.submitted_at, "reviewed_at": s.reviewed_at}
        for s, code, title, topic_code, max_points in db.session.execute(
            select(Submission, Cohort.code, SelfStudyTask.title, Topic.code, SelfStudyTask.max_points)
            .join(Submission.enrolment).join(Submission.task).join(SelfStudyTask.cohort).join(SelfStudyTask.topic)
            .where(mine).options(selectinload(Submission.file))
            .order_by(Submission.submitted_at, Submission.id))]

    reviewer = aliased(Enrolment)
    data.records["peer_reviews_written"] = [
        {"submission_id": submission_id, "cohort": code, "task": title, "comment": comment,
         "assigned_at": assigned_at, "written_at": written_at}
        for submission_id, code, title, comment, assigned_at, written_at in db.session.execute(
            select(PeerReview.submission_id, Cohort.code, SelfStudyTask.title, PeerReview.comment,
                   PeerReview.assigned_at, PeerReview.written_at)
            .join(reviewer, reviewer.id == PeerReview.reviewer_id).join(Cohort, Cohort.id == reviewer.cohort_id)
            .join(Submission, Submission.id == PeerReview.submission_id).join(Submission.task)
            .where(reviewer.user_id == user.id).order_by(PeerReview.assigned_at, PeerReview.id))]

    # the author reads classmates' comments without names: no reviewer column, not even an id
    data.records["peer_reviews_received"] = [
        {"submission_id": submission_id, "cohort": code, "task": title, "comment": comment, "written_at": written_at}
        for submission_id, code, title, comment, written_at in db.session.execute(
            select(PeerReview.submission_id, Cohort.code, SelfStudyTask.title, PeerReview.comment,
                   PeerReview.written_at)
            .join(Submission, Submission.id == PeerReview.submission_id).join(Submission.enrolment)
            .join(Submission.task).join(SelfStudyTask.cohort)
            .where(mine, PeerReview.written_at.is_not(None)).order_by(PeerReview.written_at, PeerReview.id))]

    # staff: their own decisions on others' work, the participant by submission id only
    data.records["selfstudy_reviews_given"] = [
        {"submission_id": s_id, "cohort": code, "task": title, "status": status, "descriptors": descriptors,
         "ticks": met, "mark": points, "feedback": feedback, "reviewed_at": reviewed_at}
        for s_id, code, title, status, descriptors, met, points, feedback, reviewed_at in db.session.execute(
            select(Submission.id, Cohort.code, SelfStudyTask.title, Submission.status, Submission.descriptors,
                   Submission.met, Submission.points, Submission.feedback, Submission.reviewed_at)
            .join(Submission.task).join(SelfStudyTask.cohort)
            .where(Submission.reviewed_by_id == user.id).order_by(Submission.reviewed_at, Submission.id))]

    data.records["announcements_posted"] = [
        {"cohort": code, "title": a.title, "text": a.body, "posted_at": a.posted_at, "emailed_at": a.emailed_at}
        for a, code in db.session.execute(
            select(Announcement, Cohort.code).join(Cohort, Cohort.id == Announcement.cohort_id)
            .where(Announcement.author_id == user.id).order_by(Announcement.posted_at, Announcement.id))]

    # the file's name and date: its rows (the names and e-mails of whoever joined) are others'
    data.records["attendance_reports_uploaded"] = [
        {"cohort": code, "session_id": session_id, "session_starts_at": starts_at, "file_name": filename,
         "uploaded_at": created_at}
        for code, session_id, starts_at, filename, created_at in db.session.execute(
            select(Cohort.code, WebinarSession.id, WebinarSession.starts_at, AttendanceImport.filename,
                   AttendanceImport.created_at)
            .join(AttendanceImport.session).join(WebinarSession.cohort)
            .where(AttendanceImport.uploaded_by_id == user.id).order_by(AttendanceImport.id))]

    # how many marks they last set per session, not whose nor which
    data.records["attendance_recorded"] = [
        {"cohort": code, "session_id": session_id, "session_starts_at": starts_at, "marks": count,
         "last_at": last_at}
        for code, session_id, starts_at, count, last_at in db.session.execute(
            select(Cohort.code, WebinarSession.id, WebinarSession.starts_at, func.count(Attendance.id),
                   func.max(Attendance.updated_at))
            .join(Attendance.session).join(WebinarSession.cohort)
            .where(Attendance.updated_by_id == user.id)
            .group_by(Cohort.code, WebinarSession.id, WebinarSession.starts_at)
            .order_by(WebinarSession.starts_at, WebinarSession.id))]
    return data


def _attendance_row(a: Attendance, s: WebinarSession, cohort: str, topic: str | None, module: int) -> dict:
    credited = ledger.credited_hours(a, s)  # as the participant's hours count it
    return {"cohort": cohort, "session_id": s.id, "session_starts_at": s.starts_at, "kind": s.kind,
            "topic": topic, "module": module, "session_status": s.status, "planned_hours": s.academic_hours,
            "status": a.status, "minutes": a.minutes, "hours_credited": round(credited, 2), "source": a.source,
            "updated_at": a.updated_at}


def erase(erasure) -> None:
    """Hand-ins stay with their marks and feedback (the gradebook's practical work rests on
    them), as do enrolments (one under way is withdrawn), topic choices and attendance (the
    hours); the comments the person wrote on classmates' work go, the comments' places kept so
    the classmates' counts hold."""
    from lms.courses.services.cohorts import set_status

    user = erasure.user
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)))
    if not enrolments:
        return
    enrolment_ids = {e.id for e in enrolments}
    # someone who asked to be forgotten takes no further part: a course under way lists them no more
    for enrolment in enrolments:
        if enrolment.status in ("enrolled", "active"):
            set_status(enrolment, "withdrawn", erasure.actor)
            erasure.count("courses.enrolments_withdrawn", 1)
    # a meeting report's rows that matched nobody keep the name and e-mail the person joined with
    email = user.email.casefold()
    for report in db.session.scalars(select(AttendanceImport).join(AttendanceImport.session).where(
            WebinarSession.cohort_id.in_({e.cohort_id for e in enrolments}))):
        rows = [dict(row, name=ERASED_TEXT, email=None)
                if row.get("mapped_enrolment_id") in enrolment_ids or (row.get("email") or "").casefold() == email
                or row.get("name") == user.full_name else row for row in report.unmatched or []]
        if rows != report.unmatched:
            report.unmatched = rows
            erasure.count("courses.meeting_report_rows", 1)
    erasure.count("courses.peer_comments", db.session.execute(
        update(PeerReview).where(PeerReview.reviewer_id.in_(enrolment_ids), PeerReview.comment.is_not(None),
               PeerReview.comment != "")
        .values(comment=ERASED_TEXT).execution_options(synchronize_session=False)).rowcount)
