"""Project work pages: staff set projects up and read every team's versions; a participant
hands in versions for their mini-group or themselves and sees only their own team's.

Every page takes the cohort from the URL and loads only its projects; a participant's file
link opens only a version of their own team (anything else is a 404)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.permissions import requires
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.views.common import COHORT_TABS
from lms.portfolio.forms.projects import ProjectForm, VersionForm
from lms.portfolio.models import ProjectWork
from lms.portfolio.services import projects as service
from lms.core.web import send_stored, upload_of
from lms.portfolio.views.common import bp, can_here, cohort_context, my_enrolment, run_service

COHORT_TABS.append(("portfolio.projects", _l("Projects")))


def _project(project_id: int) -> ProjectWork:
    try:
        return service.get_project(g.cohort, project_id)
    except NotFound:
        abort(404)


def _version(project, submission_id: int):
    try:
        return service.get_version(project, submission_id)
    except NotFound:
        abort(404)


def _to_utc(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else value.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _to_local(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


# --- staff ----------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/projects")
@requires("portfolio:view", cohort_context)
def projects(code):
    return render_template("portfolio/projects.html", cohort=g.cohort, projects=service.projects_of(g.cohort),
                           can_manage=can_here("portfolio:manage_defenses"))


def _project_form_page(project: ProjectWork | None):
    cohort = g.cohort
    form = ProjectForm(obj=project)
    if request.method == "GET":
        form.mode.data = project.mode if project else service.default_mode(cohort)
        form.deadline.data = _to_local(project.deadline, cohort.timezone) if project else None
    if form.validate_on_submit():
        fields = {"title": form.title.data, "description": form.description.data, "mode": form.mode.data,
                  "deadline": _to_utc(form.deadline.data, cohort.timezone)}
        done = run_service(form, lambda: service.save_project(cohort, fields, current_user, project),
                           _("Project saved."), lambda p: url_for("portfolio.project", code=cohort.code,
                                                                  project_id=p.id))
        if done:
            return done
    return render_template("portfolio/project_form.html", cohort=cohort, form=form, project=project)


@bp.route("/cohorts/<code>/projects/new", methods=["GET", "POST"])
@requires("portfolio:manage_defenses", cohort_context)
def new_project(code):
    return _project_form_page(None)


@bp.route("/cohorts/<code>/projects/<int:project_id>/edit", methods=["GET", "POST"])
@requires("portfolio:manage_defenses", cohort_context)
def edit_project(code, project_id):
    return _project_form_page(_project(project_id))


@bp.route("/cohorts/<code>/projects/<int:project_id>")
@requires("portfolio:view", cohort_context)
def project(code, project_id):
    p = _project(project_id)
    teams = service.teams(p, g.cohort)
    return render_template("portfolio/project.html", cohort=g.cohort, project=p, teams=teams,
                           by=service.submitters([v for t in teams for v in t.versions]),
                           can_manage=can_here("portfolio:manage_defenses"),
                           file_url=lambda v: url_for("portfolio.project_file", code=code, project_id=project_id,
                                                      submission_id=v.id))


@bp.route("/cohorts/<code>/projects/<int:project_id>/files/<int:submission_id>")
@requires("portfolio:view", cohort_context)
def project_file(code, project_id, submission_id):
    return send_stored(_version(_project(project_id), submission_id).file)


# --- participant ----------------------------------------------------------------------------

@bp.route("/cohorts/<code>/portfolio/projects/<int:project_id>", methods=["GET", "POST"])
@requires("portfolio:keep", cohort_context)
def my_project(code, project_id):
    enrolment = my_enrolment()
    p = _project(project_id)
    form = VersionForm()
    try:
        key = service.team_key(p, enrolment)
    except ServiceError as exc:
        key, problem = None, exc.message
    else:
        problem = None
    if key is not None and request.method == "POST" and form.validate_on_submit():
        fields = {"title": form.title.data, "text": form.text.data, "link": form.link.data}
        upload = upload_of(form.file)
        done = run_service(form, lambda: service.submit_version(p, enrolment, fields, upload, current_user),
                           _("Handed in. Earlier versions are kept."),
                           url_for("portfolio.my_project", code=code, project_id=project_id))
        if done:
            return done
    mine = service.versions(p, key) if key else []
    return render_template("portfolio/project_mine.html", cohort=g.cohort, project=p, form=form, versions=mine,
                           by=service.submitters(mine), team_key=key, problem=problem, enrolment=enrolment,
                           file_url=lambda v: url_for("portfolio.my_project_file", code=code, project_id=project_id,
                                                      submission_id=v.id))


@bp.route("/cohorts/<code>/portfolio/projects/<int:project_id>/files/<int:submission_id>")
@requires("portfolio:keep", cohort_context)
def my_project_file(code, project_id, submission_id):
    enrolment = my_enrolment()
    p = _project(project_id)
    version = _version(p, submission_id)
    try:
        key = service.team_key(p, enrolment)
    except ServiceError:
        abort(404)
    if version.team_key != key:
        abort(404)
    return send_stored(version.file)
