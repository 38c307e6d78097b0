import pytest

from lms.core.models import User


def test_login_logout_round_trip(client, auth, make):
    user = make.user("trainer")
    response = auth.login(user.email)
    assert response.status_code == 302
    page = client.get("/profile")
    assert page.status_code == 200
    assert user.full_name in page.get_data(as_text=True)
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, auth, make):
    user = make.user()
    response = auth.login(user.email, "nope")
    assert response.status_code == 400
    assert client.get("/profile").status_code == 302


def test_login_does_not_redirect_off_site(client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": "secret",
                                            "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_login_is_rate_limited(app, client, make):
    user = make.user()
    codes = [client.post("/login", data={"email": user.email, "password": "bad"}).status_code
             for _ in range(11)]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


def test_forms_without_csrf_token_are_refused(app, client, make):
    user = make.user()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": user.email, "password": "secret"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert client.get("/profile").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth, make):
    user = make.user()
    response = auth.login(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_kazakh_is_the_default_language(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="kk">' in page
    assert "Кіру" in page


def test_russian_browser_gets_russian(client):
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert "Войти" in page


def test_language_choice_is_remembered_per_user(client, auth, make, db_session):
    user = make.user()
    auth.login(user.email)
    client.post("/language", data={"language": "en", "next": "/profile"})
    assert db_session.get(User, user.id).language == "en"
    auth.logout()
    # a new browser, no session: the account's choice still applies after sign-in
    other = client.application.test_client()
    other.post("/login", data={"email": user.email, "password": "secret"})
    page = other.get("/profile").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign out" in page


def test_anonymous_language_choice_applies_before_sign_in(client):
    client.post("/language", data={"language": "ru", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in page


@pytest.mark.parametrize("lang", ["xx", ""])
def test_unknown_language_is_refused(client, lang):
    assert client.post("/language", data={"language": lang}).status_code == 400


def test_audit_log_lists_entries_for_admin(client, auth, make):
    admin = make.user("admin")
    make.user(email="logged@test.kz")
    auth.login(admin.email)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user_created" in page and "logged@test.kz" in page


def test_users_page_searches_and_paginates(client, auth, make):
    admin = make.user("admin")
    for i in range(30):
        make.user(email=f"paged{i:02d}@test.kz", full_name=f"Paged {i:02d}")
    auth.login(admin.email)
    page = client.get("/admin/users?q=paged").get_data(as_text=True)
    assert "paged00@test.kz" in page and "paged29@test.kz" not in page
    page2 = client.get("/admin/users?q=paged&page=2").get_data(as_text=True)
    assert "paged29@test.kz" in page2


def test_a_search_in_small_letters_finds_a_kazakh_name_in_capitals(client, auth, make):
    """On SQLite too: its own lower() folds only ASCII, so «әсел» missed «Әсел» there."""
    admin = make.user("admin")
    make.user(email="a.kurmangazy@test.kz", full_name="Әсел Құрманғазықызы")
    make.user(email="other@test.kz", full_name="Ұлан Ғабитов")
    auth.login(admin.email)
    page = client.get("/admin/users?q=әсел құрманғазы").get_data(as_text=True)
    assert "a.kurmangazy@test.kz" in page and "other@test.kz" not in page
    assert "other@test.kz" in client.get("/admin/users?q=ҰЛАН").get_data(as_text=True)


def test_a_script_is_told_in_json_when_its_form_expired_or_its_session_ended(app, client, auth, make):
    """A page's script (Accept: application/json) reads JSON: 400 "csrf" for a form that no
    longer holds, 401 "signed_out" once the session ended; a page still gets the error page."""
    user = make.user()
    auth.login(user.email)
    json = {"Accept": "application/json"}
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        expired = client.post("/language", data={"language": "ru"}, headers=json)
        page = client.post("/language", data={"language": "ru"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    auth.logout()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        ended = client.post("/language", data={"language": "ru"}, headers=json)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert expired.status_code == 400 and expired.get_json()["error"] == "csrf"
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert ended.status_code == 401 and ended.get_json()["error"] == "signed_out"


def test_the_audit_log_is_narrowed_by_action_person_and_object_keeping_the_filters_across_pages(
        client, auth, make, db_session, count_queries):
    from lms.core.services import audit

    admin = make.user("admin", email="log-admin@test.kz", language="en")
    actor = make.user(email="grader@test.kz", full_name="Бағалаушы Әлия")
    for i in range(55):
        audit.record(actor, "score_overridden", ("AttemptSlot", 7000 + i), f"slot {i}")
    audit.record(admin, "school_updated", ("School", 9), "AKM-001: name_kk")
    for i in range(15):  # the newest page: fifteen people's acts
        audit.record(make.user(email=f"other{i}@test.kz"), "role_assigned", ("User", i), "trainer")
    db_session.commit()
    auth.login(admin.email)

    page = client.get("/admin/audit?action=score_overridden&who=әлия").text  # a name, in small letters
    assert page.count("grader@test.kz") == 50 and "school_updated</td>" not in page
    assert "action=score_overridden" in page and "who=" in page and "page=2" in page  # the pager keeps the filters
    second = client.get("/admin/audit?action=score_overridden&who=%C3%A4&page=2").text
    assert "Nothing in the log matches these filters." in second  # nobody's name has "ä"
    one = client.get("/admin/audit?object_type=AttemptSlot&object_id=7003").text
    assert one.count("grader@test.kz") == 1 and "slot 3</td>" in one
    assert "AKM-001: name_kk" in client.get("/admin/audit?object_type=School").text
    assert client.get("/admin/audit").text.count("other") >= 15
    with count_queries() as queries:
        client.get("/admin/audit?page=1")
    assert len(queries) <= 12  # the actors of a page in one statement, not one each
