"""A person's data export holds their portfolio, their team's project versions, their defense
and grades as their own pages show them and their certificates with the PDF they may download;
an assessor's and a chair's hold what they scored, decided and marked, by ids. Nobody else's
name, work or unreleased comments, no assessor's name, no share-link token."""
import json
import zipfile

import pytest

from lms.courses.services import cohorts
from lms.db import db
from lms.portfolio.services import artefacts, defenses, gradebook, projects, rubrics
from lms.portfolio.services import certificates as certificate_service
from tests.conftest import CONTENT, personal_data, zip_text
from tests.portfolio.test_certificates import final_test, take

PLAN = b"%PDF-1.4 my lesson plan"
WORK = b"PK\x03\x04 my project, version 1"
THEIRS = b"%PDF-1.4 somebody else's work"


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    return tmp_path / "files"


def _export(client, auth, email) -> tuple[zipfile.ZipFile, dict]:
    auth.login(email)
    archive = personal_data(client.post("/profile/my-data.zip"))
    auth.logout()
    return archive, json.loads(archive.read("portfolio/data.json"))


def _scores(points: list[int], comment: str) -> dict:
    return {f"T{n}": {"points": p, "comment": f"{comment} T{n}"} for n, p in enumerate(points, start=1)}


@pytest.fixture
def course(app, make, db_session):
    """A TCH-SUS cohort: my portfolio item, a share link, my project version and another's, a
    reconciled and released defense, a second one still being scored, marks by the trainer."""
    chair = make.user(email="prv-chair@test.kz", full_name="Төраға Тренерова")
    first = make.user(email="prv-a1@test.kz", full_name="Сарапшы Бірінші")
    second = make.user(email="prv-a2@test.kz", full_name="Сарапшы Екінші")
    me_user = make.user(email="prv-me@test.kz", full_name="Әлия Сәрсенова")
    other_user = make.user(email="prv-other@test.kz", full_name="Бөтен Қатысушы")
    cohort = make.cohort(code="PRV-TCH", programme="TCH-SUS", format_code="full_time", participants=0, trainer=chair)
    with app.test_request_context():  # the services ask the app for the file store and capabilities
        rubrics.load_rubrics(CONTENT / "rubrics")
        me = cohorts.enrol(cohort, me_user, None)
        other = cohorts.enrol(cohort, other_user, None)
        for assessor in (first, second):
            cohorts.assign_staff(cohort, assessor, "assessor", None)
        item = artefacts.save_artefact(me, {"section": "work", "kind": "file", "title": "Менің сабақ жоспарым"},
                                       (PLAN, "жоспар.pdf"), me_user)
        artefacts.save_artefact(other, {"section": "work", "kind": "text", "title": "Бөтеннің жұмысы",
                                        "text": "Бөтеннің мәтіні"}, None, other_user)
        link, token = artefacts.create_share_link(me, 7, me_user)
        project = projects.save_project(cohort, {"title": "Цифрлық сабақ", "mode": "individual"}, chair)
        projects.submit_version(project, me, {"title": "Менің жобам", "text": "Менің жоба мәтінім"},
                                (WORK, "жоба.docx"), me_user)
        projects.submit_version(project, other, {"text": "Бөтеннің жобасы"}, (THEIRS, "бөтен.pdf"), other_user)

        sessions = []
        for title in ("Бірінші қорғау", "Екінші қорғау"):
            session = defenses.create_session(cohort, {"title": title, "rubric": rubrics.current_rubric(
                "TCH-SUS-DEFENSE"), "aggregation": "mean", "spread_threshold": 3}, chair)
            defenses.set_panel(session, [first, second], chair, chair)
            slots = {d.enrolment_id: d for d in defenses.generate_slots(session, chair, mode="individual")}
            sessions.append(slots)
        released, pending = sessions[0][me.id], sessions[1][me.id]
        defenses.save_scores(released, first, _scores([2] * 7, "Бірінші пікір"), submit=True)
        defenses.save_scores(released, second, _scores([1] * 6 + [2], "Екінші пікір"), submit=True)
        assert released.status == "reconcile"  # 14 and 8: the chair decides
        defenses.reconcile(released, chair, points=11, note="Төраға жазбасы")
        defenses.release(released, chair, "Жақсы қорғау")
        defenses.save_scores(sessions[0][other.id], first, _scores([1] * 7, "Бөтенге пікір"), submit=True)
        defenses.save_scores(pending, first, _scores([0] * 7, "Жарияланбаған пікір"), submit=True)
        gradebook.set_marks(cohort, {(me.id, "activity"): "15", (other.id, "activity"): "7"}, chair,
                            note="Бірінші апта")
        db.session.commit()
        return {"me": me.id, "other": other.id, "item": item.id, "token": token, "hash": link.token_hash,
                "released": released.id, "pending": pending.id, "other_slot": sessions[0][other.id].id,
                "sessions": [s[me.id].session_id for s in sessions]}


def test_my_portfolio_project_defense_and_grades_as_my_pages_show_them(client, auth, course):
    archive, data = _export(client, auth, "prv-me@test.kz")
    [item] = data["portfolio_items"]
    assert (item["id"], item["title"], item["cohort"], item["kind"]) == (course["item"], "Менің сабақ жоспарым",
                                                                          "PRV-TCH", "file")
    assert archive.read("portfolio/" + item["file"]) == PLAN
    [link] = data["share_links"]
    assert link["expires_at"] and link["revoked_at"] is None and set(link) == {"cohort", "created_at", "expires_at",
                                                                              "revoked_at"}
    [version] = data["project_versions"]
    assert (version["project"], version["title"], version["text"], version["version"]) == (
        "Цифрлық сабақ", "Менің жобам", "Менің жоба мәтінім", 1)
    assert version["handed_in_by_me"] is True and version["late"] is False
    assert archive.read("portfolio/" + version["file"]) == WORK

    released, pending = data["defenses"]
    assert (released["defense_id"], pending["defense_id"]) == (course["released"], course["pending"])
    assert (released["points"], released["max_points"], released["grade"], released["passed"]) == (11, 14, "4", True)
    assert released["feedback"] == "Жақсы қорғау" and released["grade_label"]["kk"] == "жақсы"
    t1 = next(c for c in released["criteria"] if c["criterion"] == "T1")
    assert t1["assessors"] == [{"assessor": 1, "points": 2, "comment": "Бірінші пікір T1"},
                               {"assessor": 2, "points": 1, "comment": "Екінші пікір T1"}]
    assert pending["released"] is False and "points" not in pending and "criteria" not in pending

    [grades] = data["grades"]
    cells = {c["component"]: c for c in grades["components"]}
    assert (cells["activity"]["result"], cells["activity"]["out_of"], cells["activity"]["points"]) == (15, 20, 15)
    assert cells["final_work"]["result"] == 11 and cells["final_work"]["points"] == 11
    assert cells["final_test"]["pending"] == "no_attempt"
    assert data["certificates"] == [] and data["assessments_given"] == [] and data["marks_given"] == []

    everything = zip_text(archive)
    for withheld in ("Бөтен", "prv-other@test.kz", "Сарапшы", "Тренерова", "Жарияланбаған пікір", "Төраға жазбасы",
                     "Бірінші апта", course["token"], course["hash"]):
        assert withheld not in everything, withheld
    assert THEIRS.decode() not in everything


def test_an_assessor_and_a_chair_get_what_they_scored_decided_and_marked_by_ids(client, auth, course):
    archive, data = _export(client, auth, "prv-a1@test.kz")
    assert [(s["session_id"], s["chair"]) for s in data["panel_seats"]] == [(i, False) for i in course["sessions"]]
    given = {a["defense_id"]: a for a in data["assessments_given"]}
    assert set(given) == {course["released"], course["other_slot"], course["pending"]}
    assert given[course["other_slot"]]["scores"]["T3"] == {"points": 1, "comment": "Бөтенге пікір T3"}
    assert given[course["released"]]["total"] == 14 and given[course["released"]]["status"] == "submitted"
    assert data["portfolio_items"] == [] and data["defenses"] == []
    mine = zip_text(archive, "portfolio/")
    for name in ("Әлия", "Бөтен Қатысушы", "prv-me@test.kz", "prv-other@test.kz", "Екінші пікір", "Сарапшы Екінші"):
        assert name not in mine, name

    archive, data = _export(client, auth, "prv-chair@test.kz")
    assert [(s["session_id"], s["chair"]) for s in data["panel_seats"]] == [(i, True) for i in course["sessions"]]
    assert data["assessments_given"] == []
    assert [(r["defense_id"], r["points"], r["note"]) for r in data["reconciliations_made"]] == [
        (course["released"], 11, "Төраға жазбасы")]
    assert sorted((m["enrolment_id"], m["component"], m["points"], m["note"]) for m in data["marks_given"]) == sorted(
        [(course["me"], "activity", 15, "Бірінші апта"), (course["other"], "activity", 7, "Бірінші апта")])
    mine = zip_text(archive, "portfolio/")
    for name in ("Әлия", "Бөтен Қатысушы", "prv-me@test.kz", "Сарапшы"):
        assert name not in mine, name


def test_a_group_version_shows_who_handed_it_in_and_no_other_groups_work(app, client, auth, make, db_session):
    cohort = make.cohort(code="PRV-GRP", participants=0, mini_groups=2)
    people = {}
    with app.test_request_context():
        for email, name, group in (("g-me", "Менің Атым", 1), ("g-mate", "Топтас Досым", 1),
                                   ("g-far", "Бөтен Топтағы", 2)):
            people[email] = cohorts.enrol(cohort, make.user(email=f"{email}@test.kz", full_name=name), None,
                                          mini_group=group)
        project = projects.save_project(cohort, {"title": "Топтық жоба", "mode": "group"}, None)
        projects.submit_version(project, people["g-mate"], {"text": "Топтың бірінші нұсқасы"}, (WORK, "топ.docx"),
                                people["g-mate"].user)
        projects.submit_version(project, people["g-me"], {"text": "Топтың екінші нұсқасы"}, None, people["g-me"].user)
        projects.submit_version(project, people["g-far"], {"text": "Бөтен топтың жұмысы"}, (THEIRS, "бөтен.pdf"),
                                people["g-far"].user)
        db.session.commit()

    archive, data = _export(client, auth, "g-me@test.kz")
    rows = [(v["version"], v["mini_group"], v["text"], v["handed_in_by_me"], v["handed_in_by"])
            for v in data["project_versions"]]
    assert rows == [(1, 1, "Топтың бірінші нұсқасы", False, "Топтас Досым"),  # as my project page names them
                    (2, 1, "Топтың екінші нұсқасы", True, "Менің Атым")]
    assert archive.read("portfolio/" + data["project_versions"][0]["file"]) == WORK
    everything = zip_text(archive)
    assert "Бөтен" not in everything and "g-far@test.kz" not in everything and "g-mate@test.kz" not in everything
    assert THEIRS.decode() not in everything


def test_my_certificates_revoked_one_with_its_reason_and_the_valid_ones_pdf(app, client, auth, make, db_session):
    cohort = make.cohort(code="PRV-DT", programme="LDR-DT", format_code="blended", participants=0)
    with app.test_request_context():
        me = cohorts.enrol(cohort, make.user(email="c-me@test.kz", full_name="Әлия Сертификатова"), None)
        other = cohorts.enrol(cohort, make.user(email="c-other@test.kz", full_name="Бөтен Иесі"), None)
        test, versions = final_test(cohort, db_session)
        take(test, versions, me, 15)
        take(test, versions, other, 18)
        revoked = certificate_service.issue(me, "kk", None)
        certificate_service.revoke(revoked, "Қате берілді", None)
        valid = certificate_service.issue(me, "kk", None)
        theirs = certificate_service.issue(other, "kk", None)
        pdf = certificate_service.pdf_bytes(valid)
        db.session.commit()
        numbers = revoked.number, valid.number, theirs.number

    archive, data = _export(client, auth, "c-me@test.kz")
    first, second = data["certificates"]
    assert (first["number"], first["revoke_reason"], first["pdf"]) == (numbers[0], "Қате берілді", None)
    assert first["revoked_at"] is not None
    assert (second["number"], second["revoked_at"], second["holder_name"]) == (numbers[1], None, "Әлия Сертификатова")
    assert second["programme_code"] == "LDR-DT" and second["hours"] == 80
    assert archive.read("portfolio/" + second["pdf"]) == pdf
    assert [n for n in archive.namelist() if n.endswith(".pdf")] == ["portfolio/" + second["pdf"]]
    everything = zip_text(archive)
    assert numbers[2] not in everything and "Бөтен" not in everything and "c-other@test.kz" not in everything


def test_erasure_takes_my_portfolio_and_links_and_keeps_what_was_assessed(app, client, auth, course, files_dir):
    from sqlalchemy import select

    from lms.core.models import AuditEntry, OutboxMessage, User
    from lms.core.services import erasure, mail
    from lms.courses.models import Enrolment
    from lms.portfolio.models import Artefact, Defense, ProjectSubmission, ShareLink

    assert client.get(f"/p/{course['token']}").status_code == 200
    with app.test_request_context():
        me = db.session.get(Enrolment, course["me"])
        artefacts.save_artefact(me, {"section": "submission", "kind": "text", "title": "Тапсырылған портфолио",
                                     "text": "Бағаланған мәтін"}, None, me.user)
        # a link anyone may hold: the cohort's webinar, e-mailed to another participant too
        webinar = "https://meet.example.kz/prv-tch-webinar-room"
        artefacts.save_artefact(me, {"section": "work", "kind": "link", "title": "Вебинар", "link": webinar},
                                None, me.user)
        mail.queue("t:webinar", "prv-other@test.kz", "Вебинар", f"Сілтеме: {webinar}")
        db.session.commit()
        done = erasure.erase(db.session.get(User, me.user_id), None, "өтініш")
        db.session.commit()
        assert erasure.remove_unheld_files(done) == 1  # my plan's bytes; nobody else's
    mine = db.session.scalars(select(Artefact).where(Artefact.enrolment_id == course["me"])).all()
    assert [a.section for a in mine] == ["submission"]  # what the gradebook's portfolio component counts
    assert db.session.scalars(select(Artefact).where(Artefact.enrolment_id == course["other"])).one()
    assert db.session.scalars(select(ShareLink)).all() == []
    assert client.get(f"/p/{course['token']}").status_code == 404
    # the project version and the released defense stay: the grade rests on them
    assert db.session.scalars(select(ProjectSubmission.title).where(ProjectSubmission.submitted_by_id ==
                                                                    course["me"])).all() == ["Менің жобам"]
    assert db.session.get(Defense, course["released"]).released_at is not None
    assert len(list(files_dir.rglob("*"))) > 0 and PLAN not in b"".join(
        p.read_bytes() for p in files_dir.rglob("*") if p.is_file())
    assert done.counts["portfolio.items"] == 2 and done.counts["portfolio.share_links"] == 1
    assert db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.key == "t:webinar")).one() == \
        f"Сілтеме: {webinar}"  # the other's e-mail keeps the link
    # the log keeps that an item was added, without its title; what was handed in keeps its own
    logged = db.session.scalars(select(AuditEntry.summary).where(AuditEntry.action.in_(
        ("artefact_added", "portfolio_handed_in")))).all()
    assert "Менің сабақ жоспарым" not in " ".join(logged) and "work/file: —" in logged
    assert "submission/text: Тапсырылған портфолио" in logged and "work/text: Бөтеннің жұмысы" in logged
