"""Project work: group (mini-groups) or individual; every version kept, late ones flagged;
staff read every team's work, a participant only their own team's."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.db import db, utcnow
from lms.portfolio.models import ProjectSubmission, ProjectWork
from lms.portfolio.services import projects

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    return tmp_path / "files"


def _people(cohort):
    return sorted(cohort.enrolments, key=lambda e: e.user.email)


def test_individual_versions_are_kept_and_late_ones_flagged(make, db_session):
    cohort = make.cohort(code="PJ-IND", programme="TCH-SUS", format_code="full_time", participants=2)
    a, b = _people(cohort)
    deadline = utcnow() + timedelta(days=3)
    project = projects.save_project(cohort, {"title": "Цифрлық сабақтың әдістемелік әзірлемесі",
                                             "deadline": deadline}, None)
    assert project.mode == "individual"  # no mini-groups: each defends their own
    first = projects.submit_version(project, a, {"text": "Бірінші нұсқа"}, None, a.user, now=deadline - timedelta(hours=1))
    second = projects.submit_version(project, a, {"title": "Түзетілген", "link": "https://drive.example.kz/v2"}, None,
                                     a.user, now=deadline + timedelta(minutes=1))
    other = projects.submit_version(project, b, {"text": "Менің жұмысым"}, None, b.user, now=deadline)
    assert (first.team_key, first.number, first.late) == (f"e{a.id}", 1, False)
    assert (second.team_key, second.number, second.late) == (f"e{a.id}", 2, True)
    assert (other.team_key, other.number, other.late) == (f"e{b.id}", 1, False)  # at the deadline is in time
    assert [v.number for v in projects.versions(project, f"e{a.id}")] == [2, 1]
    assert db.session.get(ProjectSubmission, first.id).text == "Бірінші нұсқа"  # nothing is overwritten
    teams = {t.key: t for t in projects.teams(project, cohort)}
    assert [v.id for v in teams[f"e{a.id}"].versions] == [second.id, first.id]
    assert teams[f"e{b.id}"].latest.id == other.id
    late = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "project_version_submitted",
                                                      AuditEntry.object_id == str(second.id)))
    assert late.details["late"] is True and late.details["team_key"] == f"e{a.id}"

    with pytest.raises(ServiceError, match="a text, a link or a file"):
        projects.submit_version(project, a, {"text": "  "}, None, a.user)
    with pytest.raises(ServiceError, match="http"):
        projects.submit_version(project, a, {"link": "ftp://x"}, None, a.user)
    with pytest.raises(Conflict, match="mode can no longer change"):
        projects.save_project(cohort, {"title": "x", "mode": "group"}, None, project)
    with pytest.raises(ServiceError, match="no mini-groups"):
        projects.save_project(cohort, {"title": "x", "mode": "group"}, None)
    with pytest.raises(ServiceError, match="needs a title"):
        projects.save_project(cohort, {"title": " "}, None)
    stranger = make.cohort(code="PJ-OTHER", programme="TCH-SUS", format_code="full_time", participants=1)
    with pytest.raises(NotFound):
        projects.submit_version(project, stranger.enrolments[0], {"text": "x"}, None, None)
    with pytest.raises(NotFound):
        projects.get_project(stranger, project.id)


def test_a_group_member_hands_in_for_the_mini_group(make, db_session):
    cohort = make.cohort(code="PJ-GRP", programme="LDR-SUS", participants=4, mini_groups=2)
    a, b, c, d = _people(cohort)
    a.mini_group, b.mini_group, c.mini_group = 1, 1, 2  # d is in no group yet
    project = projects.save_project(cohort, {"title": "«Цифрлы мектеп» даму бағдарламасы"}, None)
    assert project.mode == "group" and project.deadline is None
    v1 = projects.submit_version(project, a, {"text": "Топтың жобасы"}, None, a.user)
    v2 = projects.submit_version(project, b, {"text": "Толықтырылды"}, None, b.user)
    v3 = projects.submit_version(project, c, {"text": "Екінші топ"}, None, c.user)
    assert (v1.team_key, v1.number, v2.team_key, v2.number) == ("g1", 1, "g1", 2)
    assert (v3.team_key, v3.number, v3.late) == ("g2", 1, False)
    assert v2.submitted_by_id == b.id
    with pytest.raises(ServiceError, match="not in a mini-group"):
        projects.submit_version(project, d, {"text": "x"}, None, d.user)
    teams = {t.key: t for t in projects.teams(project, cohort)}
    assert set(teams) == {"g1", "g2"}
    assert {e.id for e in teams["g1"].members} == {a.id, b.id} and [v.number for v in teams["g1"].versions] == [2, 1]


def test_project_pages(client, auth, make, db_session, app):
    trainer = make.user(email="pj-trainer@test.kz")
    cohort = make.cohort(code="PJ-WEB", programme="TCH-SUS", format_code="full_time", participants=2,
                         trainer=trainer)
    a, b = _people(cohort)
    code, a_email, b_email, a_id = cohort.code, a.user.email, b.user.email, a.id

    auth.login(a_email)
    assert client.get(f"/cohorts/{code}/projects").status_code == 403
    assert client.get(f"/cohorts/{code}/projects/new").status_code == 403
    auth.logout()

    auth.login(trainer.email)
    r = client.post(f"/cohorts/{code}/projects/new", data={"title": "", "description": "", "mode": "individual"})
    assert r.status_code == 200 and "жобаның атауы болуы керек" in r.get_data(as_text=True)
    r = client.post(f"/cohorts/{code}/projects/new", data={
        "title": "Әдістемелік әзірлеме", "description": "Сабақтың цифрлық әзірлемесі", "mode": "individual",
        "deadline": "2030-05-20T18:00"})
    assert r.status_code == 302
    project = db_session.scalar(select(ProjectWork).where(ProjectWork.cohort_id == cohort.id))
    project_id = project.id
    assert project.deadline.isoformat() == "2030-05-20T13:00:00+00:00"  # 18:00 in Asia/Almaty (UTC+5)
    auth.logout()

    auth.login(a_email)
    assert f"/cohorts/{code}/portfolio/projects/{project_id}" in client.get(f"/cohorts/{code}/portfolio").get_data(
        as_text=True)
    url = f"/cohorts/{code}/portfolio/projects/{project_id}"
    r = client.post(url, data={"title": "", "text": "", "link": ""})
    assert r.status_code == 200 and "жұмысты тапсырыңыз: мәтін, сілтеме немесе файл" in r.get_data(as_text=True)
    r = client.post(url, data={"title": "v1", "text": "Жоба", "file": (io.BytesIO(PDF), "жоба.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    r = client.post(url, data={"title": "v2", "text": "Жоба, түзетілген"})
    assert r.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert page.count('data-version="') == 2 and "жоба.pdf" in page
    first = db_session.scalar(select(ProjectSubmission).where(ProjectSubmission.number == 1,
                                                              ProjectSubmission.project_id == project_id))
    first_id = first.id
    with client.get(f"{url}/files/{first_id}") as download:
        assert download.status_code == 200 and download.get_data() == PDF
    auth.logout()

    auth.login(b_email)  # another participant: their own (empty) team only, and no file of someone else's
    page = client.get(url).get_data(as_text=True)
    assert 'data-version="' not in page and "Жоба" not in page
    assert client.get(f"{url}/files/{first_id}").status_code == 404
    auth.logout()

    # after the deadline a version is kept and flagged late
    db_session.get(ProjectWork, project_id).deadline = utcnow() - timedelta(minutes=1)
    db_session.commit()
    auth.login(a_email)
    assert client.post(url, data={"text": "Кешікті"}).status_code == 302
    late = db_session.scalar(select(ProjectSubmission).where(ProjectSubmission.number == 3,
                                                             ProjectSubmission.project_id == project_id))
    assert late.late is True
    auth.logout()

    auth.login(trainer.email)
    page = client.get(f"/cohorts/{code}/projects/{project_id}").get_data(as_text=True)
    assert page.count('data-version="') == 3 and 'data-late="1"' in page and f'data-team="e{a_id}"' in page
    with client.get(f"/cohorts/{code}/projects/{project_id}/files/{first_id}") as download:
        assert download.get_data() == PDF
    listing = client.get(f"/cohorts/{code}/projects").get_data(as_text=True)
    assert "Әдістемелік әзірлеме" in listing
    r = client.post(f"/cohorts/{code}/projects/{project_id}/edit", data={
        "title": "Әдістемелік әзірлеме (2)", "description": "", "mode": "individual", "deadline": ""})
    assert r.status_code == 302
    db_session.expire_all()
    assert db_session.get(ProjectWork, project_id).deadline is None
    other = make.cohort(code="PJ-WEB2", programme="TCH-SUS", format_code="full_time", participants=0, trainer=trainer)
    assert client.get(f"/cohorts/{other.code}/projects/{project_id}").status_code == 404
