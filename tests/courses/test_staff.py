"""A cohort's staff (trainers, curator, assessors) set on its participants page or by the CLI."""
from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.courses.services import cohorts
from lms.db import db


def test_a_cohort_manager_adds_and_removes_staff_who_then_may_or_may_not_open_it(client, auth, make, db_session):
    cohort = make.cohort("STAFF-1", participants=1)
    make.user("methodologist", email="staff-method@test.kz")
    make.user(email="new-trainer@test.kz")
    auth.login("new-trainer@test.kz")
    assert client.get(f"/cohorts/{cohort.code}").status_code == 403
    auth.logout()

    auth.login("staff-method@test.kz")
    page = client.get(f"/cohorts/{cohort.code}/participants").text
    assert 'id="staff"' in page and f'action="/cohorts/{cohort.code}/staff"' in page
    missing = client.post(f"/cohorts/{cohort.code}/staff", data={"email": "nobody@test.kz", "role": "trainer"})
    assert missing.status_code == 400 and 'class="error"' in missing.text
    participant = client.post(f"/cohorts/{cohort.code}/staff", data={"email": "staff-1-p01@test.kz",
                                                                       "role": "trainer"})
    assert participant.status_code == 400  # a participant cannot also be the cohort's staff
    added = client.post(f"/cohorts/{cohort.code}/staff", data={"email": "NEW-trainer@test.kz", "role": "trainer"})
    assert added.status_code == 302 and added.headers["Location"].endswith("#staff")
    auth.logout()

    auth.login("new-trainer@test.kz")
    assert client.get(f"/cohorts/{cohort.code}").status_code == 200
    assert client.post(f"/cohorts/{cohort.code}/staff", data={"email": "x@test.kz", "role": "curator"}).status_code == 403
    auth.logout()

    auth.login("staff-method@test.kz")
    trainer = cohorts.staff(cohort, "trainer")[0]
    r = client.post(f"/cohorts/{cohort.code}/staff/remove", data={"user_id": trainer.id, "role": "trainer"})
    assert r.status_code == 302
    auth.logout()
    auth.login("new-trainer@test.kz")
    assert client.get(f"/cohorts/{cohort.code}").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["role_assigned", "role_removed"]), AuditEntry.object_id == str(trainer.id))) == 2


def test_the_cli_sets_and_removes_a_staff_role(runner, make, db_session):
    cohort = make.cohort("STAFF-CLI", participants=0)
    make.user(email="cli-curator@test.kz")
    result = runner.invoke(args=["users", "staff", "cli-curator@test.kz", "--cohort", "staff-cli", "--role", "curator"])
    assert result.exit_code == 0 and "is curator" in result.output
    assert [u.email for u in cohorts.staff(cohort, "curator")] == ["cli-curator@test.kz"]
    result = runner.invoke(args=["users", "staff", "cli-curator@test.kz", "--cohort", "STAFF-CLI", "--role", "curator",
                                 "--remove"])
    assert result.exit_code == 0 and "no longer" in result.output
    assert cohorts.staff(cohort, "curator") == []
    bad = runner.invoke(args=["users", "staff", "ghost@test.kz", "--cohort", "STAFF-CLI", "--role", "trainer"])
    assert bad.exit_code == 1 and "ghost@test.kz" in bad.output


def test_the_cli_gives_a_programme_role_on_its_newest_approved_version(runner, make, db_session):
    from lms.courses import services
    from lms.courses.services import programmes

    make.user(email="cli-assessor@test.kz")
    result = runner.invoke(args=["users", "staff", "cli-assessor@test.kz", "--programme", "ldr-dt", "--role",
                                 "assessor"])
    p = services.get_programme("LDR-DT")
    assert result.exit_code == 0 and f"LDR-DT v{p.version}: cli-assessor@test.kz is assessor" in result.output
    assert [u.email for u in programmes.staff_by_role(p)["assessor"]] == ["cli-assessor@test.kz"]
    both = runner.invoke(args=["users", "staff", "cli-assessor@test.kz", "--programme", "LDR-DT", "--cohort", "X",
                               "--role", "assessor"])
    assert both.exit_code == 2 and "either --cohort or --programme" in both.output
    missing = runner.invoke(args=["users", "staff", "cli-assessor@test.kz", "--programme", "NOPE", "--role", "trainer"])
    assert missing.exit_code == 1 and "no programme NOPE" in missing.output


def test_a_cohort_manager_changes_a_participants_status_and_completion_opens_the_support_year(
        client, auth, make, db_session):
    from lms.courses.models import Enrolment
    from lms.postcourse.models import SupportPlan

    cohort = make.cohort("STATUS-1", programme="LDR-DT", format_code="blended", participants=2)
    other = make.cohort("STATUS-2", participants=1)
    first, second = cohort.enrolments
    make.user("methodologist", email="status-method@test.kz")
    auth.login("status-method@test.kz")
    page = client.get(f"/cohorts/{cohort.code}/participants").text
    assert f'/participants/{first.id}/status"' in page
    url = f"/cohorts/{cohort.code}/participants/{first.id}/status"
    assert client.post(url, data={"status": "withdrawn"}).status_code == 302
    bad = client.post(url, data={"status": "expelled"}, follow_redirects=True)
    assert "flash error" in bad.text
    client.post(f"/cohorts/{cohort.code}/participants/{second.id}/status", data={"status": "completed"})
    wrong_cohort = client.post(f"/cohorts/{other.code}/participants/{first.id}/status", data={"status": "enrolled"})
    assert wrong_cohort.status_code == 404
    db_session.expire_all()
    assert db.session.get(Enrolment, first.id).status == "withdrawn"
    assert db.session.get(Enrolment, second.id).status == "completed"
    assert [p.enrolment_id for p in db.session.scalars(select(SupportPlan))] == [second.id]
    auth.logout()
    auth.login("status-1-p01@test.kz")
    assert client.post(url, data={"status": "enrolled"}).status_code == 403


def test_a_programmes_staff_work_in_all_its_cohorts_and_stay_for_its_next_version(app, client, auth, make,
                                                                                   db_session):
    from lms.courses import services
    from lms.courses.models import Programme
    from lms.courses.services import programmes

    ldr, tch = make.cohort("PSTAFF-LDR", participants=0), make.cohort("PSTAFF-TCH", programme="TCH-SUS",
                                                                      participants=0)
    make.user("methodologist", email="p-method@test.kz", language="en")
    make.user(email="p-trainer@test.kz", full_name="Бағдарлама Тренері")
    p = ldr.programme
    url = f"/programmes/{p.code}/v{p.version}"

    auth.login("p-trainer@test.kz")
    assert client.get(f"/cohorts/{ldr.code}").status_code == 403
    assert 'id="staff"' not in client.get(url).text  # the public page shows no staff to others
    assert client.post(f"{url}/staff", data={"email": "p-trainer@test.kz", "role": "trainer"}).status_code == 403
    auth.logout()

    auth.login("p-method@test.kz")
    page = client.get(url).text
    assert 'id="staff"' in page and "hold in every cohort of this version" in page
    missing = client.post(f"{url}/staff", data={"email": "nobody@test.kz", "role": "trainer"})
    assert missing.status_code == 400 and "No account has this e-mail" in missing.text
    added = client.post(f"{url}/staff", data={"email": "p-trainer@test.kz", "role": "trainer"})
    assert added.status_code == 302 and added.headers["Location"].endswith("#staff")
    assert "Бағдарлама Тренері" in client.get(url).text
    auth.logout()

    auth.login("p-trainer@test.kz")  # teaches every cohort of this programme, and no other
    assert client.get(f"/cohorts/{ldr.code}").status_code == 200
    assert client.get(f"/cohorts/{tch.code}").status_code == 403
    auth.logout()

    with app.app_context():
        p = db_session.get(Programme, p.id)
        draft = services.new_version(p, None)  # the next version keeps its staff
        assert [u.email for u in programmes.staff_by_role(draft)["trainer"]] == ["p-trainer@test.kz"]
        db_session.commit()

    auth.login("p-method@test.kz")
    trainer = programmes.staff_by_role(p)["trainer"][0]
    removed = client.post(f"{url}/staff/remove", data={"user_id": trainer.id, "role": "trainer"})
    assert removed.status_code == 302
    assert programmes.staff_by_role(p)["trainer"] == [] and programmes.staff_by_role(draft)["trainer"] != []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "role_removed", AuditEntry.object_id == str(trainer.id))) == 1
    auth.logout()
    auth.login("p-trainer@test.kz")
    assert client.get(f"/cohorts/{ldr.code}").status_code == 403


def test_a_staff_removal_naming_an_impossible_account_changes_nothing(client, auth, make, db_session):
    cohort = make.cohort("STAFF-HUGE", participants=0)
    make.user("methodologist", email="huge-method@test.kz")
    auth.login("huge-method@test.kz")
    r = client.post(f"/cohorts/{cohort.code}/staff/remove", data={"user_id": str(10**30), "role": "trainer"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#staff")
    assert client.get(f"/cohorts/{cohort.code}/schedule?edit={10**30}&at={10**30}").status_code == 200
