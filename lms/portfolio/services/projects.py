"""Project work a cohort defends: done by mini-groups (any member hands in for the group) or
by each participant, as the programme says, with a deadline.

Every hand-in is a new numbered version and none is changed or deleted; a version handed in
after the deadline is kept and flagged late, so nothing a participant saved is lost."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.core.services import audit, files
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.courses.services.selfstudy import MAX_TEXT, _check_link
from lms.db import db, utcnow
from lms.portfolio.models import PROJECT_MODES, ProjectSubmission, ProjectWork

MAX_TITLE = 300


# --- projects (staff) -----------------------------------------------------------------------

def projects_of(cohort: Cohort) -> list[ProjectWork]:
    return list(db.session.scalars(select(ProjectWork).where(ProjectWork.cohort_id == cohort.id)
                                   .order_by(ProjectWork.created_at, ProjectWork.id)))


def get_project(cohort: Cohort, project_id: int) -> ProjectWork:
    """A project of this cohort; any other id (another cohort's too) is not found."""
    project = db.session.get(ProjectWork, project_id)
    if project is None or project.cohort_id != cohort.id:
        raise NotFound(_l("no project %(id)s in cohort %(cohort)s", id=project_id, cohort=cohort.code))
    return project


def default_mode(cohort: Cohort) -> str:
    """A cohort split into mini-groups defends in groups (the leaders' panoramic defense);
    otherwise each participant defends their own work (the teachers' methodological one)."""
    return "group" if cohort.mini_groups else "individual"


def save_project(cohort: Cohort, fields: dict, actor, project: ProjectWork | None = None) -> ProjectWork:
    """Create (project=None) or edit a project. Its mode cannot change once work is handed in:
    the versions belong to groups or to people."""
    if project is not None and project.cohort_id != cohort.id:
        raise NotFound(_l("no project %(id)s in cohort %(cohort)s", id=project.id, cohort=cohort.code))
    title = (fields.get("title") or "").strip()
    if not title:
        raise ServiceError(_l("the project needs a title"), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_l("the title is longer than %(count)s characters", count=MAX_TITLE), field="title")
    description = (fields.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        raise ServiceError(_l("the description is longer than %(count)s characters", count=f"{MAX_TEXT:,}"),
                           field="description")
    mode = fields.get("mode") or default_mode(cohort)
    if mode not in PROJECT_MODES:
        raise ServiceError(_l("the mode is group or individual, not %(value)s", value=repr(mode)), field="mode")
    if project is not None and mode != project.mode and _version_count(project):
        raise Conflict(_l("work has been handed in already: the mode can no longer change"), field="mode")
    if mode == "group" and not cohort.mini_groups:
        raise ServiceError(_l("cohort %(cohort)s has no mini-groups; set them first or choose individual work",
                              cohort=cohort.code), field="mode")
    deadline = fields.get("deadline")
    if deadline is not None and (not isinstance(deadline, datetime) or deadline.tzinfo is None):
        raise ServiceError(_l("the deadline is not a date and time"), field="deadline")
    before = None
    if project is None:
        project = ProjectWork(cohort_id=cohort.id)
        db.session.add(project)
    else:
        before = {"title": project.title, "mode": project.mode,
                  "deadline": project.deadline.isoformat() if project.deadline else None}
    project.title, project.description, project.mode, project.deadline = title, description or None, mode, deadline
    db.session.flush()
    new = {"title": title, "mode": mode, "deadline": deadline.isoformat() if deadline else None}
    if before is None:
        audit.record(actor, "project_created", project, f"{cohort.code}: {title}", **new)
    else:
        audit.record(actor, "project_changed", project, f"{cohort.code}: {title}", old=before, new=new)
    return project


def _version_count(project: ProjectWork) -> int:
    return db.session.scalar(select(func.count()).select_from(ProjectSubmission)
                             .where(ProjectSubmission.project_id == project.id))


# --- teams and versions ---------------------------------------------------------------------

def group_key(mini_group: int) -> str:
    return f"g{mini_group}"


def individual_key(enrolment: Enrolment) -> str:
    return f"e{enrolment.id}"


def team_key(project: ProjectWork, enrolment: Enrolment) -> str:
    """Who a version belongs to: "g<n>" for mini-group n, "e<id>" for one enrolment."""
    if project.mode == "group":
        if not enrolment.mini_group:
            raise ServiceError(_l("you are not in a mini-group yet; ask your trainer to put you in one"))
        return group_key(enrolment.mini_group)
    return individual_key(enrolment)


def versions(project: ProjectWork, key: str) -> list[ProjectSubmission]:
    """Every version of one team, newest first."""
    return list(db.session.scalars(
        select(ProjectSubmission).where(ProjectSubmission.project_id == project.id, ProjectSubmission.team_key == key)
        .options(selectinload(ProjectSubmission.file)).order_by(ProjectSubmission.number.desc())))


def submit_version(project: ProjectWork, enrolment: Enrolment, fields: dict, upload: tuple[bytes, str] | None,
                   actor, now: datetime | None = None) -> ProjectSubmission:
    """A new version for the participant's team (their mini-group, or themselves). After the
    deadline it is accepted and flagged late. Every check runs before the file is stored."""
    if enrolment.cohort_id != project.cohort_id:
        raise NotFound(_l("no project %(id)s in this cohort", id=project.id))
    if enrolment.status == "withdrawn":
        raise ServiceError(_l("you have withdrawn from this cohort and cannot hand in work"))
    key = team_key(project, enrolment)
    title = (fields.get("title") or "").strip() or None
    text = (fields.get("text") or "").strip()
    link = (fields.get("link") or "").strip()
    if title and len(title) > MAX_TITLE:
        raise ServiceError(_l("the title is longer than %(count)s characters", count=MAX_TITLE), field="title")
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("the text is %(length)s characters long; the limit is %(limit)s", length=f"{len(text):,}",
                              limit=f"{MAX_TEXT:,}"), field="text")
    if link:
        _check_link(link)
    if upload is not None and not (upload[0] or (upload[1] or "").strip()):
        upload = None
    if not text and not link and upload is None:
        raise ServiceError(_l("hand in some work: a text, a link or a file"), field="text")
    stored = files.store(upload[0], upload[1], actor, field="file") if upload is not None else None
    now = now or utcnow()
    late = project.deadline is not None and now > project.deadline
    for _try in range(3):  # two members of a group handing in at once: the second takes the next number
        number = (db.session.scalar(select(func.max(ProjectSubmission.number)).where(
            ProjectSubmission.project_id == project.id, ProjectSubmission.team_key == key)) or 0) + 1
        version = ProjectSubmission(project_id=project.id, team_key=key, number=number, submitted_by_id=enrolment.id,
                                    title=title, text=text or None, url=link or None, file=stored,
                                    submitted_at=now, late=late)
        try:
            with db.session.begin_nested():
                db.session.add(version)
                db.session.flush()
            break
        except IntegrityError:
            continue
    else:
        raise Conflict(_l("another version was handed in at the same moment; try again"))
    audit.record(actor, "project_version_submitted", version, f"{project.title}: {key} v{number}",
                 project_id=project.id, team_key=key, enrolment_id=enrolment.id, late=late,
                 file_id=stored.id if stored else None)
    return version


def get_version(project: ProjectWork, submission_id: int) -> ProjectSubmission:
    version = db.session.get(ProjectSubmission, submission_id)
    if version is None or version.project_id != project.id:
        raise NotFound(_l("no version %(version)s of project %(id)s", version=submission_id, id=project.id))
    return version


@dataclass
class Team:
    key: str
    members: list[Enrolment]
    versions: list[ProjectSubmission] = field(default_factory=list)

    @property
    def mini_group(self) -> int | None:
        return int(self.key[1:]) if self.key.startswith("g") else None

    @property
    def latest(self) -> ProjectSubmission | None:
        return self.versions[0] if self.versions else None


def teams(project: ProjectWork, cohort: Cohort) -> list[Team]:
    """Every team of the project with its versions, newest first: the cohort's mini-groups, or
    its participants (a fixed number of statements, whatever the cohort's size)."""
    enrolments = cohort_service.enrolments(cohort)
    out: dict[str, Team] = {}
    if project.mode == "group":
        for n in range(1, cohort.mini_groups + 1):
            out[group_key(n)] = Team(group_key(n), [])
        for e in enrolments:
            if e.mini_group:
                out.setdefault(group_key(e.mini_group), Team(group_key(e.mini_group), [])).members.append(e)
    else:
        for e in enrolments:
            out[individual_key(e)] = Team(individual_key(e), [e])
    for v in db.session.scalars(select(ProjectSubmission).where(ProjectSubmission.project_id == project.id)
                                .options(selectinload(ProjectSubmission.file))
                                .order_by(ProjectSubmission.number.desc())):
        team = out.get(v.team_key)
        if team is None:  # a withdrawn participant's, or a group since dissolved: still shown
            team = out[v.team_key] = Team(v.team_key, [])
        team.versions.append(v)
    return list(out.values())


def submitters(version_list: list[ProjectSubmission]) -> dict[int, Enrolment]:
    """The enrolments that handed the versions in, with their users (one or two statements)."""
    ids = {v.submitted_by_id for v in version_list}
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.id.in_(ids))
                                                .options(selectinload(Enrolment.user)))}
