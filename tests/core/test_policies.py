"""The centre publishes a personal data notice and a confidentiality obligation for its staff;
each person accepts the current version before any other page, once; nothing they send from a
page already open is lost to the question."""
from sqlalchemy import select

from lms.core.models import AuditEntry, Policy, PolicyAcceptance, User
from lms.core.services import policies
from lms.db import db

NOTICE = {"kind": "privacy", "title_kk": "Дербес деректер туралы хабарлама", "title_ru": "Уведомление о персональных данных",
          "text_kk": "Орталық сіздің **дербес деректеріңізді** заң бойынша қорғайды.",
          "text_ru": "Центр защищает ваши **персональные данные** по закону."}
OBLIGATION = {"kind": "confidentiality", "title_kk": "Құпиялылық міндеттемесі", "title_ru": "Обязательство о конфиденциальности",
              "text_kk": "Қатысушылардың деректерін жария етпеймін.", "text_ru": "Не разглашаю данные участников."}


def _publish(client, fields):
    return client.post("/admin/policies", data=fields, follow_redirects=True)


def test_everyone_accepts_the_notice_once_before_any_other_page(client, auth, make):
    make.user("admin", email="admin@test.kz", language="en")
    reader = make.user(email="reader@test.kz")
    auth.login("admin@test.kz")
    assert client.get("/policies").status_code == 200  # nothing published: nobody is asked
    r = _publish(client, NOTICE)
    assert "Published." in r.text and "1 of 2" not in r.text
    assert "Дербес деректер туралы хабарлама" in r.text
    # the publisher is asked too, on their next page
    assert client.get("/admin/policies").status_code == 302
    auth.logout()

    auth.login("reader@test.kz")
    r = client.get("/profile")
    assert r.status_code == 302 and r.headers["Location"] == "/policies/accept?next=/profile"
    page = client.get(r.headers["Location"]).text
    assert "<strong>дербес деректеріңізді</strong>" in page  # Markdown, in the reader's language
    policy_id = db.session.scalar(select(Policy.id))
    # not ticked: refused, nothing recorded, still asked
    r = client.post("/policies/accept", data={"next": "/profile"})
    assert r.status_code == 400 and "Дербес деректер туралы хабарлама" in r.text
    assert db.session.scalar(select(PolicyAcceptance.id)) is None
    r = client.post("/policies/accept", data={"accepted": [str(policy_id)], "next": "/profile"})
    assert r.status_code == 302 and r.headers["Location"] == "/profile"
    assert client.get("/profile").status_code == 200
    acceptance = db.session.scalars(select(PolicyAcceptance)).one()
    assert (acceptance.user_id, acceptance.policy_id) == (reader.id, policy_id)
    assert db.session.get(User, reader.id).policies_agreed
    auth.logout()

    auth.login("admin@test.kz")
    client.post("/policies/accept", data={"accepted": [str(policy_id)]})
    assert "2 of 2" in client.get("/admin/policies").text
    assert "Personal data notice (everyone), version 1:" in client.get(f"/admin/users/{reader.id}").text
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy_published")).one()
    assert entry.object_id == str(policy_id)


def test_a_form_sent_from_a_page_already_open_is_saved_and_the_next_page_asks(client, auth, make):
    reader = make.user(email="reader@test.kz")
    auth.login("reader@test.kz")
    with client.application.test_request_context():
        policies.publish("privacy", NOTICE, None)
        db.session.commit()
    r = client.post("/profile/notices", data={"email_notices": ""})  # sent from the profile opened before
    assert r.status_code == 302 and r.headers["Location"] == "/profile"
    assert db.session.get(User, reader.id).email_notices is False  # saved
    assert client.get("/profile").headers["Location"].startswith("/policies/accept")
    # signed in, a public page asks too; the policies themselves stay readable, and the API's
    # document (the API asks in its own way: tests/quizbank/test_policies_gate.py)
    assert client.get("/?tab=1").headers["Location"] == "/policies/accept?next=/?tab%3D1"
    assert client.get("/policies").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/profile", headers={"Accept": "application/json"}).status_code == 200  # a page's script


def test_the_obligation_asks_the_staff_only_and_a_new_version_asks_again(client, auth, make):
    make.user("admin", email="admin@test.kz", language="en")
    make.user("trainer", email="trainer@test.kz")
    make.user(email="participant@test.kz")  # no role but in cohorts (none here): not staff
    auth.login("admin@test.kz")
    _publish(client, OBLIGATION)
    first = db.session.scalar(select(Policy).where(Policy.kind == "confidentiality"))
    client.post("/policies/accept", data={"accepted": [str(first.id)]})
    auth.logout()

    auth.login("participant@test.kz")
    assert client.get("/profile").status_code == 200  # not staff: not asked
    auth.logout()
    auth.login("trainer@test.kz")
    assert client.get("/profile").status_code == 302
    client.post("/policies/accept", data={"accepted": [str(first.id)]})
    assert client.get("/profile").status_code == 200
    auth.logout()

    auth.login("admin@test.kz")
    page = client.get("/admin/policies?kind=confidentiality").text
    assert "Не разглашаю данные участников." in page  # the next version starts from the current text
    assert "Published." in _publish(client, dict(OBLIGATION, text_kk="Жаңа мәтін.")).text
    second = db.session.scalar(select(Policy).where(Policy.version == 2))
    assert second is not None and second.text_kk == "Жаңа мәтін."
    client.post("/policies/accept", data={"accepted": [str(second.id)]})  # the publisher is asked too
    table = client.get(f"/admin/policies/{second.id}/acceptances.csv").data.decode("utf-8-sig")
    assert "trainer@test.kz" in table and "not yet" in table and "participant@test.kz" not in table
    assert client.get(f"/admin/policies/{second.id}/acceptances.xlsx").status_code == 200
    assert client.get(f"/admin/policies/{second.id}/acceptances.pdf").status_code == 404
    older = client.get(f"/admin/policies/{first.id}/acceptances.csv").data.decode("utf-8-sig")
    assert "trainer@test.kz" in older and "not yet" not in older  # an older version: who accepted it
    auth.logout()
    auth.login("trainer@test.kz")
    assert client.get("/profile").status_code == 302  # asked again
    client.post("/policies/accept", data={"accepted": [str(second.id)]})
    auth.logout()
    auth.login("admin@test.kz")
    page = client.get("/admin/policies").text
    assert "2 of 2" in page  # the current version: the admin and the trainer, not the participant


def test_publishing_is_the_administrators_and_a_bad_form_publishes_nothing(client, auth, make):
    make.user("admin", email="admin@test.kz", language="en")
    make.user("methodologist", email="method@test.kz")
    auth.login("method@test.kz")
    assert client.get("/admin/policies").status_code == 403
    assert client.post("/admin/policies", data=NOTICE).status_code == 403
    auth.logout()
    auth.login("admin@test.kz")
    r = client.post("/admin/policies", data=dict(NOTICE, text_ru="  "))
    assert r.status_code == 400 and "has-error" in r.text
    r = client.post("/admin/policies", data=dict(NOTICE, kind="cookies"))
    assert r.status_code == 400
    assert db.session.scalar(select(Policy.id)) is None
    assert db.session.get(User, db.session.scalar(select(User.id).where(User.email == "method@test.kz"))).policies_agreed


def test_the_policies_page_is_public_and_in_the_readers_language(client, make):
    with client.application.test_request_context():
        policies.publish("privacy", NOTICE, None)
        db.session.commit()
    assert "<strong>дербес деректеріңізді</strong>" in client.get("/policies").text
    client.post("/language", data={"language": "ru", "next": "/policies"})
    assert "<strong>персональные данные</strong>" in client.get("/policies").text
    assert 'href="/policies"' in client.get("/login").text  # the footer of every page


def test_once_accepted_a_page_costs_no_more_statements(client, auth, make, count_queries):
    reader = make.user(email="reader@test.kz")
    auth.login("reader@test.kz")
    client.get("/profile")
    with count_queries() as before:
        client.get("/profile")
    with client.application.test_request_context():
        policies.publish("privacy", NOTICE, None)
        db.session.commit()
    client.post("/policies/accept", data={"accepted": [str(db.session.scalar(select(Policy.id)))]})
    with count_queries() as after:
        assert client.get("/profile").status_code == 200
    assert len(after) == len(before)
    assert db.session.get(User, reader.id).policies_agreed


def test_an_account_opened_after_the_notice_is_asked_and_one_opened_without_policies_is_not(app, client, auth, make):
    early = make.user(email="early@test.kz")
    auth.login("early@test.kz")
    assert client.get("/profile").status_code == 200  # nothing published: settled at sign-in
    assert db.session.get(User, early.id).policies_agreed
    auth.logout()
    with app.test_request_context():
        policies.publish("privacy", NOTICE, None)
        db.session.commit()
    make.user(email="newcomer@test.kz")  # opened after it
    auth.login("newcomer@test.kz")
    assert client.get("/profile").headers["Location"] == "/policies/accept?next=/profile"
