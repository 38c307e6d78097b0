"""A participant takes a test in the browser's plain HTML (no JavaScript): start, answer page
by page, finish, see the result; the JavaScript autosave endpoint; nobody reaches another's
attempt. Staff: set up and publish a test, see results, grade an essay."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.db import db, utcnow
from lms.quizbank.models import Attempt, AttemptSlot, Blueprint, Test
from tests.quizbank.test_attempts import ESSAY, RIGHT, build_items, make_test, shown

CODE = "QZ-VIEW"


@pytest.fixture
def setup(make, db_session):
    """A cohort of two with a trainer, six items of every type in topic 1.1 and a published
    module test drawing all six, pass mark 50 % and the seed 004 bands."""
    trainer = make.user("trainer", email="trainer-qv@test.kz")
    cohort = make.cohort(code=CODE, programme="LDR-DT", format_code="blended", participants=2, trainer=trainer)
    versions = build_items(db_session)
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="QV-M1", title="M1", total=6,
                          rules=[{"topic": "1.1", "min": 6, "max": 6}], level_quotas={})
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint)
    db_session.commit()
    return cohort, test, trainer


def _form_of(html: str) -> dict:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    return {"csrf_token": token.group(1)} if token else {}


def _start(client, auth, test, n=1):
    auth.login(f"{CODE.lower()}-p{n:02d}@test.kz")
    page = client.get(f"/cohorts/{CODE}/me/tests")
    assert page.status_code == 200
    assert "1-модуль бойынша тест" in page.text
    response = client.post(f"/cohorts/{CODE}/me/tests/{test.id}/start", data=_form_of(page.text))
    assert response.status_code == 302
    attempt_id = int(re.search(r"/me/attempts/(\d+)", response.headers["Location"]).group(1))
    return attempt_id


def _fields_for(attempt_id, slots, right=True):
    """Form fields answering `slots` (right or wrong) as the page would post them."""
    data = {}
    for s in db.session.scalars(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id,
                                                          AttemptSlot.slot.in_(slots))):
        kind = s.version.qtype
        answer = shown(s, RIGHT[kind])
        data[f"present-{s.slot}"] = "1"
        name = f"q{s.slot}"
        if kind == "single":
            data[name] = str(answer["choice"] if right else (answer["choice"] + 1) % 3)
        elif kind == "multiple":
            data[name] = [str(c) for c in answer["choices"]]
        elif kind == "truefalse":
            data[name] = "true" if answer["value"] == right else "false"
        elif kind == "matching":
            for key, text in answer["pairs"].items():
                data[f"{name}-{key}"] = text
        elif kind == "numerical":
            data[name] = answer["value"]
        else:
            data[name] = answer["text"]
    return data


def test_a_participant_takes_a_test_without_javascript_and_sees_the_band(client, auth, setup):
    cohort, test, _trainer = setup
    attempt_id = _start(client, auth, test)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    assert page.status_code == 200
    assert page.text.count('class="question"') == 5  # five questions a page
    assert "fraction" not in page.text and "feedback" not in page.text  # no key, no feedback before the end

    answers = _fields_for(attempt_id, range(1, 6))
    response = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}?page=1",
                           data={**_form_of(page.text), **answers, "action": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("page=2")
    db.session.expire_all()
    saved = {s.slot: s.answer for s in db.session.scalars(select(AttemptSlot).where(
        AttemptSlot.attempt_id == attempt_id))}
    assert all(saved[n] is not None for n in range(1, 6)) and saved[6] is None

    page2 = client.get(response.headers["Location"])
    assert 'id="q6"' in page2.text and 'checked' not in page2.text
    assert page2.text.count('class="question"') == 1
    response = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}?page=2",
                           data={**_form_of(page2.text), **_fields_for(attempt_id, [6]), "action": "finish"})
    assert response.headers["Location"].endswith(f"/me/attempts/{attempt_id}/summary")
    summary = client.get(response.headers["Location"])
    assert summary.text.count('class="answered"') == 6 and 'class="unanswered"' not in summary.text
    done = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/summary", data=_form_of(summary.text))
    assert done.headers["Location"].endswith(f"/me/attempts/{attempt_id}/result")
    result = client.get(done.headers["Location"], headers={"Accept-Language": "kk"})
    assert 'id="percent">100.0 %' in result.text
    assert 'id="band">өте жақсы' in result.text
    # a second submit (another tab) changes nothing
    again = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/summary", data=_form_of(summary.text))
    assert again.headers["Location"].endswith("/result")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "finished" and attempt.percent == 100.0 and attempt.passed


def test_a_bad_answer_is_named_and_the_others_on_the_page_are_kept(client, auth, setup):
    cohort, test, _ = setup
    attempt_id = _start(client, auth, test)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}?page=2")
    numerical = db.session.scalar(select(AttemptSlot.slot).join(AttemptSlot.version).where(
        AttemptSlot.attempt_id == attempt_id, AttemptSlot.version.has(qtype="numerical")))
    page_of = (numerical - 1) // 5 + 1
    fields = _fields_for(attempt_id, [n for n in range((page_of - 1) * 5 + 1, page_of * 5 + 1) if n <= 6])
    fields[f"q{numerical}"] = "он екі"
    response = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}?page={page_of}",
                           data={**_form_of(page.text), **fields, "action": "next"}, follow_redirects=True)
    assert f"Question {numerical}" in response.text or f"{numerical}-сұрақ" in response.text \
        or f"Сұрақ {numerical}" in response.text
    # the reason in the participant's language (Kazakh), not the service's English
    assert "Мән сан болуы керек, мысалы 12.5 немесе 12,5 (берілгені: &#39;он екі&#39;)" in response.text
    db.session.expire_all()
    rows = {s.slot: s.answer for s in db.session.scalars(select(AttemptSlot).where(
        AttemptSlot.attempt_id == attempt_id))}
    assert rows[numerical] is None
    assert sum(1 for n, a in rows.items() if a is not None) == len([k for k in fields if k.startswith("present-")]) - 1


def test_autosave_acknowledges_only_a_committed_answer(client, auth, setup):
    cohort, test, _ = setup
    attempt_id = _start(client, auth, test)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    token = _form_of(page.text)
    truefalse = db.session.scalar(select(AttemptSlot.slot).where(
        AttemptSlot.attempt_id == attempt_id, AttemptSlot.version.has(qtype="truefalse")))
    response = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/{truefalse}",
                           data={**token, f"q{truefalse}": "true"})
    assert response.status_code == 200 and response.json["slot"] == truefalse
    db.session.expire_all()
    assert db.session.scalar(select(AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id,
                                                              AttemptSlot.slot == truefalse)) == {"value": True}
    # an answer of the wrong shape is refused with a reason, and the saved one stays
    bad = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/{truefalse}",
                      data={**token, f"q{truefalse}": "maybe"})
    assert bad.status_code == 400 and "true" in bad.json["message"]
    # a question the attempt does not have
    assert client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/99", data=token).status_code == 404
    # past the deadline plus grace: refused, and the attempt is finished
    db.session.execute(Attempt.__table__.update().where(Attempt.id == attempt_id)
                       .values(deadline_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    late = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/{truefalse}",
                       data={**token, f"q{truefalse}": "false"})
    assert late.status_code == 409 and late.json["result_url"].endswith("/result")
    assert late.json["message"].startswith(f"{attempt_id}-әрекет: уақыт ") and "жауап сақталмады" in late.json["message"]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).status == "finished"
    assert db.session.scalar(select(AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id,
                                                              AttemptSlot.slot == truefalse)) == {"value": True}


def test_nobody_reaches_another_participants_attempt(client, auth, setup):
    cohort, test, _ = setup
    attempt_id = _start(client, auth, test, n=1)
    auth.logout()
    auth.login(f"{CODE.lower()}-p02@test.kz")
    page = client.get(f"/cohorts/{CODE}/me/tests")
    assert client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result").status_code == 404
    assert client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/1",
                       data={**_form_of(page.text), "q1": "0"}).status_code == 404
    # nor the staff pages
    assert client.get(f"/cohorts/{CODE}/tests/{test.id}").status_code == 403


def test_the_timer_shows_the_time_left_and_the_page_stays_light(client, auth, setup, db_session):
    cohort, test, _ = setup
    db.session.execute(Test.__table__.update().where(Test.id == test.id).values(time_limit_minutes=20))
    db.session.commit()
    attempt_id = _start(client, auth, test)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    remaining = int(re.search(r'data-remaining="(\d+)"', page.text).group(1))
    assert 19 * 60 < remaining <= 20 * 60
    sizes = []
    for url in (re.search(r'src="([^"]+attempt\.js[^"]*)"', page.text).group(1), "/static/lms.css"):
        with client.get(url) as response:
            assert response.status_code == 200
            sizes.append(len(response.data))
    assert len(page.data) + sum(sizes) < 60_000


def test_staff_set_up_publish_and_see_results(client, auth, setup, make, db_session):
    cohort, test, trainer = setup
    auth.login(trainer.email)
    form_page = client.get(f"/cohorts/{CODE}/tests/new")
    assert form_page.status_code == 200 and "QV-M1" in form_page.text
    bp_id = db.session.scalar(select(Blueprint.id).where(Blueprint.code == "QV-M1"))
    response = client.post(f"/cohorts/{CODE}/tests/new", data={
        **_form_of(form_page.text), "kind": "module", "title": "Екінші тест", "module_number": "1",
        "blueprint_id": str(bp_id), "opens_at": "2026-01-10T09:00", "closes_at": "2026-01-09T09:00",
        "attempts_allowed": "1", "grace_seconds": "60", "review_score": "y", "review_band": "y",
        "review_when": "immediately"})
    # the refusal is in the trainer's Kazakh, under the field it is about, named in the form's words
    closes = re.search(r'<p class="field [^"]*">\s*<label for="closes_at">.*?</p>', response.text, re.S).group(0)
    assert response.status_code == 200 and "жабылу уақыты: Тест ашылмай тұрып жабылады" in closes
    response = client.post(f"/cohorts/{CODE}/tests/new", data={
        **_form_of(form_page.text), "kind": "module", "title": "Екінші тест", "module_number": "1",
        "blueprint_id": str(bp_id), "opens_at": "2026-01-10T09:00", "closes_at": "2026-12-31T18:00",
        "attempts_allowed": "1", "grace_seconds": "60", "review_score": "y", "review_band": "y",
        "review_when": "immediately"})
    assert response.status_code == 302
    new = db.session.scalar(select(Test).where(Test.title == "Екінші тест"))
    assert new.status == "draft" and new.opens_at.hour == 4  # 09:00 in Almaty is 04:00 UTC
    assert new.pass_percent == 50.0 and new.bands[0]["min"] == 90  # the programme's defaults

    # a blueprint asking more than the ready items hold is refused, naming the topic
    db.session.execute(Blueprint.__table__.update().where(Blueprint.id == bp_id)
                       .values(rules=[{"topic": "1.1", "min": 6, "max": 9}], total=9))
    db.session.commit()
    listing = client.get(f"/cohorts/{CODE}/tests")
    refused = client.post(f"/cohorts/{CODE}/tests/{new.id}/publish", data=_form_of(listing.text),
                          follow_redirects=True)
    assert "1.1 тақырыбы" in refused.text and "тестін жариялауға болмайды" in refused.text  # in Kazakh
    db.session.expire_all()
    assert db.session.get(Test, new.id).status == "draft"

    results = client.get(f"/cohorts/{CODE}/tests/{test.id}")
    assert results.status_code == 200 and "Қатысушы 01" in results.text
    csv = client.get(f"/cohorts/{CODE}/tests/{test.id}?format=csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "Қатысушы 02".encode() in csv.data
    # another cohort's test is not reachable through this cohort
    other = make.cohort(code="QZ-OTHER", programme="LDR-DT", format_code="blended", participants=0, trainer=trainer)
    other_test = make_test(other)
    db_session.commit()
    assert client.get(f"/cohorts/{CODE}/tests/{other_test.id}").status_code == 404


def test_an_essay_waits_in_the_queue_and_the_grade_reaches_the_result(client, auth, setup, db_session):
    cohort, test, trainer = setup
    build_items(db_session, kinds=[ESSAY], topic="1.2")
    bp = db.session.scalar(select(Blueprint).where(Blueprint.code == "QV-M1"))
    essay_bp = Blueprint(bank_id=bp.bank_id, code="QV-ESSAY", title="essay", total=1,
                         rules=[{"topic": "1.2", "min": 1, "max": 1}], level_quotas={})
    db_session.add(essay_bp)
    db_session.flush()
    essay_test = make_test(cohort, blueprint=essay_bp, title="Эссе")
    db_session.commit()
    auth.login(f"{CODE.lower()}-p01@test.kz")
    listing = client.get(f"/cohorts/{CODE}/me/tests")
    started = client.post(f"/cohorts/{CODE}/me/tests/{essay_test.id}/start", data=_form_of(listing.text))
    attempt_id = int(re.search(r"/me/attempts/(\d+)", started.headers["Location"]).group(1))
    page = client.get(started.headers["Location"])
    client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}?page=1",
                data={**_form_of(page.text), "present-1": "1", "q1": "Менің эссем", "action": "submit"})
    result = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result")
    assert "waiting for the trainer" in result.text or "бағалауын" in result.text or "Some answers" in result.text
    auth.logout()
    auth.login(trainer.email)
    queue = client.get(f"/cohorts/{CODE}/tests/{essay_test.id}/grading")
    assert "Менің эссем" in queue.text
    slot_id = db.session.scalar(select(AttemptSlot.id).where(AttemptSlot.attempt_id == attempt_id))
    graded = client.post(f"/cohorts/{CODE}/tests/{essay_test.id}/slots/{slot_id}/grade",
                         data={**_form_of(queue.text), "score": "0.8", "feedback": "Жақсы ой"})
    assert graded.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.pending_grading == 0 and attempt.percent == 80.0
    assert "Nothing to grade" in client.get(f"/cohorts/{CODE}/tests/{essay_test.id}/grading").text or \
        "Менің эссем" not in client.get(f"/cohorts/{CODE}/tests/{essay_test.id}/grading").text
