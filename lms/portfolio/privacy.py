"""What the portfolio holds about a person: their portfolio items and share links (never the
token), the project versions of their team, their defenses and grades as their own pages show
them (assessors numbered, never named; nothing before release), their certificates with the
PDF they may download; and, for staff, the panel seats, scores, reconciliations and marks they
gave, by ids (the people they assessed are not named)."""
from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.core.models import User
from lms.core.services import audit
from lms.core.services.errors import ServiceError
from lms.core.services.privacy import PersonalData
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.portfolio.models import (
    Artefact, Assessment, Certificate, Defense, DefenseSession, GradebookMark, PanelMember, ProjectSubmission,
    ProjectWork, ShareLink,
)
from lms.portfolio.services import certificates, defenses, gradebook, projects

PARTICIPANT_SECTIONS = ("portfolio_items", "share_links", "project_versions", "defenses", "grades", "certificates")


def export(user: User) -> PersonalData:
    data = PersonalData({name: [] for name in PARTICIPANT_SECTIONS})
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                         .options(joinedload(Enrolment.cohort)).order_by(Enrolment.id)))
    cohort_codes = {e.cohort_id: e.cohort.code for e in enrolments}
    codes = {e.id: e.cohort.code for e in enrolments}
    if enrolments:
        _portfolio(data, codes)
        _projects(data, user, enrolments, cohort_codes)
        _defenses(data, enrolments, cohort_codes)
        _grades(data, enrolments)
        _certificates(data, codes)
    _staff(data, user)
    return data


def _portfolio(data: PersonalData, codes: dict[int, str]) -> None:
    ids = list(codes)
    data.records["portfolio_items"] = [
        {"id": a.id, "cohort": codes[a.enrolment_id], "section": a.section, "kind": a.kind, "title": a.title,
         "category": a.category, "module_number": a.module_number, "topic_code": a.topic_code, "url": a.url,
         "text": a.text, "file": data.add_file("portfolio", a.file), "created_at": a.created_at,
         "updated_at": a.updated_at}
        for a in db.session.scalars(select(Artefact).where(Artefact.enrolment_id.in_(ids))
                                    .options(selectinload(Artefact.file)).order_by(Artefact.created_at, Artefact.id))]
    # when each link was made and until when it opens the portfolio; the token is not kept
    data.records["share_links"] = [
        {"cohort": codes[s.enrolment_id], "created_at": s.created_at, "expires_at": s.expires_at,
         "revoked_at": s.revoked_at}
        for s in db.session.scalars(select(ShareLink).where(ShareLink.enrolment_id.in_(ids))
                                    .order_by(ShareLink.created_at, ShareLink.id))]


def _projects(data: PersonalData, user: User, enrolments: list[Enrolment], cohort_codes: dict[int, str]) -> None:
    """The versions of the person's team (as their project page lists them, with who handed each
    in, a group's member too) and any version they handed in for a team they have since left."""
    mine = [ProjectSubmission.submitted_by_id.in_([e.id for e in enrolments])]
    for e in enrolments:
        mine.append(and_(ProjectWork.cohort_id == e.cohort_id, ProjectWork.mode == "individual",
                         ProjectSubmission.team_key == projects.individual_key(e)))
        if e.mini_group:
            mine.append(and_(ProjectWork.cohort_id == e.cohort_id, ProjectWork.mode == "group",
                             ProjectSubmission.team_key == projects.group_key(e.mini_group)))
    rows = db.session.execute(
        select(ProjectSubmission, ProjectWork, Enrolment.user_id, User.full_name)
        .join(ProjectWork, ProjectWork.id == ProjectSubmission.project_id)
        .join(Enrolment, Enrolment.id == ProjectSubmission.submitted_by_id)
        .join(User, User.id == Enrolment.user_id)
        .where(or_(*mine)).options(selectinload(ProjectSubmission.file))
        .order_by(ProjectWork.id, ProjectSubmission.team_key, ProjectSubmission.number))
    data.records["project_versions"] = [
        {"cohort": cohort_codes.get(p.cohort_id), "project_id": p.id, "project": p.title, "mode": p.mode,
         "deadline": p.deadline, "mini_group": int(v.team_key[1:]) if v.team_key.startswith("g") else None,
         "version": v.number, "title": v.title, "text": v.text, "url": v.url,
         "file": data.add_file("projects", v.file), "submitted_at": v.submitted_at, "late": v.late,
         "handed_in_by_me": by_id == user.id, "handed_in_by": name}
        for v, p, by_id, name in rows]


def _defenses(data: PersonalData, enrolments: list[Enrolment], cohort_codes: dict[int, str]) -> None:
    """The slots the person defends in, as "My defense" shows them: the result, the feedback and
    each assessor's points and comments (numbered as on the page) once released, nothing before."""
    who = [Defense.enrolment_id.in_([e.id for e in enrolments])]
    who += [and_(DefenseSession.cohort_id == e.cohort_id, Defense.mini_group == e.mini_group)
            for e in enrolments if e.mini_group is not None]
    slots = db.session.scalars(
        select(Defense).join(DefenseSession, DefenseSession.id == Defense.session_id).where(or_(*who))
        .options(joinedload(Defense.session).joinedload(DefenseSession.rubric),
                 joinedload(Defense.session).selectinload(DefenseSession.members),
                 selectinload(Defense.assessments))
        .order_by(Defense.starts_at, Defense.id))
    rows = []
    for d in slots:
        row = {"defense_id": d.id, "cohort": cohort_codes.get(d.session.cohort_id), "session": d.session.title,
               "starts_at": d.starts_at, "minutes": d.minutes, "mini_group": d.mini_group, "released": False}
        result = defenses.released_result(d)
        if result is not None:
            row.update({
                "released": True, "released_at": d.released_at, "points": result.points,
                "max_points": result.max_points, "grade": result.grade,
                "grade_label": (result.row or {}).get("label"), "passed": result.passed,
                "feedback": result.feedback,
                "criteria": [{"criterion": c["code"], "title": c.get("title"),
                              "assessors": [{"assessor": n, "points": points, "comment": comment}
                                            for n, points, comment in marks]}
                             for c, marks in result.criteria]})
        rows.append(row)
    data.records["defenses"] = rows


def _grades(data: PersonalData, enrolments: list[Enrolment]) -> None:
    """Each cohort's row of the gradebook as "My grades" shows it (a defense once released, a
    test's score only where its review options show it): the same service, per enrolment."""
    rows = []
    for e in enrolments:
        book = gradebook.gradebook(e.cohort, [e], released_only=True)
        if not book.components:
            continue
        row = book.rows[0]
        rows.append({
            "cohort": e.cohort.code, "total": row.total, "max_total": book.max_total,
            "components": [{"component": c.code, "title": c.title, "weight": c.weight,
                            "result": row.cells[c.code].raw, "out_of": row.cells[c.code].of,
                            "points": row.cells[c.code].points, "pending": row.cells[c.code].pending}
                           for c in book.components]})
    data.records["grades"] = rows


def _certificates(data: PersonalData, codes: dict[int, str]) -> None:
    """Revoked ones too (the person is told of a revocation and its reason); the PDF of a valid
    one only, checked as the download checks it."""
    rows = []
    for cert in db.session.scalars(select(Certificate).where(Certificate.enrolment_id.in_(list(codes)))
                                   .options(selectinload(Certificate.file))
                                   .order_by(Certificate.issued_at, Certificate.id)):
        pdf = None
        if cert.revoked_at is None:
            try:
                certificates.pdf_bytes(cert)
            except ServiceError:
                pass  # missing or altered: the download refuses it as well
            else:
                pdf = data.add_file("certificates", cert.file)
        rows.append({
            "number": cert.number, "cohort": codes[cert.enrolment_id], "holder_name": cert.holder_name,
            "language": cert.language, "programme_code": cert.programme_code,
            "programme_title": cert.programme_title, "hours": cert.hours, "completed_on": cert.completed_on,
            "issued_at": cert.issued_at, "revoked_at": cert.revoked_at, "revoke_reason": cert.revoke_reason,
            "pdf": pdf})
    data.records["certificates"] = rows


def _staff(data: PersonalData, user: User) -> None:
    """What the person did as an assessor, chair or marker, by defense and enrolment ids: whom
    they assessed they may look up on the site."""
    data.records["panel_seats"] = [
        {"session_id": session_id, "session_starts_at": starts_at, "chair": chair}
        for session_id, starts_at, chair in db.session.execute(
            select(PanelMember.session_id, DefenseSession.starts_at, PanelMember.is_chair)
            .join(DefenseSession, DefenseSession.id == PanelMember.session_id)
            .where(PanelMember.user_id == user.id).order_by(PanelMember.session_id))]
    data.records["assessments_given"] = [
        {"defense_id": a.defense_id, "scores": a.scores, "total": a.total, "status": a.status,
         "submitted_at": a.submitted_at, "updated_at": a.updated_at}
        for a in db.session.scalars(select(Assessment).where(Assessment.assessor_id == user.id)
                                    .order_by(Assessment.id))]
    data.records["reconciliations_made"] = [
        {"defense_id": d_id, "points": points, "note": note, "decided_at": decided_at}
        for d_id, points, note, decided_at in db.session.execute(
            select(Defense.id, Defense.points, Defense.reconciliation_note, Defense.decided_at)
            .where(Defense.reconciled_by_id == user.id).order_by(Defense.id))]
    data.records["marks_given"] = [
        {"enrolment_id": m.enrolment_id, "cohort": code, "component": m.component, "points": m.points,
         "note": m.note, "marked_at": m.marked_at}
        for m, code in db.session.execute(
            select(GradebookMark, Cohort.code).join(Enrolment, Enrolment.id == GradebookMark.enrolment_id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .where(GradebookMark.marked_by_id == user.id).order_by(GradebookMark.id))]


def erase(erasure) -> None:
    """The portfolio's own items and every share link go; what was handed in for assessment
    stays (the "submission" section, which the gradebook's portfolio component counts), with
    the project versions, defenses, marks and certificates that grades rest on."""
    ids = select(Enrolment.id).where(Enrolment.user_id == erasure.user.id)
    items = list(db.session.scalars(select(Artefact).where(Artefact.enrolment_id.in_(ids),
                                                           Artefact.section != "submission")
                                    .options(selectinload(Artefact.file))))
    for item in items:
        earlier = [e.details.get("old") or {} for e in audit.entries_for(item, "artefact_changed")]
        erasure.forget(item, item.title, item.url, item.text, *(o.get(k) for o in earlier for k in ("title", "url")))
        erasure.drop_file(item.file)
        db.session.delete(item)
    erasure.count("portfolio.items", len(items))
    erasure.count("portfolio.share_links", db.session.execute(
        delete(ShareLink).where(ShareLink.enrolment_id.in_(ids))).rowcount)
