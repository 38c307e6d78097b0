"""Erasing a person's data on their request: the administrator types the account's e-mail and
the reason; the name, e-mail, password, tokens, roles, e-mails and the audit log's mentions go,
the account stays disabled for good as a pseudonym; a refusal changes nothing."""
import json

import pytest
from sqlalchemy import func, select

from lms.core.models import ApiToken, AuditEntry, OutboxMessage, User
from lms.core.services import audit, erasure, mail, tokens
from lms.core.services.errors import Conflict
from lms.db import db
from tests.conftest import personal_data


def _person(make):
    person = make.user("trainer", email="aliya@test.kz", full_name="Әлия Сәрсенова")
    other = make.user(email="other@test.kz", full_name="Бөтен Адам")
    tokens.create_token(person, "Телефон")
    mail.queue("t:1", person.email, "Сізге хат", "Сәлем, Әлия Сәрсенова")
    mail.queue("t:2", other.email, "Басқаға хат", "Әлия Сәрсенова (aliya@test.kz) жазды: сәлем")
    audit.record(None, "user_updated", person, "email: old@test.kz -> aliya@test.kz; full_name: Әлия -> Әлия Сәрсенова")
    audit.record(None, "password_invitations_queued", ("Cohort", 1), "to 2", to=["aliya@test.kz", "other@test.kz"],
                 names=["Әлия Сәрсенова"])
    db.session.commit()
    return person, other


def test_an_administrator_erases_a_persons_data_on_the_page(app, client, auth, make, db_session):
    person, other = _person(make)
    admin = make.user("admin", email="admin@test.kz")
    make.user("methodologist", email="method@test.kz")
    person_id = person.id

    auth.login("method@test.kz")  # may manage accounts, may not erase them
    assert 'id="user-erase"' not in client.get(f"/admin/users/{person_id}").text
    assert client.post(f"/admin/users/{person_id}/erase", data={"confirm_email": "aliya@test.kz",
                                                                "reason": "өтініш"}).status_code == 403
    auth.logout()

    auth.login("admin@test.kz")
    page = client.get(f"/admin/users/{person_id}").text
    assert 'id="user-erase"' in page and f'action="/admin/users/{person_id}/erase"' in page
    assert "ең жаңа 14 көшірме сақталады" in page  # what the backups keep, and that a restore erases again
    assert 'id="user-erase"' not in client.get(f"/admin/users/{admin.id}").text  # not one's own

    # a mistyped e-mail: refused under its field, nothing changed
    r = client.post(f"/admin/users/{person_id}/erase", data={"confirm_email": "aliya@test.k", "reason": "өтініш"})
    assert r.status_code == 400 and "aliya@test.kz" in r.text and 'role="alert"' in r.text
    db_session.expire_all()
    assert db_session.get(User, person_id).full_name == "Әлия Сәрсенова"
    r = client.post(f"/admin/users/{person_id}/erase", data={"confirm_email": "aliya@test.kz", "reason": " "})
    assert r.status_code == 400 and db_session.get(User, person_id).erased_at is None

    r = client.post(f"/admin/users/{person_id}/erase",
                    data={"confirm_email": "ALIYA@test.kz ", "reason": "Өтініш №12, 30.11.2026"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/users/{person_id}")
    db_session.expire_all()
    person = db_session.get(User, person_id)
    assert person.full_name == f"Өшірілген / Удалён №{person_id}"
    assert person.email == f"erased-{person_id}@erased.invalid"
    assert person.password_hash is None and not person.is_active_account and person.erased_at is not None
    assert person.role_assignments == []
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == person_id)) == 0
    [kept] = db_session.scalars(select(OutboxMessage)).all()  # the e-mail to another names them no more
    assert (kept.to_email, kept.body) == ("other@test.kz", f"Өшірілген / Удалён №{person_id} "
                                                           f"(erased-{person_id}@erased.invalid) жазды: сәлем")

    log = {e.action: e for e in db_session.scalars(select(AuditEntry))}
    assert "Сәрсенова" not in log["user_updated"].summary and "aliya@" not in log["user_updated"].summary
    assert log["password_invitations_queued"].details == {
        "to": [f"erased-{person_id}@erased.invalid", "other@test.kz"], "names": [f"Өшірілген / Удалён №{person_id}"]}
    done = log["personal_data_erased"]
    assert (done.actor_id, done.object_id) == (admin.id, str(person_id))
    assert done.summary == f"#{person_id}: Өтініш №12, 30.11.2026" and done.details["rows"]["core.api_tokens"] == 1

    page = client.get(f"/admin/users/{person_id}").text
    assert 'id="erased"' in page and 'id="user-erase"' not in page and 'name="full_name"' not in page
    # the account changes no more: no new name, no enabling, no second erasure
    r = client.post(f"/admin/users/{person_id}", data={"email": "aliya@test.kz", "full_name": "Әлия",
                                                         "language": "kk"})
    assert "оны өзгертуге болмайды" in r.text and db_session.get(User, person_id).email.startswith("erased-")
    client.post(f"/admin/users/{person_id}/active", data={"active": "1"})
    db_session.expire_all()
    assert not db_session.get(User, person_id).is_active_account
    r = client.post(f"/admin/users/{person_id}/erase", data={"confirm_email": person.email, "reason": "again"})
    assert r.status_code == 400 and "бұрын өшірілген" in r.text
    auth.logout()
    auth.login("aliya@test.kz")  # the old credentials open nothing
    assert client.get("/profile").status_code == 302


def test_an_administrator_cannot_erase_their_own_account(app, make, db_session):
    admin = make.user("admin", email="admin@test.kz", full_name="Бас Әкімші")
    db_session.commit()
    with pytest.raises(Conflict, match="another administrator"):
        erasure.erase(admin, admin, "өтініш")
    db_session.rollback()
    assert db_session.get(User, admin.id).full_name == "Бас Әкімші"


def test_the_command_line_erases_and_says_what_it_did(app, runner, make, db_session):
    person, _other = _person(make)
    person_id = person.id
    result = runner.invoke(args=["users", "erase", "aliya@test.kz", "--reason", "өтініш", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"account #{person_id}" in result.output and "core.api_tokens 1" in result.output
    db_session.expire_all()
    assert db_session.get(User, person_id).erased_at is not None
    result = runner.invoke(args=["users", "erase", f"erased-{person_id}@erased.invalid", "--reason", "x", "--yes"])
    assert result.exit_code == 1 and "already erased" in result.output
    result = runner.invoke(args=["users", "erase", "other@test.kz", "--reason", "", "--yes"])
    assert result.exit_code == 1 and "say why" in result.output


def test_the_ledger_names_an_erased_account_by_number_and_creation_only(app, runner, make, db_session):
    """What outlives the site's backups says nothing about the person: their account's number
    and the second it was created (so that a restore can tell it from another site's)."""
    person, _other = _person(make)
    created = person.created_at
    with app.app_context():
        ledger = erasure.ledger_path()
    ledger.unlink(missing_ok=True)
    assert runner.invoke(args=["users", "erase", "aliya@test.kz", "--reason", "өтініш", "--yes"]).exit_code == 0
    (line,) = ledger.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["account"] == person.id and entry["created"] == created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(entry) == {"account", "created", "erased"} and "aliya" not in line and "Әлия" not in line


def test_erasing_again_leaves_another_sites_account_and_names_a_bad_line(app, runner, make, db_session, tmp_path):
    person, other = _person(make)
    ledger = tmp_path / erasure.LEDGER
    ledger.write_text(json.dumps({"account": person.id, "created": "2001-01-01T00:00:00Z",
                                  "erased": "2026-01-01T00:00:00Z"}) + "\n", encoding="utf-8")
    with app.app_context():
        again = erasure.erase_again(ledger)
    assert again.other_site == [person.id] and again.erased == []
    db_session.expire_all()
    assert db_session.get(User, person.id).full_name == "Әлия Сәрсенова"

    ledger.write_text(ledger.read_text(encoding="utf-8") + "{\"account\": \n", encoding="utf-8")
    result = runner.invoke(args=["users", "erase-again", "--ledger", str(ledger)])
    assert result.exit_code == 1 and f"{ledger}, line 2: not an entry" in result.output
    db_session.expire_all()
    assert db_session.get(User, other.id).erased_at is None and db_session.get(User, person.id).erased_at is None


def test_a_name_another_account_shares_is_left_where_it_is_written(app, make, db_session):
    person = make.user(email="aliya@test.kz", full_name="Әлия Сәрсенова")
    namesake = make.user(email="aliya2@test.kz", full_name="Әлия Сәрсенова")
    audit.record(None, "user_updated", namesake, "full_name: Әлия -> Әлия Сәрсенова")
    mail.queue("t:3", namesake.email, "Хат", "Сәлем, Әлия Сәрсенова")
    db_session.commit()
    with app.app_context():
        done = erasure.erase(person, None, "өтініш")
        db_session.commit()
    assert db_session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "user_updated")).one() == \
        "full_name: Әлия -> Әлия Сәрсенова"
    assert db_session.scalars(select(OutboxMessage.body)).one() == "Сәлем, Әлия Сәрсенова"
    assert "core.emails_to_others" not in done.counts and person.email.startswith("erased-")


def test_a_person_asks_an_administrator_answers_and_the_request_is_done(app, client, auth, make, db_session):
    from lms.core.models import ErasureRequest

    person = make.user(email="aliya@test.kz", full_name="Әлия Сәрсенова")
    admin = make.user("admin", email="admin@test.kz", full_name="Бас Әкімші")
    make.user("methodologist", email="method@test.kz")
    db_session.commit()
    person_id = person.id

    auth.login("aliya@test.kz")
    page = client.get("/profile").text
    assert 'id="erasure-ask"' in page and 'id="erasure-pending"' not in page
    r = client.post("/profile/erasure-request", data={"note": "Курсты бітірдім"})  # not ticked: nothing asked
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert db_session.scalar(select(func.count()).select_from(ErasureRequest)) == 0
    r = client.post("/profile/erasure-request", data={"note": "Курсты бітірдім", "understood": "y"})
    assert r.status_code == 302
    page = client.get("/profile").text
    assert 'id="erasure-pending"' in page and 'id="erasure-ask"' not in page
    r = client.post("/profile/erasure-request", data={"understood": "y"})  # asked already
    assert r.status_code == 400 and db_session.scalar(select(func.count()).select_from(ErasureRequest)) == 1
    [told] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == "admin@test.kz")).all()
    assert "Әлия Сәрсенова" in told.body and f"/admin/users/{person_id}" in told.body  # the officer, not the methodologist
    client.post("/profile/erasure-request/withdraw")
    assert db_session.scalars(select(ErasureRequest.status)).one() == "withdrawn"
    client.post("/profile/erasure-request", data={"note": "Қайта сұраймын", "understood": "y"})
    auth.logout()

    auth.login("method@test.kz")
    assert client.get("/admin/erasure-requests").status_code == 403
    assert 'id="erasure-requests-link"' not in client.get("/admin/users").text
    auth.logout()
    auth.login("admin@test.kz")
    assert "1 күтуде" in client.get("/admin/users").text.split('id="erasure-requests-link"')[1].split("</a>")[0]
    listing = client.get("/admin/erasure-requests").text
    rows = listing.split('id="erasure-requests"')[1].split("</table>")[0].split("<tr data-status=")[1:]
    assert [row.split('"')[1] for row in rows] == ["pending", "withdrawn"]  # the waiting one first
    account = client.get(f"/admin/users/{person_id}").text
    assert 'id="erasure-asked"' in account and "Қайта сұраймын" in account
    [asked_id] = db_session.scalars(select(ErasureRequest.id).where(ErasureRequest.status == "pending")).all()
    r = client.post(f"/admin/erasure-requests/{asked_id}/refuse", data={"answer": ""})
    assert r.status_code == 400 and db_session.get(ErasureRequest, asked_id).status == "pending"
    r = client.post(f"/admin/erasure-requests/{asked_id}/refuse",
                    data={"answer": "Курс әлі аяқталған жоқ: 20 желтоқсаннан кейін қайта жазыңыз."})
    assert r.status_code == 302
    db_session.expire_all()
    refused = db_session.get(ErasureRequest, asked_id)
    assert (refused.status, refused.decided_by_id) == ("refused", admin.id)
    [letter] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == "aliya@test.kz")).all()
    assert "20 желтоқсаннан кейін" in letter.body
    auth.logout()

    auth.login("aliya@test.kz")  # they read why, and may ask again
    core = json.loads(personal_data(client.post("/profile/my-data.zip")).read("core/data.json"))
    assert [(r["status"], r["note"]) for r in core["erasure_requests"]] == [
        ("withdrawn", "Курсты бітірдім"), ("refused", "Қайта сұраймын")]
    page = client.get("/profile").text
    assert 'id="erasure-refused"' in page and "20 желтоқсаннан кейін" in page and 'id="erasure-ask"' in page
    client.post("/profile/erasure-request", data={"note": "Курс аяқталды", "understood": "y"})
    auth.logout()
    auth.login("admin@test.kz")
    account = client.get(f"/admin/users/{person_id}").text
    assert 'name="reason"' in account and "өтініші" in account.split('name="reason"')[1].split("</textarea>")[0]
    r = client.post(f"/admin/users/{person_id}/erase", data={"confirm_email": "aliya@test.kz", "reason": "Өтініш"})
    assert r.status_code == 302
    db_session.expire_all()
    statuses = dict(db_session.execute(select(ErasureRequest.status, ErasureRequest.note)).all())
    assert set(statuses) == {"withdrawn", "refused", "done"} and set(statuses.values()) == {None}
    assert "Әлия" not in db_session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.to_email == "admin@test.kz")).first()  # the officers' notice names them no more
