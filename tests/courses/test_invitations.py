"""Roles named with their cohorts on the profile, and a cohort's participants invited to
choose their first password (an import creates accounts without one)."""

from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.db import db
from tests.conftest import password_link


def test_the_profile_names_roles_and_where_they_are_held(client, auth, make, db_session):
    trainer = make.user(email="coach@test.kz")
    cohort = make.cohort("PROF-1", participants=1, trainer=trainer)
    auth.login("coach@test.kz")
    page = client.get("/profile", headers={"Accept-Language": "en"}).text
    assert f'<a href="/cohorts/{cohort.code}">{cohort.code}</a>' in page
    assert "cohort " not in page  # not the context's level and id
    auth.logout()
    auth.login("prof-1-p01@test.kz")
    client.post("/language", data={"language": "kk"})
    page = client.get("/profile").text
    assert "тыңдаушы" in page  # the role's name, in Kazakh
    assert f'<a href="/cohorts/{cohort.code}/me">{cohort.code}</a>' in page  # the page a participant may open
    assert client.get(f"/cohorts/{cohort.code}/me").status_code == 200


def test_a_cohort_manager_invites_the_imported_participants_without_a_password(
        client, auth, make, outbox, db_session):
    cohort = make.cohort("INV-1", participants=1)
    from lms.courses.services import cohorts

    fresh = [make.user(email=f"new{i}@test.kz", password=None, language="kk") for i in (1, 2)]
    for user in fresh:
        cohorts.enrol(cohort, user, None)
    db.session.commit()
    make.user("methodologist", email="method@test.kz")

    auth.login("inv-1-p01@test.kz")
    assert client.post(f"/cohorts/{cohort.code}/participants/invite").status_code == 403
    auth.logout()
    auth.login("method@test.kz")
    page = client.get(f"/cohorts/{cohort.code}/participants").text
    assert 'id="invite"' in page and "2" in page
    r = client.post(f"/cohorts/{cohort.code}/participants/invite", follow_redirects=True)
    assert r.status_code == 200
    messages = outbox()
    assert sorted(m["To"] for m in messages) == ["new1@test.kz", "new2@test.kz"]  # not the one with a password
    assert "14" in messages[0].get_body().get_content()
    client.post(f"/cohorts/{cohort.code}/participants/invite")
    assert len(outbox()) == 2  # nobody twice a day
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "password_invitations_queued")) == 1
    auth.logout()

    link = password_link(next(m for m in messages if m["To"] == "new1@test.kz"))
    assert client.post(link, data={"password": "менің құпиям", "confirm": "менің құпиям"}).status_code == 302
    auth.logout()
    assert auth.login("new1@test.kz", "менің құпиям").status_code == 302
    auth.logout()
    auth.login("method@test.kz")
    page = client.get(f"/cohorts/{cohort.code}/participants").text
    assert 'id="invite"' in page  # one still has no password
    db_session.expire_all()


def test_the_cli_invites_a_cohort_and_refuses_an_unknown_one(runner, make, outbox, db_session):
    cohort = make.cohort("INV-CLI", participants=1)
    from lms.courses.services import cohorts

    cohorts.enrol(cohort, make.user(email="cli-new@test.kz", password=None), None)
    db.session.commit()
    result = runner.invoke(args=["users", "invite", "--cohort", "inv-cli"])
    assert result.exit_code == 0, result.output
    assert "1 invitation(s)" in result.output and "cli-new@test.kz" in result.output
    assert [m["To"] for m in outbox()] == ["cli-new@test.kz"]
    missing = runner.invoke(args=["users", "invite", "--cohort", "NO-SUCH"])
    assert missing.exit_code == 1 and "NO-SUCH" in missing.output


def test_a_finished_cohort_invites_nobody(client, auth, make, outbox, db_session):
    cohort = make.cohort("INV-OLD", participants=0)
    from lms.courses.services import cohorts

    cohorts.enrol(cohort, make.user(email="late-new@test.kz", password=None), None)
    cohort.status = "finished"
    db.session.commit()
    make.user("methodologist", email="method2@test.kz")
    auth.login("method2@test.kz")
    r = client.post(f"/cohorts/{cohort.code}/participants/invite", follow_redirects=True,
                    headers={"Accept-Language": "en"})
    assert "flash error" in r.text and "INV-OLD" in r.text
    assert outbox() == []
