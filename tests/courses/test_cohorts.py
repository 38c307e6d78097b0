"""Cohorts, enrolments, the participant's own page and who may see what."""
from datetime import date

import pytest

from lms.core.models import User
from lms.core.services import tokens
from lms.core.services.errors import Conflict, ServiceError
from lms.courses import services
from lms.courses.services import cohorts
from lms.db import db


def test_create_cohort_validates(make, db_session):
    p = services.get_programme("LDR-SUS")
    with pytest.raises(ServiceError) as exc:
        cohorts.create_cohort(p, {"code": "C-1", "format_code": "blended", "start_date": date(2027, 1, 1),
                                  "end_date": date(2027, 2, 1)}, None)
    assert exc.value.field == "format_code"
    with pytest.raises(ServiceError) as exc:
        cohorts.create_cohort(p, {"code": "C-1", "start_date": date(2027, 2, 1), "end_date": date(2027, 1, 1)}, None)
    assert exc.value.field == "end_date"
    c = cohorts.create_cohort(p, {"code": "c-1", "start_date": date(2027, 1, 1), "end_date": date(2027, 2, 1)}, None)
    assert (c.code, c.format_code) == ("C-1", "full_time")
    with pytest.raises(Conflict):
        cohorts.create_cohort(p, {"code": "C-1", "start_date": date(2027, 1, 1), "end_date": date(2027, 2, 1)}, None)


def test_enrol_is_idempotent_and_respects_capacity(make, db_session):
    c = make.cohort(participants=2, capacity=2)
    first = c.enrolments[0]
    assert cohorts.enrol(c, first.user, None) is first
    with pytest.raises(Conflict):
        cohorts.enrol(c, make.user(), None)


def test_variative_choice_replaces_the_earlier_pick(make, db_session):
    c = make.cohort(programme="TCH-SUS", participants=1)  # module 3: choose 1 topic
    e = c.enrolments[0]
    module3 = next(m for m in c.programme.modules if m.number == 3)
    t31, t33 = module3.topics[0], module3.topics[2]
    cohorts.choose_topic(e, t31, None)
    cohorts.choose_topic(e, t33, None)
    assert [ch.topic_id for ch in e.choices] == [t33.id]
    with pytest.raises(ServiceError):
        cohorts.choose_topic(e, c.programme.modules[0].topics[0], None)


def test_dashboards_render_for_trainer_and_participant(client, auth, make):
    trainer = make.user()
    c = make.cohort(participants=2, trainer=trainer)
    participant_email = c.enrolments[0].user.email  # objects are detached once a request ends
    auth.login(trainer.email)
    page = client.get(f"/cohorts/{c.code}").get_data(as_text=True)
    assert "Қатысушы 01" in page and "0 / 38" in page
    assert "· Онлайн оқыту ·" in page  # the format in words, not its code
    participants = client.get(f"/cohorts/{c.code}/participants").text
    assert "тіркелген" in participants and ">enrolled<" not in participants
    auth.logout()
    auth.login(participant_email)
    page = client.get(f"/cohorts/{c.code}/me")
    assert page.status_code == 200
    assert 'id="progress-contact"' in page.get_data(as_text=True)
    # a participant is not staff: the cohort dashboard and others' data stay closed
    assert client.get(f"/cohorts/{c.code}").status_code == 403
    assert client.get(f"/cohorts/{c.code}/participants").status_code == 403
    assert client.get(f"/cohorts/{c.code}/ledger.csv").status_code == 403


def test_participant_of_another_cohort_cannot_open_this_one(client, auth, make):
    a = make.cohort(code="COH-A", participants=1)
    b = make.cohort(code="COH-B", participants=1)
    auth.login(b.enrolments[0].user.email)
    assert client.get(f"/cohorts/{a.code}/me").status_code == 403


def test_ledger_export_csv_has_bom_and_kazakh(client, auth, make):
    admin = make.user("admin")
    c = make.cohort(participants=2)
    auth.login(admin.email)
    with client.get(f"/cohorts/{c.code}/ledger.csv") as r:
        body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "Қатысушы 01" in text and "TOTAL" in text
    with client.get(f"/cohorts/{c.code}/ledger.xlsx") as r:
        assert r.get_data().startswith(b"PK")


def test_api_hours_own_only(client, make, db_session):
    c = make.cohort(participants=2)
    mine, other = c.enrolments
    _t, token = tokens.create_token(mine.user)
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    r = client.get(f"/api/v1/enrolments/{mine.id}/hours", headers=headers)
    assert r.status_code == 200 and r.json["contact_planned"] == 38 and r.json["self_study_planned"] == 40
    assert client.get(f"/api/v1/enrolments/{other.id}/hours", headers=headers).status_code == 403
    assert client.get(f"/api/v1/cohorts/{c.code}/enrolments", headers=headers).status_code == 403
    assert client.get("/api/v1/enrolments/999999/hours", headers=headers).status_code == 404
    r = client.get(f"/api/v1/enrolments/{mine.id}/hours")
    assert r.status_code == 401 and r.json["error"] == "unauthorized"


def test_api_cohort_for_staff(client, make, db_session):
    admin = make.user("admin")
    c = make.cohort(participants=3)
    _t, token = tokens.create_token(admin)
    db_session.commit()
    r = client.get(f"/api/v1/cohorts/{c.code}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json["participants"] == 3 and r.json["programme"] == "LDR-SUS"
    r = client.get(f"/api/v1/cohorts/{c.code}/enrolments", headers={"Authorization": f"Bearer {token}"})
    assert len(r.json) == 3
    r = client.get("/api/v1/cohorts/NOPE", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json["error"] == "not_found"


def test_openapi_document_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    for path in ("/cohorts/{code}", "/cohorts/{code}/enrolments", "/enrolments/{enrolment_id}/hours",
                 "/programmes"):
        assert path in doc["paths"], path


def test_participant_chooses_two_topics_in_the_leaders_variative_module(client, auth, make, db_session):
    c = make.cohort(participants=1)  # LDR-SUS module 4: choose 2
    email, code = c.enrolments[0].user.email, c.code
    module4 = next(m for m in c.programme.modules if m.number == 4)
    ids = [t.id for t in module4.topics]
    auth.login(email)
    page = client.get(f"/cohorts/{code}/me").get_data(as_text=True)
    assert 'type="checkbox" name="topic_id"' in page
    r = client.post(f"/cohorts/{code}/me/choose", data={"module_id": module4.id, "topic_id": [ids[0], ids[2]]})
    assert r.status_code == 302
    r = client.post(f"/cohorts/{code}/me/choose", data={"module_id": module4.id, "topic_id": ids[:3]},
                    follow_redirects=True)
    assert "1-ден 2-ге дейін тақырып таңдаңыз" in r.get_data(as_text=True)
    from lms.courses.models import TopicChoice
    from sqlalchemy import select
    chosen = set(db_session.scalars(select(TopicChoice.topic_id)))
    assert chosen == {ids[0], ids[2]}


def test_participant_dashboard_stays_light_and_bounded(client, auth, make, db_session, count_queries):
    from datetime import time, timedelta

    from lms.courses.services import schedule, selfstudy

    c = make.cohort(participants=2, days=60, start=date.today() - timedelta(days=7))
    schedule.generate(c, c.start_date, {0, 1, 2, 3, 4}, time(15, 0), 2, None)
    selfstudy.create_default_tasks(c, None)
    db_session.commit()
    email, code = c.enrolments[0].user.email, c.code
    auth.login(email)
    client.get(f"/cohorts/{code}/me")
    with count_queries() as q:
        html = client.get(f"/cohorts/{code}/me").get_data()
    with client.get("/static/lms.css") as r:
        css = r.get_data()
    assert len(html) + len(css) <= 60 * 1024, len(html) + len(css)
    assert len(q) <= 20, len(q)


def test_participants_are_listed_in_the_order_of_the_kazakh_alphabet(client, auth, make, db_session):
    """By code point Ә, Қ, Ұ, І ... come after Я; a Kazakh reader looks for «Әбілқайыр» after
    «Абай» and before «Бекзат». A renamed participant moves to the new name's place."""
    trainer = make.user("trainer", email="trainer-abc@test.kz")
    cohort = make.cohort(code="ABC-1", participants=0, trainer=trainer)
    names = ["Ярослав Ким", "Ілияс Есенберлин", "Бекзат Сәрсенов", "Әбілқайыр Ұлықбекұлы", "Абай Құнанбаев",
             "Қасым Аманжолов", "Ыбырай Алтынсарин"]
    people = {n: make.user(full_name=n).id for n in names}
    for user_id in people.values():
        cohorts.enrol(cohort, db_session.get(User, user_id), None)
    db_session.commit()
    kazakh_order = ["Абай Құнанбаев", "Әбілқайыр Ұлықбекұлы", "Бекзат Сәрсенов", "Қасым Аманжолов",
                    "Ыбырай Алтынсарин", "Ілияс Есенберлин", "Ярослав Ким"]
    assert [e.user.full_name for e in cohorts.enrolments(cohort)] == kazakh_order

    auth.login("trainer-abc@test.kz")
    page = client.get("/cohorts/ABC-1/participants").text
    assert sorted(names, key=page.index) == kazakh_order

    db_session.get(User, people["Ярослав Ким"]).full_name = "Әлия Ким"  # the key follows the name
    db_session.commit()
    assert [e.user.full_name for e in cohorts.enrolments(cohort)][:3] == [
        "Абай Құнанбаев", "Әбілқайыр Ұлықбекұлы", "Әлия Ким"]


def test_the_cohort_list_shows_each_reader_their_own_cohorts_a_page_at_a_time(
        client, auth, make, db_session, count_queries):
    from lms.core.services import users
    from lms.courses import services

    trainer = make.user(email="list-trainer@test.kz")
    mine = make.cohort("LIST-MINE", participants=0, trainer=trainer)
    make.cohort("LIST-OTHER", participants=0)
    lead = make.user(email="list-lead@test.kz")  # a trainer of the whole TCH-SUS programme
    users.assign_role(lead, "trainer", "programme", services.get_programme("TCH-SUS").id)
    tch = [make.cohort(f"LIST-TCH-{i:02d}", programme="TCH-SUS", participants=0) for i in range(31)]
    make.user("admin", email="list-admin@test.kz")
    db_session.commit()

    auth.login(trainer.email)
    page = client.get("/cohorts/").text
    assert f">{mine.code}<" in page and "LIST-OTHER" not in page and "LIST-TCH" not in page
    auth.logout()

    auth.login(lead.email)
    with count_queries() as statements:
        first = client.get("/cohorts/").text
    assert first.count(">LIST-TCH-") == 30 and "LIST-MINE" not in first and 'class="pager"' in first
    second = client.get("/cohorts/?page=2").text
    assert second.count(">LIST-TCH-") == 1
    assert len(statements) <= 6, statements  # not one capability check per cohort
    found = client.get("/cohorts/?q=tch-07").text
    assert found.count(">LIST-TCH-") == 1 and tch[7].code in found
    assert "LIST-MINE" not in client.get("/cohorts/?q=mine").text  # the search stays within what one may see
    auth.logout()

    auth.login("list-admin@test.kz")
    page = client.get("/cohorts/?q=list-").text
    assert "LIST-MINE" in page and "LIST-OTHER" in page


def test_participant_page_speaks_of_the_cohorts_own_format(client, auth, make):
    """A blended LDR-DT cohort meets in theory and practical sessions and has no self-study
    hours: its participants read of sessions, with no empty self-study bar or column."""
    blended = make.cohort(code="DT-1", programme="LDR-DT", format_code="blended", participants=1)
    online = make.cohort(code="SUS-1", programme="LDR-SUS", participants=1)
    for cohort in (blended, online):
        cohort.enrolments[0].user.language = "en"
    db.session.commit()
    auth.login(blended.enrolments[0].user.email)
    page = client.get("/cohorts/DT-1/me").text
    assert "Sessions attended" in page and "No sessions are scheduled." in page
    assert "webinar" not in page.lower() and 'id="progress-self"' not in page and ">Self-study<" not in page
    auth.logout()
    auth.login(online.enrolments[0].user.email)
    page = client.get("/cohorts/SUS-1/me").text
    assert "Webinars attended" in page and 'id="progress-self"' in page and ">Self-study<" in page
