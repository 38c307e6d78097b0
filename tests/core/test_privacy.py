"""A person downloads what the site holds about them; an administrator does it for them."""
import json
import zipfile

from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services import mail, tokens
from lms.db import db
from tests.conftest import personal_data, zip_text


def test_a_person_downloads_their_own_data_and_nothing_of_anyone_else(app, client, auth, make):
    me = make.user(email="me@test.kz", full_name="Әлия Сәрсенова")
    other = make.user(email="other@test.kz", full_name="Бөтен Адам")
    tokens.create_token(me, "Телефон")
    _, secret = tokens.create_token(other, "Басқа")
    mail.queue("t:1", me.email, "Сізге хат", "Сәлем, Әлия")
    mail.queue("t:2", other.email, "Басқаға хат", "Сәлем")
    db.session.commit()

    auth.login("me@test.kz")
    page = client.get("/profile").get_data(as_text=True)
    assert 'action="/profile/my-data.zip"' in page
    assert client.get("/profile/my-data.zip").status_code == 405  # it leaves a trace: POST only

    archive = personal_data(client.post("/profile/my-data.zip"))
    core = json.loads(archive.read("core/data.json"))
    assert core["account"][0]["email"] == "me@test.kz"
    assert core["account"][0]["full_name"] == "Әлия Сәрсенова"
    assert [t["name"] for t in core["api_tokens"]] == ["Телефон"]
    assert [m["subject"] for m in core["emails"]] == ["Сізге хат"]
    everything = zip_text(archive)
    assert "other@test.kz" not in everything and "Бөтен" not in everything and "Басқа" not in everything
    assert secret not in everything
    assert "password_hash" not in everything and me.password_hash not in everything
    summary = json.loads(archive.read("export.json"))
    assert summary["email"] == "me@test.kz" and summary["rows"]["core"] >= 3

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data_exported")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (me.id, "User", str(me.id))
    # the next export lists that act among the person's own
    core = json.loads(personal_data(client.post("/profile/my-data.zip")).read("core/data.json"))
    assert {"action": "personal_data_exported", "by_me": True} in [
        {k: e[k] for k in ("action", "by_me")} for e in core["audit_log"]]


def test_downloads_are_limited_per_person(client, auth, make):
    make.user(email="me@test.kz")
    auth.login("me@test.kz")
    codes = []
    for _ in range(6):
        with client.post("/profile/my-data.zip") as response:
            codes.append(response.status_code)
    assert codes == [200] * 5 + [429]


def test_an_administrator_exports_a_persons_data_and_a_methodologist_may_not(client, auth, make):
    person = make.user(email="person@test.kz", full_name="Сұраушы Адам")
    make.user("admin", email="admin@test.kz")
    make.user("methodologist", email="method@test.kz")

    auth.login("method@test.kz")
    assert 'id="user-data"' not in client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{person.id}/data.zip").status_code == 403
    auth.logout()

    auth.login("admin@test.kz")
    assert 'id="user-data"' in client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    archive = personal_data(client.post(f"/admin/users/{person.id}/data.zip"))
    assert json.loads(archive.read("core/data.json"))["account"][0]["email"] == "person@test.kz"
    assert "admin@test.kz" not in zip_text(archive)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data_exported")).one()
    assert entry.object_id == str(person.id) and entry.actor_id != person.id
    assert client.post("/admin/users/999999/data.zip").status_code == 404


def test_the_command_line_writes_a_persons_data_for_the_centre(runner, make, tmp_path):
    make.user(email="person@test.kz", full_name="Сұраушы Адам")
    target = tmp_path / "person.zip"
    result = runner.invoke(args=["users", "export-data", "person@test.kz", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "core" in result.output
    with zipfile.ZipFile(target) as archive:
        assert json.loads(archive.read("core/data.json"))["account"][0]["full_name"] == "Сұраушы Адам"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data_exported")).one()
    assert entry.actor_id is None  # the command line, not the person
    assert runner.invoke(args=["users", "export-data", "nobody@test.kz", "-o", str(target)]).exit_code != 0
