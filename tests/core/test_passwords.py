"""Choosing a password: by an e-mailed link (a forgotten password, an imported account's
invitation) and on the profile page. Real outbox files, real database, real sessions."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from lms.core.models import AuditEntry, OutboxMessage, User
from lms.core.services import passwords
from lms.db import db, utcnow
from tests.conftest import password_link


def test_a_forgotten_password_is_set_again_by_the_mailed_link_once(client, auth, make, outbox, db_session):
    make.user(email="aigul@test.kz", full_name="Айгүл Серікова", language="ru")
    page = client.get("/login")
    assert 'href="/password/forgot"' in page.text

    r = client.post("/password/forgot", data={"email": " AIGUL@test.kz "}, follow_redirects=True)
    assert r.status_code == 200 and "2" in r.text and 'class="flash' in r.text
    [message] = outbox()
    assert message["To"] == "aigul@test.kz"
    assert "Ustaz" in message["Subject"] and "Здравствуйте" in message.get_body().get_content()  # her language
    link = password_link(message)

    form = client.get(link)
    assert form.status_code == 200 and "aigul@test.kz" in form.text
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "8" in short.text
    differ = client.post(link, data={"password": "long enough one", "confirm": "long enough two"})
    assert differ.status_code == 400
    as_email = client.post(link, data={"password": "aigul@test.kz", "confirm": "aigul@test.kz"})
    assert as_email.status_code == 400
    assert auth.login("aigul@test.kz", "secret").status_code == 302  # nothing changed by the refusals
    auth.logout()

    done = client.post(link, data={"password": "жаңа құпия сөз", "confirm": "жаңа құпия сөз"})
    assert done.status_code == 302
    assert client.get("/profile").status_code == 200  # signed in by the link
    auth.logout()
    assert auth.login("aigul@test.kz", "secret").status_code == 400  # the old password is refused
    assert auth.login("aigul@test.kz", "жаңа құпия сөз").status_code == 302
    auth.logout()

    again = client.get(link)
    assert again.status_code == 400 and 'href="/password/forgot"' in again.text  # a link works once
    assert client.post(link, data={"password": "another password", "confirm": "another password"}).status_code == 400
    db_session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "aigul@test.kz"))
    assert [e.summary for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "password_set", AuditEntry.object_id == str(user.id)))] == ["by an e-mailed link (reset)"]


def test_the_form_tells_nobody_which_addresses_have_accounts(client, make, outbox, db_session):
    make.user(email="known@test.kz")
    make.user(email="gone@test.kz", is_active_account=False)
    answers = [client.post("/password/forgot", data={"email": e}, follow_redirects=True).text
               for e in ("known@test.kz", "nobody@test.kz", "gone@test.kz")]
    flashes = [re.search(r'class="flash[^"]*"[^>]*>(.*?)<', a, re.S).group(1) for a in answers]
    assert flashes[0] == flashes[1] == flashes[2]
    assert [m["To"] for m in outbox()] == ["known@test.kz"]


def test_the_link_is_sent_after_the_answer_has_gone(client, make, outbox, db_session):
    """The asker's wait is the same with or without an account: the mail server is called once
    the response is out (the WSGI server closes it), not inside the request."""
    make.user(email="waiting@test.kz")
    answer = client.post("/password/forgot", data={"email": "waiting@test.kz"})
    assert answer.status_code == 302 and outbox() == []
    answer.close()
    assert [m["To"] for m in outbox()] == ["waiting@test.kz"]


def test_asking_again_within_ten_minutes_sends_one_message(client, make, outbox, db_session):
    make.user(email="twice@test.kz")
    for _ in range(3):
        client.post("/password/forgot", data={"email": "twice@test.kz"}).close()  # as a server closes it
    assert len(outbox()) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_links_expire_and_a_tampered_link_does_not_work(app, client, make, monkeypatch, db_session):
    user = make.user(email="late@test.kz", password=None)
    with app.test_request_context():
        reset, invite = passwords.token_for(user, "reset"), passwords.token_for(user, "invite")
    assert client.get(f"/password/set/{reset}").status_code == 200
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr(passwords, "utcnow", lambda: later)
    expired = client.get(f"/password/set/{reset}")
    assert expired.status_code == 400 and 'href="/password/forgot"' in expired.text
    assert client.get(f"/password/set/{invite}").status_code == 200  # an invitation lasts 14 days
    monkeypatch.setattr(passwords, "utcnow", lambda: utcnow() + timedelta(days=15))
    assert client.get(f"/password/set/{invite}").status_code == 400
    monkeypatch.undo()
    assert client.get(f"/password/set/{reset[:-2]}xx").status_code == 400
    r = client.post(f"/password/set/{reset}x", data={"password": "a good password", "confirm": "a good password"})
    assert r.status_code == 400
    db_session.expire_all()
    assert db.session.get(User, user.id).password_hash is None


def test_changing_the_password_signs_out_the_other_browsers(app, client, auth, make, db_session):
    make.user(email="two@test.kz")
    other = app.test_client()
    other.post("/login", data={"email": "two@test.kz", "password": "secret"})
    assert other.get("/profile").status_code == 200
    auth.login("two@test.kz")
    profile = client.get("/profile")
    assert 'href="/profile/password"' in profile.text

    wrong = client.post("/profile/password", data={"current_password": "not it", "password": "brand new words",
                                                   "confirm": "brand new words"})
    assert wrong.status_code == 400 and 'class="error"' in wrong.text
    same = client.post("/profile/password", data={"current_password": "secret", "password": "secret",
                                                  "confirm": "secret"})
    assert same.status_code == 400
    assert other.get("/profile").status_code == 200  # refusals changed nothing

    ok = client.post("/profile/password", data={"current_password": "secret", "password": "brand new words",
                                                "confirm": "brand new words"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/profile")
    assert client.get("/profile").status_code == 200  # this browser stays signed in
    assert other.get("/profile").status_code == 302  # the other one is signed out
    other.post("/login", data={"email": "two@test.kz", "password": "brand new words"})
    assert other.get("/profile").status_code == 200


def test_an_administrator_sends_one_person_a_sign_in_link(client, auth, make, outbox, db_session):
    make.user("admin", email="root@test.kz")
    fresh = make.user(email="phoned@test.kz", password=None)
    known = make.user(email="forgot@test.kz")
    off = make.user(email="off@test.kz", is_active_account=False)
    auth.login("root@test.kz")
    page = client.get("/admin/users?q=test.kz").text
    assert page.count("/sign-in-link") == 3  # not for the disabled account
    assert "әкімші" in page and ">admin<" not in page  # the role's name in Kazakh, not its code

    for user in (fresh, known):
        r = client.post(f"/admin/users/{user.id}/sign-in-link", data={"q": "test.kz"})
        assert r.status_code == 302 and "q=test.kz" in r.headers["Location"]
    again = client.post(f"/admin/users/{known.id}/sign-in-link", follow_redirects=True)
    assert "flash warning" in again.text  # a moment ago: not twice
    refused = client.post(f"/admin/users/{off.id}/sign-in-link", follow_redirects=True)
    assert "flash error" in refused.text
    messages = {m["To"]: m.get_body().get_content() for m in outbox()}
    assert sorted(messages) == ["forgot@test.kz", "phoned@test.kz"]
    assert "14" in messages["phoned@test.kz"] and "2" in messages["forgot@test.kz"]  # invitation / reset
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "password_link_sent")) == 2
    auth.logout()

    make.user("participant", email="nosy@test.kz")
    auth.login("nosy@test.kz")
    assert client.post(f"/admin/users/{fresh.id}/sign-in-link").status_code == 403
    assert len(outbox()) == 2


def test_an_administrator_opens_an_account_whose_holder_chooses_the_password(client, auth, make, outbox, db_session):
    make.user("admin", email="opener@test.kz")
    make.user(email="taken@test.kz")
    auth.login("opener@test.kz")
    assert 'href="/admin/users/new"' in client.get("/admin/users").text
    form = client.get("/admin/users/new").text
    assert 'name="role"' in form and 'value="participant"' not in form  # participants come with a cohort's list

    taken = client.post("/admin/users/new", data={"email": "TAKEN@test.kz", "full_name": "Екінші", "language": "kk",
                                                  "role": "", "send_link": "y"})
    assert taken.status_code == 400 and 'class="error"' in taken.text
    bad = client.post("/admin/users/new", data={"email": "not-an-address", "full_name": "Ешкім", "language": "kk"})
    assert bad.status_code == 400
    assert outbox() == []

    r = client.post("/admin/users/new", data={"email": "Methodist@Test.kz", "full_name": "  Әдіскер   Сәуле ",
                                              "language": "ru", "role": "methodologist", "send_link": "y"})
    assert r.status_code == 302 and "methodist" in r.headers["Location"]
    db_session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "methodist@test.kz"))
    assert user.full_name == "Әдіскер Сәуле" and user.language == "ru" and user.password_hash is None
    assert [(ra.role, ra.context_level) for ra in user.role_assignments] == [("methodologist", "system")]
    [message] = outbox()
    assert message["To"] == "methodist@test.kz" and "14" in message.get_body().get_content()
    auth.logout()
    link = password_link(message)
    assert client.post(link, data={"password": "методист сөзі", "confirm": "методист сөзі"}).status_code == 302
    assert client.get("/admin/audit").status_code == 200  # a methodologist reads the audit log

    auth.logout()
    make.user("participant", email="curious@test.kz")
    auth.login("curious@test.kz")
    assert client.post("/admin/users/new", data={"email": "x@test.kz", "full_name": "X"}).status_code == 403


def test_a_disabled_account_is_signed_out_everywhere_and_enabled_again(app, client, auth, make, db_session):
    admin = make.user("admin", email="keeper@test.kz")
    leaver = make.user(email="leaver@test.kz")
    theirs = app.test_client()
    theirs.post("/login", data={"email": "leaver@test.kz", "password": "secret"})
    assert theirs.get("/profile").status_code == 200

    auth.login("keeper@test.kz")
    assert client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True).status_code == 200
    assert client.get("/profile").status_code == 200  # one cannot disable oneself
    client.post(f"/admin/users/{leaver.id}/active", data={"active": "0"})
    assert "badge archived" in client.get("/admin/users?q=leaver").text
    assert theirs.get("/profile").status_code == 302  # signed out at once
    assert theirs.post("/login", data={"email": "leaver@test.kz", "password": "secret"}).status_code == 400
    assert theirs.post("/password/forgot", data={"email": "leaver@test.kz"}).status_code == 302  # same answer

    client.post(f"/admin/users/{leaver.id}/active", data={"active": "1"})
    assert theirs.post("/login", data={"email": "leaver@test.kz", "password": "secret"}).status_code == 302
    assert [e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_id == str(leaver.id), AuditEntry.action.like("account_%")).order_by(AuditEntry.id))] == [
        "account_disabled", "account_enabled"]


def test_an_administrator_corrects_an_account_and_its_system_roles(client, auth, make, db_session):
    me = make.user("admin", email="editor@test.kz")
    user = make.user(email="typo@test.kz", full_name="Қате Атау")
    make.user(email="taken2@test.kz")
    auth.login("editor@test.kz")
    assert f'href="/admin/users/{user.id}"' in client.get("/admin/users?q=typo").text
    form = client.get(f"/admin/users/{user.id}").text
    assert 'value="typo@test.kz"' in form and 'value="methodologist"' in form and 'value="participant"' not in form

    taken = client.post(f"/admin/users/{user.id}", data={"email": "TAKEN2@test.kz", "full_name": "Дұрыс Атау",
                                                         "language": "kk"})
    assert taken.status_code == 400 and 'class="error"' in taken.text
    ok = client.post(f"/admin/users/{user.id}", data={"email": "Right@Test.kz", "full_name": " Дұрыс  Атау ",
                                                      "language": "ru", "roles": ["trainer", "curator"]})
    assert ok.status_code == 302
    db_session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.email, user.full_name, user.language) == ("right@test.kz", "Дұрыс Атау", "ru")
    assert sorted(ra.role for ra in user.role_assignments) == ["curator", "trainer"]
    client.post(f"/admin/users/{user.id}", data={"email": "right@test.kz", "full_name": "Дұрыс Атау",
                                                 "language": "ru", "roles": ["curator"]})
    db_session.expire_all()
    assert [ra.role for ra in db.session.get(User, user.id).role_assignments] == ["curator"]
    summary = db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "user_updated"))
    assert "typo@test.kz -> right@test.kz" in summary

    own = client.post(f"/admin/users/{me.id}", data={"email": "editor@test.kz", "full_name": me.full_name,
                                                     "language": "kk", "roles": []})
    assert own.status_code == 400  # one cannot take away one's own administrator role
    assert client.get("/admin/users").status_code == 200


def test_a_methodologist_manages_accounts_but_not_an_administrators(app, client, auth, make, db_session, outbox):
    """DESIGN §1: the methodologist manages users. Only an administrator gives the administrator
    role or changes an administrator's account: a changed e-mail and a sign-in link would
    otherwise hand that account over."""
    admin = make.user("admin", email="boss@test.kz")
    make.user("methodologist", email="metod@test.kz", language="en")
    auth.login("metod@test.kz")
    form = client.get("/admin/users/new").text
    assert 'value="trainer"' in form and 'value="admin"' not in form
    r = client.post("/admin/users/new", data={"email": "new.trainer@test.kz", "full_name": "Жаңа Тренер",
                                              "language": "kk", "role": "trainer"})
    assert r.status_code == 302
    assert client.post("/admin/users/new", data={"email": "sneaky@test.kz", "full_name": "X", "language": "kk",
                                                 "role": "admin"}).status_code == 400
    assert db.session.scalar(select(User.id).where(User.email == "sneaky@test.kz")) is None
    # the administrator's account stays out of reach: e-mail, disabling, sign-in links
    r = client.post(f"/admin/users/{admin.id}", data={"email": "metod2@test.kz", "full_name": "Бастық",
                                                      "language": "kk", "roles": ["admin"]}, follow_redirects=True)
    assert "only an administrator changes an administrator" in r.text
    r = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "only an administrator changes an administrator" in r.text
    r = client.post(f"/admin/users/{admin.id}/sign-in-link", follow_redirects=True)
    assert "only an administrator changes an administrator" in r.text
    db_session.expire_all()
    boss = db.session.get(User, admin.id)
    assert boss.email == "boss@test.kz" and boss.is_active and outbox() == []
    # nor can a methodologist make someone an administrator by editing them
    trainer = db.session.scalar(select(User).where(User.email == "new.trainer@test.kz"))
    r = client.post(f"/admin/users/{trainer.id}", data={"email": "new.trainer@test.kz", "full_name": "Жаңа Тренер",
                                                        "language": "kk", "roles": ["trainer", "admin"]})
    assert r.status_code == 400
    db_session.expire_all()
    assert {ra.role for ra in db.session.get(User, trainer.id).role_assignments} == {"trainer"}
    auth.logout()
    auth.login("boss@test.kz")
    r = client.post(f"/admin/users/{trainer.id}", data={"email": "new.trainer@test.kz", "full_name": "Жаңа Тренер",
                                                        "language": "kk", "roles": ["trainer", "admin"]})
    assert r.status_code == 302
    db_session.expire_all()
    assert {ra.role for ra in db.session.get(User, trainer.id).role_assignments} == {"trainer", "admin"}
