"""Defense sessions scored by rubric panels: the leaders' group scored 9, 8 and 3 goes to the
chair and each member of the mini-group then sees the grade with the comments; blind
scoring; another cohort's assessor is kept out; mean and median; the rubric frozen after
its first use; the scores API; statements per scoring page."""
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services import tokens
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.services import cohorts
from lms.portfolio.models import Assessment, Defense, Rubric
from lms.portfolio.services import defenses, rubrics
from lms.signals import defense_decided, defense_scored
from tests.conftest import CONTENT

NINE = {"P1": 2, "P2": 2, "P3": 2, "P4": 2, "P5": 1}
EIGHT = {"P1": 2, "P2": 2, "P3": 2, "P4": 1, "P5": 1}
THREE = {"P1": 1, "P2": 1, "P3": 1, "P4": 0, "P5": 0}


def _scores(points: dict, who: str = "") -> dict:
    return {code: {"points": p, "comment": f"{who} on {code}".strip()} for code, p in points.items()}


@pytest.fixture
def panel(make, db_session):
    """A leaders' cohort of 10 participants in 5 mini-groups, three assessors and the trainer
    as chair (all with their role in the cohort), one session with a slot per mini-group."""
    rubrics.load_rubrics(CONTENT / "rubrics")
    trainer = make.user(email="chair@test.kz", full_name="Төраға Тренер")
    cohort = make.cohort(code="DEF-LDR", participants=0, mini_groups=5, trainer=trainer)
    members = []
    for n in range(1, 11):
        user = make.user(email=f"def-p{n:02d}@test.kz", full_name=f"Қатысушы {n:02d}")
        members.append(cohorts.enrol(cohort, user, None, mini_group=(n - 1) % 5 + 1))
    assessors = []
    for n, name in enumerate(("Сарапшы Бірінші", "Сарапшы Екінші", "Сарапшы Үшінші"), start=1):
        user = make.user(email=f"assessor{n}@test.kz", full_name=name)
        cohorts.assign_staff(cohort, user, "assessor", None)
        assessors.append(user)
    session = defenses.create_session(cohort, {
        "title": "Панорамалық қорғау", "rubric": rubrics.current_rubric("LDR-SUS-DEFENSE"),
        "aggregation": "mean", "spread_threshold": 3}, trainer)
    defenses.set_panel(session, assessors, trainer, trainer)
    slots = defenses.generate_slots(session, trainer, mode="group", minutes=7)
    db_session.commit()
    return {"cohort": cohort, "session": session, "slots": slots, "trainer": trainer, "assessors": assessors,
            "members": members, "group1": [m for m in members if m.mini_group == 1]}


def _score_page(client, cohort, defense_id):
    return client.get(f"/cohorts/{cohort.code}/defenses/slots/{defense_id}/score")


def _post_scores(client, cohort, defense_id, points: dict, who: str, *, submit=True):
    data = {f"points_{code}": str(p) for code, p in points.items()}
    data.update({f"comment_{code}": f"{who} on {code}" for code in points})
    data["finish" if submit else "save"] = "1"
    return client.post(f"/cohorts/{cohort.code}/defenses/slots/{defense_id}/score", data=data)


def test_slots_one_per_mini_group(panel):
    slots = panel["slots"]
    assert [d.mini_group for d in slots] == [1, 2, 3, 4, 5]
    assert {d.minutes for d in slots} == {7} and {d.status for d in slots} == {"scheduled"}
    assert defenses.generate_slots(panel["session"], panel["trainer"], mode="group") == []  # all have one


def test_three_assessors_9_8_3_go_to_the_chair_and_the_group_sees_the_grade(client, auth, panel, db_session):
    cohort, slot = panel["cohort"], panel["slots"][0]
    scored, decided = [], []
    with defense_scored.connected_to(lambda a, **kw: scored.append(a.total)), \
            defense_decided.connected_to(lambda d, **kw: decided.append((d.points, kw["reconciled"]))):
        for assessor, points, who in zip(panel["assessors"], (NINE, EIGHT, THREE), ("first", "second", "third")):
            auth.login(assessor.email)
            r = _post_scores(client, cohort, slot.id, points, f"{who} assessor")
            assert r.status_code == 302, r.get_data(as_text=True)
            auth.logout()
        assert scored == [9, 8, 3] and decided == []
        defense = db_session.get(Defense, slot.id)
        assert defense.status == "reconcile"  # spread 6 > 3

        # the participants see nothing yet
        auth.login(panel["group1"][0].user.email)
        html = client.get(f"/cohorts/{cohort.code}/me/defense").get_data(as_text=True)
        assert "first assessor" not in html and 'data-points=' not in html
        auth.logout()

        # an assessor cannot decide; the chair sees every score and the spread, and decides
        auth.login(panel["assessors"][0].email)
        assert client.post(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/reconcile",
                           data={"source": "custom", "points": "9", "note": "x"}).status_code == 403
        auth.logout()
        auth.login(panel["trainer"].email)
        html = client.get(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}").get_data(as_text=True)
        assert 'data-total="9"' in html and 'data-total="8"' in html and 'data-total="3"' in html
        assert 'data-spread="6"' in html and 'id="reconcile"' in html
        assert "Сарапшы Үшінші" in html  # staff see who scored what
        r = client.post(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/reconcile",
                        data={"source": "custom", "points": "8", "note": "Үшінші сарапшы P1-P3 бөлімін қате оқыған"})
        assert r.status_code == 302
        assert decided == [(8.0, True)]
        db_session.expire_all()
        defense = db_session.get(Defense, slot.id)
        rubric = db_session.get(Rubric, panel["session"].rubric_id)
        row = next(r for r in rubric.conversion if r["min"] <= 8 <= r["max"])
        assert (defense.status, defense.points, defense.grade, defense.passed) == ("decided", 8, row["grade"], True)
        assert defense.grade == "4" and defense.reconciled_by_id == panel["trainer"].id
        r = client.post(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/release", data={"feedback": "Жарайсыздар!"})
        assert r.status_code == 302
        auth.logout()

    assert db_session.get(Defense, slot.id).status == "released"
    for member in panel["group1"]:
        auth.login(member.user.email)
        html = client.get(f"/cohorts/{cohort.code}/me/defense").get_data(as_text=True)
        assert 'data-points="8"' in html and 'data-grade="4"' in html and "жақсы" in html
        for who in ("first", "second", "third"):
            for code in ("P1", "P5"):
                assert f"{who} assessor on {code}" in html
        assert "Сарапшы" not in html and "assessor1@test.kz" not in html  # names stay with the staff
        assert "Үшінші сарапшы P1-P3" not in html  # the chair's note is the staff's
        assert "Жарайсыздар!" in html
        assert len(html.encode()) < 60_000
        auth.logout()
    other = next(m for m in panel["members"] if m.mini_group == 2)
    auth.login(other.user.email)
    html = client.get(f"/cohorts/{cohort.code}/me/defense").get_data(as_text=True)
    assert "first assessor" not in html and 'data-grade="4"' not in html
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_id.is_not(None))))
    assert {"defense_scored", "defense_sent_to_chair", "defense_reconciled", "defense_decided",
            "defense_released"} <= actions
    results = defenses.defense_results(cohort.id)
    assert {e.id for e in panel["group1"]} <= set(results)
    assert results[panel["group1"][0].id].points == 8 and results[panel["group1"][0].id].released


def test_scores_within_the_threshold_are_decided_by_the_mean(panel, db_session):
    slot = panel["slots"][1]
    a1, a2, a3 = panel["assessors"]
    defenses.save_scores(slot, a1, _scores(NINE), submit=True)
    defenses.save_scores(slot, a2, _scores(EIGHT), submit=True)
    assert slot.status == "scoring"
    defenses.save_scores(slot, a3, _scores(EIGHT), submit=True)
    # mean of 9, 8, 8 = 8.33 -> 8 -> «4»
    assert (slot.status, slot.points, slot.grade, slot.passed) == ("decided", 8, "4", True)
    with pytest.raises(ServiceError):
        defenses.reconcile(slot, panel["trainer"], points=9, note="no")  # nothing to reconcile


def test_blind_scoring_on_the_page_and_in_the_service(client, auth, panel, db_session):
    cohort, slot = panel["cohort"], panel["slots"][0]
    a1, a2, _a3 = panel["assessors"]
    auth.login(a1.email)
    assert _post_scores(client, cohort, slot.id, NINE, "first assessor").status_code == 302
    auth.logout()

    auth.login(a2.email)
    html = _score_page(client, cohort, slot.id).get_data(as_text=True)
    assert 'id="blind"' in html and "first assessor" not in html and 'data-total="9"' not in html
    assert 'name="points_P1"' in html and "Сарапшы Бірінші" not in html
    html = client.get(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}").get_data(as_text=True)
    assert 'id="blind"' in html and "first assessor" not in html and 'data-total="9"' not in html
    defense = defenses.get_defense(slot.id)
    assert not defenses.scores_visible_to(defense, a2)
    assert defenses.visible_assessments(defense, a2) == []
    # a draft of assessor 2 reaches nobody else, the submitted assessor 1 included
    assert _post_scores(client, cohort, slot.id, EIGHT, "second assessor", submit=False).status_code == 302
    db_session.expire_all()
    defense = defenses.get_defense(slot.id)
    assert [a.assessor_id for a in defenses.visible_assessments(defense, a2)] == [a2.id]
    assert [a.assessor_id for a in defenses.visible_assessments(defense, a1)] == [a1.id]
    # once assessor 2 submits, the first one's scores show
    assert _post_scores(client, cohort, slot.id, EIGHT, "second assessor").status_code == 302
    html = _score_page(client, cohort, slot.id).get_data(as_text=True)
    assert 'id="blind"' not in html and "first assessor on P1" in html and 'data-total="9"' in html
    assert "Сарапшы Бірінші" in html
    db_session.expire_all()
    defense = defenses.get_defense(slot.id)
    assert {a.assessor_id for a in defenses.visible_assessments(defense, a2)} == {a1.id, a2.id}


def test_submitted_scores_are_locked_and_must_be_complete(panel, db_session):
    slot = panel["slots"][0]
    a1 = panel["assessors"][0]
    with pytest.raises(ServiceError, match="missing: P5"):
        defenses.save_scores(slot, a1, _scores({k: v for k, v in NINE.items() if k != "P5"}), submit=True)
    with pytest.raises(ServiceError, match="not one of its levels"):
        defenses.save_scores(slot, a1, {"P1": {"points": 1.5}})
    with pytest.raises(ServiceError, match="P9: not criteria"):
        defenses.save_scores(slot, a1, {"P9": {"points": 1}})
    draft = defenses.save_scores(slot, a1, {"P1": {"points": 2, "comment": "жақсы"}})
    assert (draft.status, draft.total) == ("draft", 2)
    submitted = defenses.save_scores(slot, a1, _scores({k: v for k, v in NINE.items() if k != "P1"}), submit=True)
    assert submitted.id == draft.id and submitted.total == 9 and submitted.scores["P1"]["comment"] == "жақсы"
    assert defenses.save_scores(slot, a1, {"P1": {"points": 2, "comment": "жақсы"}}, submit=True) is submitted
    with pytest.raises(Conflict, match="locked"):
        defenses.save_scores(slot, a1, {"P1": {"points": 0}})
    with pytest.raises(NotFound):
        defenses.save_scores(slot, panel["trainer"], _scores(NINE), submit=True)  # the chair does not score


def test_an_assessor_of_another_cohort_cannot_open_these_defenses(client, auth, make, panel, db_session):
    cohort, slot = panel["cohort"], panel["slots"][0]
    other = make.cohort(code="DEF-OTHER", participants=1, mini_groups=5)
    outsider = make.user(email="outsider@test.kz")
    cohorts.assign_staff(other, outsider, "assessor", None)
    db_session.commit()
    auth.login(outsider.email)
    for url in (f"/cohorts/{cohort.code}/defenses", f"/cohorts/{cohort.code}/panels",
                f"/cohorts/{cohort.code}/defenses/{panel['session'].id}",
                f"/cohorts/{cohort.code}/defenses/slots/{slot.id}",
                f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/score"):
        assert client.get(url).status_code == 403, url
    assert _post_scores(client, cohort, slot.id, NINE, "outsider").status_code == 403
    # in their own cohort's URL, this cohort's slot does not exist
    assert client.get(f"/cohorts/{other.code}/defenses/slots/{slot.id}/score").status_code == 404
    assert client.get(f"/cohorts/{other.code}/panels").status_code == 200
    headers = {"Authorization": f"Bearer {tokens.create_token(outsider)[1]}"}
    db_session.commit()
    r = client.post(f"/api/v1/defenses/{slot.id}/scores", json={"scores": _scores(NINE), "submit": True},
                    headers=headers)
    assert r.status_code == 403
    assert db_session.scalar(select(Assessment.id).where(Assessment.assessor_id == outsider.id)) is None


def test_an_assessor_off_the_panel_gets_404(client, auth, make, panel, db_session):
    cohort, slot = panel["cohort"], panel["slots"][0]
    spare = make.user(email="spare@test.kz")
    cohorts.assign_staff(cohort, spare, "assessor", None)
    db_session.commit()
    auth.login(spare.email)
    assert _score_page(client, cohort, slot.id).status_code == 404
    assert client.get(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}").status_code == 404
    assert "data-session=" not in client.get(f"/cohorts/{cohort.code}/panels").get_data(as_text=True)


def test_an_assessor_taken_off_the_cohort_no_longer_lists_its_panels(client, auth, make, panel, db_session):
    """"My panels" across cohorts shows only cohorts where one still assesses: a seat on a panel
    outlives the role, its participants' names must not."""
    cohort, (first, *_rest) = panel["cohort"], panel["assessors"]
    other = make.cohort(code="DEF-ELSE", participants=1, mini_groups=5)
    cohorts.assign_staff(other, first, "assessor", None)
    db_session.commit()
    auth.login(first.email)
    before = client.get("/defenses/mine").text
    assert "Панорамалық қорғау" in before and "data-session=" in before
    auth.logout()
    cohorts.remove_staff(db_session.get(type(cohort), cohort.id), db_session.get(type(first), first.id),
                         "assessor", None)
    db_session.commit()
    auth.login(first.email)
    assert client.get(f"/cohorts/{cohort.code}/panels").status_code == 403
    page = client.get("/defenses/mine")
    assert page.status_code == 200 and "Панорамалық қорғау" not in page.text and "data-session=" not in page.text


@pytest.mark.parametrize("aggregation, points, grade", [("mean", 8, "4"), ("median", 9, "5")])
def test_mean_or_median_as_the_session_says(panel, db_session, aggregation, points, grade):
    session = panel["session"]
    defenses.update_session(session, {"title": session.title, "rubric": session.rubric, "aggregation": aggregation,
                                      "spread_threshold": 10}, panel["trainer"])
    slot = panel["slots"][2]
    for assessor, total in zip(panel["assessors"], (NINE, {**NINE, "P5": 2}, {**THREE, "P4": 2})):
        defenses.save_scores(slot, assessor, _scores(total), submit=True)
    figures = defenses.aggregate(slot)
    assert figures.totals == (9, 10, 5)
    # mean 8 -> «4»; median 9 -> «5»
    assert (slot.status, slot.points, slot.grade) == ("decided", points, grade)
    assert figures.value == (8 if aggregation == "mean" else 9)


def test_a_half_point_mean_rounds_up(make, panel, db_session):
    """Two assessors, 9 and 8: the mean 8.5 is read as 9, «5»."""
    session = panel["session"]
    defenses.set_panel(session, panel["assessors"][:2], panel["trainer"], panel["trainer"])
    slot = panel["slots"][3]
    defenses.save_scores(slot, panel["assessors"][0], _scores(NINE), submit=True)
    defenses.save_scores(slot, panel["assessors"][1], _scores(EIGHT), submit=True)
    assert defenses.aggregate(slot).value == 8.5
    assert (slot.status, slot.points, slot.grade) == ("decided", 9, "5")


def test_the_rubric_freezes_on_first_use_and_a_change_makes_version_2(make, db_session, tmp_path):
    directory = tmp_path / "rubrics"
    shutil.copytree(CONTENT / "rubrics", directory)
    rubrics.load_rubrics(directory)
    trainer = make.user(email="fr-chair@test.kz")
    cohort = make.cohort(code="DEF-FREEZE", participants=2, programme="TCH-SUS", trainer=trainer)
    assessor = make.user(email="fr-assessor@test.kz")
    cohorts.assign_staff(cohort, assessor, "assessor", None)
    v1 = rubrics.current_rubric("TCH-SUS-DEFENSE")
    session = defenses.create_session(cohort, {"title": "Қорғау", "rubric": v1}, trainer)
    defenses.set_panel(session, [assessor], trainer, trainer)
    first, second = defenses.generate_slots(session, trainer, mode="individual", minutes=10)
    defenses.save_scores(first, assessor, {"T1": {"points": 2}})
    assert v1.frozen_at is None  # a draft does not freeze it
    path = directory / "TCH-SUS-DEFENSE.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{min: 11, max: 11, grade: \"4\"",
                                                             "{min: 11, max: 11, grade: \"4-\""), encoding="utf-8")
    assert ("TCH-SUS-DEFENSE v1", "updated") in rubrics.load_rubrics(directory).rows
    full = {f"T{n}": {"points": 2} for n in range(1, 8)}
    assessment = defenses.save_scores(first, assessor, full, submit=True)
    assert v1.frozen_at is not None and first.grade == "5"
    path.write_text(path.read_text(encoding="utf-8").replace('grade: "4-"', 'grade: "4"'), encoding="utf-8")
    assert ("TCH-SUS-DEFENSE v2", "versioned") in rubrics.load_rubrics(directory).rows
    assert rubrics.load_rubrics(directory).rows[-1] == ("TCH-SUS-DEFENSE v2", "unchanged")
    v2 = rubrics.current_rubric("TCH-SUS-DEFENSE")
    db_session.expire_all()
    assert (v2.version, v2.frozen_at) == (2, None)
    assert db_session.get(Assessment, assessment.id).rubric_id == v1.id
    assert [r["grade"] for r in db_session.get(Rubric, v1.id).conversion][1] == "4-"  # v1 stays as scored
    second = defenses.get_defense(second.id)
    later = defenses.save_scores(second, assessor, {"T1": {"points": 1}})
    assert later.rubric_id == v1.id  # the session keeps the rubric it was set up with


def test_individual_slots_follow_each_other_and_newcomers_are_added(make, db_session):
    from datetime import datetime, timezone

    rubrics.load_rubrics(CONTENT / "rubrics")
    trainer = make.user(email="ind-chair@test.kz")
    cohort = make.cohort(code="DEF-TCH", programme="TCH-SUS", participants=3, trainer=trainer)
    start = datetime(2027, 3, 1, 5, 0, tzinfo=timezone.utc)
    session = defenses.create_session(cohort, {"title": "Қорғау", "rubric": rubrics.current_rubric("TCH-SUS-DEFENSE"),
                                               "starts_at": start}, trainer)
    slots = defenses.generate_slots(session, trainer, mode="individual", minutes=10, gap=2)
    assert [(d.starts_at.hour, d.starts_at.minute) for d in slots] == [(5, 0), (5, 12), (5, 24)]
    assert defenses.session_mode(session) == "individual"
    cohorts.enrol(cohort, make.user(email="late@test.kz"), None)
    added = defenses.generate_slots(session, trainer, mode="individual", minutes=10, gap=2)
    assert len(added) == 1 and (added[0].starts_at.hour, added[0].starts_at.minute) == (5, 36)
    with pytest.raises(ServiceError, match="mini-group"):
        defenses.generate_slots(session, trainer, mode="group")


def test_panel_members_need_an_assessor_or_trainer_role_in_the_cohort(make, panel, db_session):
    stranger = make.user(email="stranger@test.kz", full_name="Бөгде Адам")
    with pytest.raises(ServiceError, match="Бөгде Адам holds no assessor or trainer role"):
        defenses.set_panel(panel["session"], [*panel["assessors"], stranger], panel["trainer"], None)
    with pytest.raises(ServiceError, match="at least one assessor"):
        defenses.set_panel(panel["session"], [panel["trainer"]], panel["trainer"], None)
    defenses.save_scores(panel["slots"][0], panel["assessors"][0], _scores(NINE))
    with pytest.raises(Conflict):
        defenses.set_panel(panel["session"], panel["assessors"][:2], panel["trainer"], None)


def test_staff_set_up_a_session_with_panel_and_slots_on_the_page(client, auth, make, db_session):
    rubrics.load_rubrics(CONTENT / "rubrics")
    trainer = make.user(email="page-trainer@test.kz", full_name="Бет Тренер")
    cohort = make.cohort(code="DEF-PAGE", participants=0, mini_groups=5, trainer=trainer)
    for n in range(1, 6):
        cohorts.enrol(cohort, make.user(email=f"pg{n}@test.kz"), None, mini_group=n)
    assessor = make.user(email="page-assessor@test.kz", full_name="Бет Сарапшы")
    cohorts.assign_staff(cohort, assessor, "assessor", None)
    plain = make.user(email="page-plain@test.kz")
    db_session.commit()
    rubric = rubrics.current_rubric("LDR-SUS-DEFENSE")
    auth.login(plain.email)
    assert client.get(f"/cohorts/{cohort.code}/defenses/new").status_code == 403
    auth.logout()
    auth.login(trainer.email)
    html = client.get(f"/cohorts/{cohort.code}/defenses/new").get_data(as_text=True)
    assert "Бет Сарапшы" in html and "page-plain" not in html
    form = {"title": "Қорғау күні", "rubric_id": str(rubric.id), "project_id": "", "aggregation": "median",
            "spread_threshold": "3", "starts_at": "2027-05-20T10:00", "meeting_url": "https://meet.example/x",
            "members": [str(assessor.id), str(plain.id)], "chair": str(trainer.id), "generate": "y",
            "mode": "group", "minutes": "6", "gap": "0"}
    html = client.post(f"/cohorts/{cohort.code}/defenses/new", data=form).get_data(as_text=True)
    # in the trainer's Kazakh, naming who
    assert "тобында бағалаушы да, тренер де емес (рөлді топтың қызметкерлері бетінде беріңіз)" in html
    assert defenses.sessions_of(cohort) == []  # nothing half made
    form["members"] = [str(assessor.id)]
    r = client.post(f"/cohorts/{cohort.code}/defenses/new", data=form)
    assert r.status_code == 302
    (session,) = defenses.sessions_of(cohort)
    assert (session.aggregation, session.spread_threshold, len(session.defenses)) == ("median", 3, 5)
    assert session.starts_at == datetime(2027, 5, 20, 10, 0, tzinfo=ZoneInfo(cohort.timezone))
    assert defenses.chair_of(session).user_id == trainer.id
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert html.count("data-defense=") == 5 and "Бет Сарапшы" in html and 'id="formula"' in html
    html = client.get(f"/cohorts/{cohort.code}/defenses").get_data(as_text=True)
    assert f'data-session="{session.id}"' in html and "Қорғау күні" in html


def test_the_scoring_page_shows_levels_and_the_formula(client, auth, panel):
    cohort, slot = panel["cohort"], panel["slots"][0]
    auth.login(panel["assessors"][0].email)
    html = _score_page(client, cohort, slot.id).get_data(as_text=True)
    assert html.count('type="radio"') == 15  # 5 criteria x 0/1/2
    assert "ішінара жүзеге асырылды" in html and 'id="formula"' in html
    assert "8.5" in html  # how a half point is rounded is stated
    assert html.count('data-grade=') == 4  # the conversion table
    assert "Қатысушы 01" in html and "Қатысушы 06" in html  # who defends: mini-group 1


def test_the_scoring_page_costs_the_same_statements_for_small_and_large_panels(client, auth, make, panel,
                                                                            count_queries, db_session):
    cohort, trainer = panel["cohort"], panel["trainer"]
    a1 = panel["assessors"][0]
    extra = []
    for n in range(4, 7):
        user = make.user(email=f"assessor{n}@test.kz")
        cohorts.assign_staff(cohort, user, "assessor", None)
        extra.append(user)
    big = defenses.create_session(cohort, {"title": "Үлкен", "rubric": panel["session"].rubric}, trainer)
    defenses.set_panel(big, [a1, *panel["assessors"][1:], *extra], trainer, trainer)
    big_slot = defenses.generate_slots(big, trainer, mode="group")[0]
    small_slot = panel["slots"][4]
    for user in [*panel["assessors"][1:], *extra]:
        defenses.save_scores(big_slot, user, _scores(EIGHT, user.email))
        defenses.save_scores(big_slot, user, {}, submit=True)
    defenses.save_scores(small_slot, panel["assessors"][1], _scores(EIGHT), submit=True)
    for slot in (big_slot, small_slot):
        defenses.save_scores(slot, a1, _scores(NINE), submit=True)
    db_session.commit()
    auth.login(a1.email)
    _score_page(client, cohort, small_slot.id)  # warm up
    with count_queries() as q_small:
        assert _score_page(client, cohort, small_slot.id).status_code == 200
    with count_queries() as q_big:
        html = _score_page(client, cohort, big_slot.id).get_data(as_text=True)
    assert html.count("data-total=") == 6
    assert len(q_small) == len(q_big) <= 10


def test_scores_api(client, panel, db_session, app):
    slot = panel["slots"][0]
    a1, a2, _a3 = panel["assessors"]
    headers = {"Authorization": f"Bearer {tokens.create_token(a1)[1]}"}
    chair = {"Authorization": f"Bearer {tokens.create_token(panel['trainer'])[1]}"}
    db_session.commit()
    url = f"/api/v1/defenses/{slot.id}/scores"
    assert client.post(url, json={"scores": {}}).status_code == 401
    r = client.post(url, json={"scores": {"P1": {"points": 2, "comment": "жақсы"}}}, headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["assessment"]["status"] == "draft" and body["assessment"]["total"] == 2
    assert body["assessment"]["rubric"] == {"code": "LDR-SUS-DEFENSE", "version": 1}
    assert body["defense"] == {"id": slot.id, "status": "scoring", "points": None, "grade": None, "passed": None}
    r = client.post(url, json={"scores": {"P1": {"points": 7}}}, headers=headers)
    assert r.status_code == 422 and r.get_json()["field"] == "scores.P1"
    assert client.post(url, json={"scores": {"X": {"points": 1}}}, headers=headers).status_code == 422
    assert client.post(url, json={"scores": {}, "submit": True}, headers=headers).status_code == 422
    assert client.post(url, json={"scores": {}, "submit": "yes"}, headers=headers).status_code == 400
    assert client.post(url, json=[1], headers=headers).status_code == 400
    r = client.post(url, json={"scores": _scores(NINE), "submit": True}, headers=headers)
    assert r.status_code == 200 and r.get_json()["assessment"]["status"] == "submitted"
    assert r.get_json()["assessment"]["total"] == 9
    again = client.post(url, json={"scores": _scores(NINE), "submit": True}, headers=headers)
    assert again.status_code == 200 and again.get_json()["assessment"]["submitted_at"] \
        == r.get_json()["assessment"]["submitted_at"]
    assert client.post(url, json={"scores": _scores(EIGHT), "submit": True}, headers=headers).status_code == 409
    assert client.post(url, json={"scores": _scores(NINE)}, headers=chair).status_code == 404
    assert client.post("/api/v1/defenses/999999/scores", json={"scores": {}}, headers=headers).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/defenses/{defense_id}/scores"]["post"]
    assert op["x-capability"] == "portfolio:assess" and "scores" in op["requestBody"]["content"][
        "application/json"]["schema"]["properties"]


def test_only_the_chair_or_a_manager_releases(client, auth, make, panel, db_session):
    cohort, slot = panel["cohort"], panel["slots"][0]
    for assessor in panel["assessors"]:
        defenses.save_scores(slot, assessor, _scores(EIGHT), submit=True)
    other_trainer = make.user(email="t2@test.kz")
    cohorts.assign_staff(cohort, other_trainer, "trainer", None)
    db_session.commit()
    assert slot.status == "decided"
    auth.login(panel["assessors"][0].email)
    assert client.post(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/release").status_code == 403
    auth.logout()
    auth.login(other_trainer.email)  # not on the panel, but manages the cohort's defenses
    html = client.get(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}").get_data(as_text=True)
    assert 'id="release"' in html and html.count("data-total=") == 3
    assert client.post(f"/cohorts/{cohort.code}/defenses/slots/{slot.id}/release").status_code == 302
    assert db_session.get(Defense, slot.id).released_at is not None


def test_demo_sets_up_the_leaders_defense(make, db_session):
    from lms.portfolio.demo import create_demo_defenses

    trainer = make.user("trainer", email="trainer@demo.test")
    for n in (1, 2, 3):
        make.user(email=f"assessor{n}@demo.test")
    cohort = make.cohort(code="DEMO-LDR-SUS", participants=0, mini_groups=5, trainer=trainer)
    for n in range(1, 11):
        cohorts.enrol(cohort, make.user(email=f"demo-p{n}@test.kz"), None, mini_group=(n - 1) % 5 + 1)
    summary = []
    create_demo_defenses(summary)
    (session,) = defenses.sessions_of(cohort)
    assert len(session.defenses) == 5 and {d.status for d in session.defenses} == {"scheduled"}
    assert defenses.chair_of(session).user_id == trainer.id
    assert len(defenses.assessors_of(session)) == 3
    assert session.rubric.code == "LDR-SUS-DEFENSE"
    create_demo_defenses(summary)
    assert len(defenses.sessions_of(cohort)) == 1 and "left as it is" in summary[-1]


def test_an_assessor_finds_their_panels_from_the_menu(client, auth, panel):
    auth.login(panel["assessors"][0].email)
    home = client.get("/defenses/mine").get_data(as_text=True)
    assert 'href="/defenses/mine"' in home  # the main menu
    assert home.count("data-defense=") == 5
    assert f'/cohorts/{panel["cohort"].code}/defenses/slots/{panel["slots"][0].id}/score' in home
    auth.logout()
    auth.login(panel["group1"][0].user.email)
    assert client.get("/defenses/mine").status_code == 403


def test_the_defense_tab_shows_where_the_cohort_defends(client, auth, make, db_session):
    """LDR-DT hands a portfolio in and holds no defense: its participants get no empty
    "My defense" tab, until staff set a defense day up for the cohort anyway."""
    rubrics.load_rubrics(CONTENT / "rubrics")
    trainer = make.user(email="dt-chair@test.kz")
    dt = make.cohort(code="TAB-DT", programme="LDR-DT", format_code="blended", participants=1, trainer=trainer)
    sus = make.cohort(code="TAB-SUS", participants=1)
    assert not defenses.has_defense(dt) and defenses.has_defense(sus)
    dt_email, sus_email = dt.enrolments[0].user.email, sus.enrolments[0].user.email
    auth.login(dt_email)
    assert "/cohorts/TAB-DT/me/defense" not in client.get("/cohorts/TAB-DT/me").text
    defenses.create_session(db_session.merge(dt), {"title": "Қорғау", "rubric": rubrics.current_rubric("LDR-SUS-DEFENSE"),
                                 "aggregation": "mean", "spread_threshold": 3}, trainer)
    db_session.commit()
    assert "/cohorts/TAB-DT/me/defense" in client.get("/cohorts/TAB-DT/me").text
    auth.logout()
    auth.login(sus_email)
    assert "/cohorts/TAB-SUS/me/defense" in client.get("/cohorts/TAB-SUS/me").text
