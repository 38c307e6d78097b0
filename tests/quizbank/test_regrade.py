"""Regrading after an item was corrected (Moodle's "regrade attempts"): the dry run shows
whose result changes and writes nothing; the regrade moves attempts to the corrected version
only where it reads the same to the participant, scores them again and audits each change."""
from sqlalchemy import func, select

from lms.core.models import AuditEntry, User
from lms.courses.models import Enrolment
from lms.quizbank.models import Attempt, AttemptSlot, Item, ItemVersion, Test
from lms.quizbank.services import attempts, banks, regrade
from tests.quizbank.test_attempts import RIGHT, shown
from tests.quizbank.test_views_attempts import CODE, _form_of, setup  # noqa: F401 - the fixture

WRONG_SINGLE = {"choice": 1}  # "Алматы": wrong by the item's first key, right after the correction


def _take(db_session, n: int, test_id: int, single=RIGHT["single"], finish=True) -> int:
    """Participant n answers every question right except the single-choice one, given `single`."""
    user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p{n:02d}@test.kz"))
    enrolment = db_session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    attempt = attempts.start_attempt(db_session.get(Test, test_id), enrolment, user)
    db_session.flush()
    for s in attempt.slots:
        stored = single if s.version.qtype == "single" else RIGHT[s.version.qtype]
        attempts.save_answer(attempt.id, s.slot, shown(s, stored), user)
    if finish:
        attempts.submit(attempt.id, user)
    db_session.commit()
    return attempt.id


def _item(db_session, qtype: str) -> Item:
    return db_session.scalar(select(Item).join(ItemVersion).where(ItemVersion.qtype == qtype))


def _swap_key(db_session):
    """The key was wrong: the second option is the right one."""
    item = _item(db_session, "single")
    data = {**item.current.data, "options": [{**o, "fraction": 1.0 if i == 1 else 0.0}
                                             for i, o in enumerate(item.current.data["options"])]}
    banks.revise_item(item, {"data": data}, None)
    db_session.commit()
    return item.code


def _outcome(db_session, attempt_id):
    a = db_session.get(Attempt, attempt_id)
    return a.score, a.percent, a.passed


def test_a_corrected_key_is_previewed_then_regraded_and_audited(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test_id, trainer_email = test.id, trainer.email
    right = _take(db_session, 1, test_id)                        # chose the first key: 6 of 6
    wrong = _take(db_session, 2, test_id, single=WRONG_SINGLE)   # 5 of 6
    assert _outcome(db_session, right)[0] == 6 and _outcome(db_session, wrong)[0] == 5
    auth.login(trainer_email)
    assert "regrade-link" not in client.get(f"/cohorts/{CODE}/tests/{test_id}").text  # nothing corrected yet
    code = _swap_key(db_session)

    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert 'id="regrade-link"' in page.text
    preview = client.get(f"/cohorts/{CODE}/tests/{test_id}/regrade")
    html = preview.text
    row = html.split(f'data-item="{code}"', 1)[1].split("</tr>", 1)[0]
    assert "v1" in row and "v2" in row and "not used" not in row
    assert f'data-attempt="{right}"' in html and f'data-attempt="{wrong}"' in html
    mine = html.split(f'data-attempt="{right}"', 1)[1].split("</tr>", 1)[0]
    assert "6 / 6" in mine and "5 / 6" in mine
    # the dry run wrote nothing
    assert _outcome(db_session, right)[0] == 6 and _outcome(db_session, wrong)[0] == 5
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("%regraded"))) == 0

    done = client.post(f"/cohorts/{CODE}/tests/{test_id}/regrade", data=_form_of(html), follow_redirects=True)
    assert done.request.path == f"/cohorts/{CODE}/tests/{test_id}"
    assert _outcome(db_session, right) == (5.0, 83.33, True)
    assert _outcome(db_session, wrong) == (6.0, 100.0, True)
    versions = {s.version.number for s in db_session.scalars(select(AttemptSlot).join(AttemptSlot.version).where(
        ItemVersion.qtype == "single"))}
    assert versions == {2}
    entries = list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == "attempt_regraded")
                                      .order_by(AuditEntry.id)))
    assert [(e.details["old_score"], e.details["new_score"]) for e in entries] == [(6.0, 5.0), (5.0, 6.0)]
    assert entries[0].details["versions"][0]["from"] == 1 and entries[0].details["versions"][0]["to"] == 2

    # done once: nothing more to regrade
    assert "regrade-link" not in done.get_data(as_text=True)
    assert 'class="empty"' in client.get(f"/cohorts/{CODE}/tests/{test_id}/regrade").text


def test_a_version_that_reads_differently_is_not_used(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test_id = test.id
    attempt_id = _take(db_session, 1, test_id)
    single, matching = _item(db_session, "single"), _item(db_session, "matching")
    options = [{**o} for o in single.current.data["options"]]
    # the options read otherwise
    options[0]["text"], options[0]["fraction"], options[1]["fraction"] = "Ақмола", 0.0, 1.0
    banks.revise_item(single, {"data": {**single.current.data, "options": options}}, None)
    banks.revise_item(matching, {"text": "Жаңа сұрақ мәтіні"}, None)
    db_session.commit()

    found = regrade.plan(db_session.get(Test, test_id))
    assert {i.code: str(i.refused) for i in found.items} == {
        single.code: "its options changed: an answer given to the old options would be misread",
        matching.code: "its question text changed: an answer given to the old text may not fit the new one"}
    assert found.usable == [] and found.changes == []
    regrade.regrade(db_session.get(Test, test_id), None)
    db_session.commit()
    assert {s.version.number for s in db_session.get(Attempt, attempt_id).slots} == {1}
    assert _outcome(db_session, attempt_id)[0] == 6


def test_an_attempt_in_progress_moves_and_is_scored_by_the_correction_when_it_ends(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test_id = test.id
    going = _take(db_session, 1, test_id, single=WRONG_SINGLE, finish=False)
    _swap_key(db_session)
    found = regrade.regrade(db_session.get(Test, test_id), None)
    db_session.commit()
    assert found.attempts == 1 and found.changes == []  # not scored until it ends
    slot = next(s for s in db_session.get(Attempt, going).slots if s.version.qtype == "single")
    assert slot.version.number == 2 and slot.score is None
    user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p01@test.kz"))
    attempts.submit(going, user)
    db_session.commit()
    assert _outcome(db_session, going)[0] == 6


def test_what_reads_the_same_for_each_question_type():
    from lms.quizbank.qtypes import QUESTION_TYPES as Q
    from tests.quizbank.test_attempts import ITEMS

    data = {qtype: d for qtype, d, _answer in ITEMS}
    rekeyed = {**data["single"], "options": [{**o, "fraction": 1.0 - o["fraction"]} for o in data["single"]["options"]]}
    assert Q["single"].reads_the_same(data["single"], rekeyed)
    reordered = {**data["single"], "options": list(reversed(data["single"]["options"]))}
    assert not Q["single"].reads_the_same(data["single"], reordered)  # index 0 would mean another option
    fewer = {**data["multiple"], "options": data["multiple"]["options"][:2]}
    assert not Q["multiple"].reads_the_same(data["multiple"], fewer)
    swapped = {**data["matching"], "pairs": [{"question": "1+1", "answer": "4"}, {"question": "2+2", "answer": "2"}]}
    assert Q["matching"].reads_the_same(data["matching"], swapped)  # the key moved, the answers are the same
    extra = {**data["matching"], "extra_answers": ["6"]}
    assert not Q["matching"].reads_the_same(data["matching"], extra)
    assert Q["truefalse"].reads_the_same(data["truefalse"], {**data["truefalse"], "correct": False})
    assert Q["numerical"].reads_the_same(data["numerical"], {**data["numerical"], "tolerance": 1})
    assert not Q["essay"].reads_the_same({}, {})


def test_lms_quiz_regrade_command(app, runner, setup, db_session):  # noqa: F811
    from lms.quizbank.cli_quiz import quiz_group

    if "quiz" not in app.cli.commands:
        app.cli.add_command(quiz_group)
    _cohort, test, _trainer = setup
    test_id = test.id
    attempt_id = _take(db_session, 1, test_id)
    code = _swap_key(db_session)
    dry = runner.invoke(args=["quiz", "regrade", str(test_id), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{code}: v1 -> v2 in 1 question(s)" in dry.output and "6 -> 5 of 6" in dry.output
    assert "dry run: 1 attempt(s) would move, 1 result(s) would change" in dry.output
    assert _outcome(db_session, attempt_id)[0] == 6  # nothing written
    done = runner.invoke(args=["quiz", "regrade", str(test_id)])
    assert done.output.endswith("1 attempt(s) moved, 1 result(s) changed\n")
    assert _outcome(db_session, attempt_id)[0] == 5
    bad = runner.invoke(args=["quiz", "regrade", "999999"])
    assert bad.exit_code != 0 and "no test 999999" in bad.output


def test_the_preview_points_out_a_result_that_changes_pass_or_fail(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test.pass_percent = 90  # 6 of 6 passes, 5 of 6 does not
    db_session.commit()
    test_id, trainer_email = test.id, trainer.email
    right = _take(db_session, 1, test_id)
    wrong = _take(db_session, 2, test_id, single=WRONG_SINGLE)
    _swap_key(db_session)
    auth.login(trainer_email)
    html = client.get(f"/cohorts/{CODE}/tests/{test_id}/regrade").text
    for attempt_id in (right, wrong):
        row = html.split(f'data-attempt="{attempt_id}"', 1)[1].split("</tr>", 1)[0]
        assert "data-pass-changes" in row and "сертификатты" in row
