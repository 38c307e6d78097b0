"""Certificates: eligibility by the programme's rules (LDR-DT final test >= 50 %; seed 000:
final test and defense passed and the hour ledger complete), issuing one or a cohort's (never
to staff or the ineligible), the Kazakh PDF with its QR code, the stored PDF never remade,
revocation, public verification, the cohort's ZIP, Open Badges 2.0."""
import hashlib
import io
import zipfile

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Attendance, SelfStudyTask, Submission, WebinarSession
from lms.courses.services import cohorts, ledger
from lms.db import utcnow
from lms.portfolio.models import Certificate, Defense, DefenseSession, Rubric
from lms.portfolio.services import certificates as service
from lms.quizbank.services import attempts
from lms.signals import certificate_issued
from tests.quizbank.test_attempts import build_items, make_test, shown

NAME = "Әбілқайыр Ұлықбекұлы Нұрсұлтан"
TRUE_FALSE = ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, {"value": True})


# --- making results -------------------------------------------------------------------------------

def final_test(cohort, db_session, items=20):
    """A published final test of `items` true/false questions (the answer is always "true")."""
    versions = build_items(db_session, [TRUE_FALSE] * items, bank_code=f"CRT{cohort.id}",
                           programme=cohort.programme.code)
    test = make_test(cohort, kind="final", title="Қорытынды тест", module_number=None)
    db_session.flush()
    return test, versions


def take(test, versions, enrolment, right: int):
    """A finished attempt with the first `right` answers right and the rest wrong."""
    attempt = attempts.start_attempt(test, enrolment, None, versions=versions)
    for s in attempt.slots:
        attempts.save_answer(attempt.id, s.slot, shown(s, {"value": s.slot <= right}), enrolment.user)
    return attempts.submit(attempt.id, enrolment.user)


def decide_defense(db_session, cohort, enrolment, *, passed: bool, points: float = 8):
    rubric = db_session.scalar(select(Rubric).where(Rubric.code == f"CRT-{cohort.code}"))
    if rubric is None:
        rubric = Rubric(code=f"CRT-{cohort.code}", title={"kk": "Рубрика"}, criteria=[], max_points=10,
                        conversion=[{"min": 5, "max": 10, "grade": "3", "passed": True}])
    session = DefenseSession(cohort_id=cohort.id, rubric=rubric, title="Қорғау")
    session.defenses.append(Defense(enrolment_id=enrolment.id, status="decided", points=points,
                                    grade="4" if passed else "2", passed=passed, decided_at=utcnow()))
    db_session.add(session)
    db_session.flush()


def complete_hours(db_session, cohort, enrolments):
    """Every planned contact hour attended and every self-study hour accepted."""
    units, _topics = ledger.units(cohort)
    for unit in units:
        if unit.contact_planned:
            s = WebinarSession(cohort_id=cohort.id, module_id=unit.module.id,
                               topic_id=unit.topic.id if unit.topic else None, starts_at=utcnow(),
                               academic_hours=unit.contact_planned)
            db_session.add(s)
            db_session.flush()
            for e in enrolments:
                db_session.add(Attendance(session_id=s.id, enrolment_id=e.id, status="present", minutes=s.minutes))
        if unit.self_planned:
            task = SelfStudyTask(cohort_id=cohort.id, topic_id=unit.topic_ids[0], title="Тапсырма",
                                 hours=unit.self_planned)
            db_session.add(task)
            db_session.flush()
            for e in enrolments:
                db_session.add(Submission(task_id=task.id, enrolment_id=e.id, status="accepted"))
    db_session.flush()


def dt_cohort(make, db_session, code="CRT-DT", participants=0):
    return make.cohort(code=code, programme="LDR-DT", format_code="blended", participants=participants)


def enrol(make, db_session, cohort, full_name, email):
    user = make.user(email=email, full_name=full_name)
    enrolment = cohorts.enrol(cohort, user, None)
    db_session.flush()
    return enrolment


def issuer(make, db_session):
    return make.user("methodologist", email="method@test.kz")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def qr_of(data: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=2).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


@pytest.fixture
def ctx(app, db_session):
    """An app context for tests that call the services but make no request (the file store and
    the public URL live in the app's configuration)."""
    with app.app_context():
        yield


@pytest.fixture
def nursultan(make, db_session):
    """An LDR-DT cohort where «Әбілқайыр Ұлықбекұлы Нұрсұлтан» scored 55 % in the final test."""
    cohort = dt_cohort(make, db_session)
    enrolment = enrol(make, db_session, cohort, NAME, "nursultan@test.kz")
    test, versions = final_test(cohort, db_session)
    take(test, versions, enrolment, 11)
    return cohort, enrolment


# --- the Done-when case ----------------------------------------------------------------------------

def test_kazakh_name_extracts_intact_the_qr_opens_the_verify_page_valid_then_revoked(
        app, nursultan, make, db_session, client, auth):
    cohort, enrolment = nursultan
    staff = issuer(make, db_session)
    sent = []

    def listener(cert, actor):
        sent.append((cert.number, actor))

    certificate_issued.connect(listener)
    try:
        with app.app_context():  # no request: the file store lives in the app's configuration
            cert = service.issue(enrolment, "kk", staff)
            data = service.pdf_bytes(cert)
            db_session.commit()
    finally:
        certificate_issued.disconnect(listener)
    assert sent == [(cert.number, staff)]
    assert cert.number.startswith("UST-") and "-LDR-DT-" in cert.number and len(cert.number.split("-")[-1]) == 8
    assert (cert.holder_name, cert.hours, cert.language) == (NAME, 80.0, "kk")

    text = pdf_text(data)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert NAME in lines
    for letter in "әғқңөұүһіӘҒҚҢӨҰҮҺІ":
        if letter in NAME:
            assert letter in text
    assert "СЕРТИФИКАТ" in text and cert.number in text and "80 академиялық" in " ".join(lines)

    url = qr_of(data)
    assert url == [f"{app.config['LMS'].public_url}/verify/{cert.number}"]
    path = url[0].split("127.0.0.1:5000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-status="valid"' in body and NAME in body and cohort.programme.title_kk in body
    api = client.get(f"/api/v1/certificates/{cert.number}")
    assert api.status_code == 200 and api.json["status"] == "valid" and api.json["holder_name"] == NAME
    assert api.json["hours"] == 80 and api.json["sha256"] == cert.sha256

    auth.login(staff.email)
    assert client.post(f"/cohorts/{cohort.code}/certificates/{cert.number}/revoke", data={"reason": " "}).status_code \
        == 400
    response = client.post(f"/cohorts/{cohort.code}/certificates/{cert.number}/revoke",
                           data={"reason": "Тест нәтижесі қайта қаралды"})
    assert response.status_code == 302
    auth.logout()
    body = client.get(path).get_data(as_text=True)
    assert 'data-status="revoked"' in body and "Тест нәтижесі қайта қаралды" in body
    api = client.get(f"/api/v1/certificates/{cert.number.lower()}").json
    assert api["status"] == "revoked" and api["revoke_reason"] == "Тест нәтижесі қайта қаралды" and api["revoked_on"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate_revoked"))
    assert entry.actor_id == staff.id and entry.details["reason"] == "Тест нәтижесі қайта қаралды"


def test_russian_certificate(ctx, nursultan, make, db_session):
    _cohort, enrolment = nursultan
    cert = service.issue(enrolment, "ru", None)
    text = " ".join(pdf_text(service.pdf_bytes(cert)).split())
    assert "Настоящий сертификат подтверждает, что" in text and "80 академических часов" in text
    assert NAME in text
    with pytest.raises(ServiceError) as exc:
        service.issue(enrolment, "en", None)
    assert isinstance(exc.value, Conflict)  # already holds one: that is said first


# --- eligibility -----------------------------------------------------------------------------------

def test_ldr_dt_refuses_45_percent_with_the_reason_and_issues_55(ctx, make, db_session):
    cohort = dt_cohort(make, db_session, participants=3)
    low, high, none = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, low, 9)
    take(test, versions, high, 11)
    rows = {r.enrolment.id: r for r in service.eligibility(cohort)}
    assert rows[low.id].final_percent == 45.0 and not rows[low.id].eligible
    assert [(r.code, r.message) for r in rows[low.id].reasons] == [
        ("final_test_below", "final test 45 % is below the 50 % required")]
    assert rows[high.id].eligible and rows[high.id].final_percent == 55.0
    assert [r.code for r in rows[none.id].reasons] == ["final_test_missing"]
    with pytest.raises(ServiceError) as exc:
        service.issue(low, None, None)
    assert "is not eligible: Final test 45 % is below the 50 % required" in exc.value.message
    assert service.issue(high, None, None).number
    assert db_session.scalar(select(func.count()).select_from(Certificate)
                             .where(Certificate.enrolment_id.in_([low.id, none.id]))) == 0


def test_a_certificate_completes_the_enrolment_and_opens_the_support_year(ctx, make, db_session):
    """Before, only `lms demo` ever marked an enrolment completed, so no real graduate's
    support plan opened."""
    from lms.postcourse.models import SupportPlan

    cohort = dt_cohort(make, db_session, participants=2)
    passed, failed = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, passed, 15)
    take(test, versions, failed, 3)
    assert passed.status == "enrolled"
    report = service.issue_cohort(cohort, None, None)
    assert [c.enrolment_id for c in report.issued] == [passed.id]
    db_session.expire_all()
    assert passed.status == "completed" and passed.completed_at == report.issued[0].completed_on
    assert failed.status == "enrolled"  # not eligible: not completed
    plans = db_session.scalars(select(SupportPlan)).all()
    assert [p.enrolment_id for p in plans] == [passed.id]


def test_tch_sus_names_the_missing_defense_and_hours(ctx, make, db_session):
    cohort = make.cohort(code="CRT-TCH", programme="TCH-SUS", participants=4)
    full, no_defense, failed, short = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    for e in cohort.enrolments:
        take(test, versions, e, 18)
    complete_hours(db_session, cohort, [full, no_defense, failed])
    decide_defense(db_session, cohort, full, passed=True)
    decide_defense(db_session, cohort, failed, passed=False, points=3)
    decide_defense(db_session, cohort, short, passed=True)
    rows = {r.enrolment.id: r for r in service.eligibility(cohort)}
    assert rows[full.id].eligible, rows[full.id].reasons
    assert [r.message for r in rows[no_defense.id].reasons] == ["no decided defense"]
    assert [r.message for r in rows[failed.id].reasons] == ["defense not passed (3 of 10 points, grade 2)"]
    plan = rows[full.id].ledger
    assert plan.attended == plan.contact_planned == 36 and plan.accepted == plan.self_planned == 38
    assert [r.message for r in rows[short.id].reasons] == [
        "hours incomplete: 0 of 36 contact hours attended, 0 of 38 self-study hours accepted"]
    # the final test's own pass mark counts too
    take(test, versions, make_enrolled(make, db_session, cohort), 5)
    failing = [r for r in service.eligibility(cohort) if r.final_percent == 25.0][0]
    assert failing.reasons[0].message == "final test not passed (best 25 %)"


def test_a_participant_is_not_told_a_withheld_score_or_an_unreleased_grade(ctx, make, db_session):
    """"My certificate" gives no figures the result page hides: a final test shown only after it
    closes, a defense grade not yet released; staff see them as before."""
    from datetime import timedelta

    cohort = make.cohort(code="CRT-HID", programme="TCH-SUS", participants=1)
    (one,) = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, one, 5)
    decide_defense(db_session, cohort, one, passed=False, points=3)
    test.review_options = {"score": True, "band": True, "answers": False, "when": "after_close"}
    test.closes_at = utcnow() + timedelta(days=3)
    db_session.flush()
    staff = [r.code for r in service.eligibility(one).reasons]
    assert staff[:2] == ["final_test_failed", "defense_failed"]
    mine = service.eligibility(one, released_only=True).reasons
    assert [r.code for r in mine][:2] == ["final_test_awaited", "defense_awaited"]
    assert not any("25" in str(r) or "3 of 10" in str(r) for r in mine)
    test.closes_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    assert [r.code for r in service.eligibility(one, released_only=True).reasons][0] == "final_test_failed"


def test_the_staff_page_words_missing_hours_in_each_language(make, db_session, client, auth):
    """The hours reason once broke the page: its figure named `self` met gettext's own `self`."""
    cohort = make.cohort(code="CRT-HRS", programme="TCH-SUS", participants=1)
    [short] = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, short, 18)
    decide_defense(db_session, cohort, short, passed=True)
    trainer = make.user(email="tr-hours@test.kz")
    cohorts.assign_staff(cohort, trainer, "trainer", None)
    db_session.commit()
    auth.login(trainer.email)
    for language, words in (("kk", "Сағаттар толық емес"), ("ru", "Часы не набраны"), ("en", "Hours incomplete")):
        client.post("/language", data={"language": language})
        page = client.get(f"/cohorts/{cohort.code}/certificates")
        assert page.status_code == 200 and 'data-reason="hours_incomplete"' in page.text
        assert words in page.text and any(f in page.text for f in ("/ 38", "of 38", "из 38"))


def make_enrolled(make, db_session, cohort):
    return enrol(make, db_session, cohort, "Кейінгі Қатысушы", f"late-{cohort.code.lower()}@test.kz")


def test_eligibility_of_a_cohort_takes_the_same_statements_for_2_or_6_participants(ctx, make, db_session,
                                                                                    count_queries):
    counts = []
    for code, n in (("CRT-Q2", 2), ("CRT-Q6", 6)):
        cohort = make.cohort(code=code, programme="TCH-SUS", participants=n)
        test, versions = final_test(cohort, db_session)
        for e in cohort.enrolments:
            take(test, versions, e, 15)
            decide_defense(db_session, cohort, e, passed=True)
        complete_hours(db_session, cohort, cohort.enrolments[:1])
        db_session.expire_all()
        with count_queries() as q:
            rows = service.eligibility(cohort)
        assert len(rows) == n and sum(r.eligible for r in rows) == 1
        counts.append(len(q))
    assert counts[0] == counts[1] and counts[0] <= 20, counts


# --- a cohort-wide issue --------------------------------------------------------------------------

def test_cohort_issue_never_issues_to_staff_or_the_ineligible_and_says_why(app, make, db_session, runner):
    cohort = dt_cohort(make, db_session, participants=3)
    good, low, withdrawn = cohort.enrolments
    trainer = make.user(email="trainer-crt@test.kz", full_name="Тренер Бірінші")
    cohorts.assign_staff(cohort, trainer, "trainer", None)
    as_participant = cohorts.enrol(cohort, trainer, None)  # a trainer who is also enrolled
    test, versions = final_test(cohort, db_session)
    for e, right in ((good, 16), (low, 4), (withdrawn, 20), (as_participant, 20)):
        take(test, versions, e, right)
    cohorts.set_status(withdrawn, "withdrawn", None)
    db_session.commit()

    result = runner.invoke(args=["certificates", "issue", "--cohort", cohort.code.lower()])
    assert result.exit_code == 0, result.output
    out = result.output
    cert = db_session.scalar(select(Certificate).where(Certificate.enrolment_id == good.id))
    assert f"issued {cert.number}: {good.user.full_name}" in out
    assert f"refused {low.user.full_name} <{low.user.email}>: final test 20 % is below the 50 % required" in out
    assert f"refused {withdrawn.user.full_name} <{withdrawn.user.email}>: withdrawn from the cohort" in out
    assert ("refused Тренер Бірінші <trainer-crt@test.kz>: holds the trainer role: certificates go to"
            " participants only") in out
    assert out.strip().endswith(f"{cohort.code}: 1 issued, 0 already held one, 3 refused")
    assert db_session.scalar(select(func.count()).select_from(Certificate)) == 1

    with app.app_context():
        report = service.issue_cohort(cohort, None, None)
    assert report.issued == [] and [c.number for _e, c in report.already] == [cert.number]
    assert {r.enrolment.id for r in report.refused} == {low.id, withdrawn.id, as_participant.id}
    with pytest.raises(ServiceError) as exc, app.app_context():
        service.issue_cohort(cohort, "de", None)
    assert exc.value.field == "language"
    bad = runner.invoke(args=["certificates", "issue", "--cohort", "NO-SUCH"])
    assert bad.exit_code == 1 and "no cohort NO-SUCH" in bad.output


def test_staff_page_lists_reasons_and_issues_all_eligible(make, db_session, client, auth):
    cohort = dt_cohort(make, db_session, participants=3)
    a, b, c = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, a, 12)
    take(test, versions, b, 14)
    take(test, versions, c, 2)
    trainer = make.user(email="tr-page@test.kz")
    cohorts.assign_staff(cohort, trainer, "trainer", None)
    staff = issuer(make, db_session)
    db_session.commit()

    auth.login(trainer.email)  # a trainer sees the table, but issues nothing
    page = client.get(f"/cohorts/{cohort.code}/certificates").get_data(as_text=True)
    assert 'data-reason="final_test_below"' in page and "issue-all" not in page
    assert client.post(f"/cohorts/{cohort.code}/certificates/issue-all", data={}).status_code == 403
    auth.logout()

    auth.login(staff.email)
    page = client.get(f"/cohorts/{cohort.code}/certificates").get_data(as_text=True)
    assert 'id="issue-all"' in page and page.count('data-eligible="yes"') == 2
    assert client.post(f"/cohorts/{cohort.code}/certificates/issue",
                       data={"enrolment_id": str(c.id)}).status_code == 302  # refused: flashed, nothing issued
    assert service.latest_of(c) is None
    response = client.post(f"/cohorts/{cohort.code}/certificates/issue-all", data={"language": "ru"})
    assert response.status_code == 302
    issued = db_session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert {x.enrolment_id for x in issued} == {a.id, b.id} and {x.language for x in issued} == {"ru"}
    page = client.get(f"/cohorts/{cohort.code}/certificates").get_data(as_text=True)
    assert issued[0].number in page and "issue-all" not in page
    other = make.cohort(code="CRT-OTHER", participants=1)
    assert client.post(f"/cohorts/{other.code}/certificates/issue",
                       data={"enrolment_id": str(a.id)}).status_code == 404
    assert client.get(f"/cohorts/{other.code}/certificates/{issued[0].number}.pdf").status_code == 404


# --- the stored PDF, downloads, ZIP ---------------------------------------------------------------

def test_the_stored_pdf_is_never_regenerated(app, nursultan, make, db_session, client, auth):
    cohort, enrolment = nursultan
    with app.app_context():
        cert = service.issue(enrolment, None, None)
        first = service.pdf_bytes(cert)
        path = service.files.path_of(cert.file)
        db_session.commit()
    assert hashlib.sha256(first).hexdigest() == cert.sha256 == cert.file.sha256
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate_issued"))
    assert entry.details["sha256"] == cert.sha256

    enrolment.user.full_name = "Басқа Есім"
    db_session.commit()
    auth.login(enrolment.user.email)
    response = client.get(f"/cohorts/{cohort.code}/my-certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == cert.sha256 and response.data == first
    assert NAME in pdf_text(response.data) and "Басқа Есім" not in pdf_text(response.data)
    page = client.get(f"/cohorts/{cohort.code}/my-certificate").get_data(as_text=True)
    assert cert.number in page and len(page.encode()) < 60_000

    # an altered file is refused, not remade
    auth.logout()
    path.write_bytes(first + b"%")
    try:
        with pytest.raises(Conflict), app.app_context():
            service.pdf_bytes(db_session.get(Certificate, cert.id))
        assert client.get(f"/cohorts/{cohort.code}/my-certificate.pdf").status_code == 302  # signed out
    finally:
        path.write_bytes(first)


def test_a_participant_cannot_download_anothers_certificate(app, make, db_session, client, auth):
    cohort = dt_cohort(make, db_session, participants=2)
    mine, theirs = cohort.enrolments
    test, versions = final_test(cohort, db_session)
    take(test, versions, theirs, 20)
    take(test, versions, mine, 3)
    with app.app_context():
        cert = service.issue(theirs, None, None)
        db_session.commit()
    auth.login(mine.user.email)
    assert client.get(f"/cohorts/{cohort.code}/certificates/{cert.number}.pdf").status_code == 403
    assert client.get(f"/cohorts/{cohort.code}/certificates.zip").status_code == 403
    assert client.get(f"/cohorts/{cohort.code}/certificates").status_code == 403
    assert client.get(f"/cohorts/{cohort.code}/my-certificate.pdf").status_code == 404  # has none
    page = client.get(f"/cohorts/{cohort.code}/my-certificate").get_data(as_text=True)
    assert cert.number not in page and 'data-reason="final_test_below"' in page
    auth.logout()
    outsider = make.user("participant", email="outsider@test.kz")
    auth.login(outsider.email)
    assert client.get(f"/cohorts/{cohort.code}/my-certificate.pdf").status_code == 403  # not enrolled here


def test_zip_holds_the_cohorts_valid_pdfs(app, make, db_session, client, auth):
    cohort = dt_cohort(make, db_session, participants=3)
    test, versions = final_test(cohort, db_session)
    for e in cohort.enrolments:
        take(test, versions, e, 15)
    with app.app_context():
        report = service.issue_cohort(cohort, None, None)
        assert len(report.issued) == 3
        service.revoke(report.issued[2], "Қате", None)
        db_session.commit()
    staff = issuer(make, db_session)
    auth.login(staff.email)
    response = client.get(f"/cohorts/{cohort.code}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert len(names) == 2
    for cert in report.issued[:2]:
        name = next(n for n in names if n.startswith(cert.number))
        assert name == f"{cert.number} {cert.holder_name}.pdf"
        assert hashlib.sha256(archive.read(name)).hexdigest() == cert.sha256
    revoked = report.issued[2]
    page = client.get(f"/cohorts/{cohort.code}/certificates").get_data(as_text=True)
    assert 'id="revoked"' in page and revoked.number in page and "Қате" in page
    assert f'href="/cohorts/{cohort.code}/certificates"' in page  # the cohort tab
    form = client.get(f"/cohorts/{cohort.code}/certificates/{revoked.number}/revoke")
    assert form.status_code == 200 and "Қате" in form.get_data(as_text=True) and "<textarea" not in \
        form.get_data(as_text=True)
    auth.logout()
    holder = db_session.get(Certificate, revoked.id).enrolment.user
    auth.login(holder.email)
    page = client.get(f"/cohorts/{cohort.code}/my-certificate").get_data(as_text=True)
    assert 'data-status="revoked"' in page and "Қате" in page
    assert f'href="/cohorts/{cohort.code}/my-certificate"' in page  # the participant's tab
    assert client.get(f"/cohorts/{cohort.code}/my-certificate.pdf").status_code == 404


# --- revocation and re-issue -------------------------------------------------------------------------

def test_revoke_needs_a_reason_once_and_a_revoked_certificate_may_be_replaced(ctx, nursultan, make, db_session):
    _cohort, enrolment = nursultan
    cert = service.issue(enrolment, None, None)
    with pytest.raises(ServiceError) as exc:
        service.revoke(cert, "   ", None)
    assert exc.value.field == "reason" and cert.revoked_at is None
    service.revoke(cert, "Аты-жөні қате жазылған", None)
    with pytest.raises(Conflict):
        service.revoke(cert, "again", None)
    again = service.issue(enrolment, "kk", None)
    assert again.number != cert.number and service.latest_of(enrolment) is again
    with pytest.raises(Conflict):
        service.issue(enrolment, "kk", None)
    assert db_session.scalar(select(func.count()).select_from(Certificate)
                             .where(Certificate.enrolment_id == enrolment.id)) == 2


def test_a_regrade_below_the_rules_marks_the_issued_certificate_and_nothing_is_revoked(
        app, nursultan, make, db_session, client, auth, runner):
    """A corrected key lowers the holder's final test from 55 % to 45 %: the certificate stays
    valid (a person decides), but the staff page, the revoke page and `lms certificates check`
    say the holder no longer meets the rules."""
    from lms.quizbank.models import Item, Test
    from lms.quizbank.services import banks, regrade

    cohort, enrolment = nursultan
    staff = issuer(make, db_session)
    other = enrol(make, db_session, cohort, "Сәуле Бекова", "saule@test.kz")
    with app.app_context():  # no request: the file store lives in the app's configuration
        cert = service.issue(enrolment, "kk", None)
        db_session.commit()
    code, number, staff_email = cohort.code, cert.number, staff.email
    assert runner.invoke(args=["certificates", "check", "--cohort", code]).exit_code == 0
    auth.login(staff_email)
    page = client.get(f"/cohorts/{code}/certificates").text
    assert 'id="lapsed"' not in page and "data-lapsed" not in page

    test = db_session.scalar(select(Test).where(Test.cohort_id == cohort.id))
    items = db_session.scalars(select(Item).where(Item.code.like(f"CRT{cohort.id}-%")).order_by(Item.id)).all()
    for item in items[:2]:  # the participant answered "true" to the first 11; these keys become "false"
        banks.revise_item(item, {"data": {**item.current.data, "correct": False}}, None)
    regrade.regrade(test, None)
    db_session.commit()
    assert service.eligibility(db_session.get(type(enrolment), enrolment.id)).final_percent == 45.0

    page = client.get(f"/cohorts/{code}/certificates").text
    assert 'id="lapsed"' in page
    row = page.split(f'data-enrolment="{enrolment.id}"', 1)[1].split("</tr>", 1)[0]
    assert "data-lapsed" in row and number in row and 'data-reason="final_test_below"' in row
    assert "data-lapsed" not in page.split(f'data-enrolment="{other.id}"', 1)[1].split("</tr>", 1)[0]
    revoke = client.get(f"/cohorts/{code}/certificates/{number}/revoke").text
    assert 'id="unmet"' in revoke and 'data-reason="final_test_below"' in revoke
    assert "45" not in revoke.split("<textarea", 1)[1].split("</textarea>", 1)[0]  # the public reason is not filled in

    result = runner.invoke(args=["certificates", "check", "--cohort", code.lower()])
    assert result.exit_code == 1
    assert f"{number} {NAME} <nursultan@test.kz>: final test 45 % is below the 50 % required" in result.output
    assert f"{code}: 1 valid certificate(s)" in result.output
    assert service.get_certificate(number).revoked_at is None
    assert runner.invoke(args=["certificates", "check", "--cohort", "NO-SUCH"]).exit_code == 1


def test_verify_unknown_number_is_not_found_and_verification_is_rate_limited(app, client, monkeypatch):
    page = client.get("/verify/UST-2026-LDR-DT-NOTHERE")
    assert page.status_code == 404 and 'data-status="not_found"' in page.get_data(as_text=True)
    api = client.get("/api/v1/certificates/UST-2026-LDR-DT-NOTHERE")
    assert api.status_code == 404 and api.json["error"] == "not_found"
    assert client.get("/verify?number=ust-1").headers["Location"].endswith("/verify/ust-1")
    assert client.get("/verify").status_code == 200
    monkeypatch.setitem(app.config, "LMS_VERIFY_RATE_LIMIT", "5 per minute")
    codes = [client.get(f"/api/v1/certificates/X-{n}").status_code for n in range(3)]
    codes += [client.get(f"/verify/X-{n}").status_code for n in range(3)]
    assert codes == [404] * 5 + [429]


def test_number_normalization():
    assert service.normalize_number(" ust-2026-ldr-dt-abcoil12 ") == "UST-2026-LDR-DT-ABC01112"


# --- Open Badges ---------------------------------------------------------------------------------------

def test_open_badges_assertion_badge_class_and_issuer(app, nursultan, client, db_session):
    _cohort, enrolment = nursultan
    with app.app_context():
        cert = service.issue(enrolment, None, None)
        db_session.commit()
    base = app.config["LMS"].public_url
    doc = client.get(f"/api/v1/certificates/{cert.number}/badge").json
    assert doc["@context"] == "https://w3id.org/openbadges/v2" and doc["type"] == "Assertion"
    assert doc["id"] == f"{base}/api/v1/certificates/{cert.number}/badge"
    assert doc["verification"] == {"type": "hosted"} and doc["issuedOn"].startswith(str(cert.issued_at.year))
    recipient = doc["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    assert recipient["identity"] == "sha256$" + hashlib.sha256(
        ("nursultan@test.kz" + recipient["salt"]).encode()).hexdigest()
    assert "revoked" not in doc and doc["evidence"][0]["id"] == f"{base}/verify/{cert.number}"

    badge = client.get(doc["badge"].replace(base, "")).json
    assert badge["type"] == "BadgeClass" and badge["id"] == doc["badge"]
    for key in ("name", "description", "image", "criteria", "issuer"):
        assert badge[key], key
    assert badge["image"].startswith("data:image/svg+xml;base64,") and "50 %" in badge["criteria"]["narrative"]
    issuer_doc = client.get(badge["issuer"].replace(base, "")).json
    assert issuer_doc["type"] == "Issuer" and issuer_doc["id"] == badge["issuer"] and issuer_doc["name"]
    assert issuer_doc["url"] == base
    assert client.get("/api/v1/badges/classes/NOPE").status_code == 404
    assert client.get("/api/v1/badges/classes/LDR-DT?hours=33").status_code == 404  # no run gives 33 h
    assert client.get("/api/v1/badges/classes/LDR-DT?hours=many").get_json()["field"] == "hours"

    with app.app_context():
        service.revoke(db_session.get(Certificate, cert.id), "Қате", None)
        db_session.commit()
    doc = client.get(f"/api/v1/certificates/{cert.number}/badge").json
    assert doc["revoked"] is True and doc["revocationReason"] == "Қате"


def test_openapi_documents_public_verification(client):
    doc = client.get("/api/v1/openapi.json").json
    verify = doc["paths"]["/certificates/{number}"]["get"]
    assert verify["security"] == [] and verify["responses"]["200"]["content"]["application/json"]["schema"][
        "properties"]["status"]["enum"] == ["valid", "revoked"]
    assert "/certificates/{number}/badge" in doc["paths"] and "/badges/issuer" in doc["paths"]


def test_the_staff_page_costs_the_same_statements_for_2_or_5_participants(app, make, db_session, client, auth,
                                                                           count_queries):
    staff = issuer(make, db_session)
    counts = []
    for code, n in (("CRT-P2", 2), ("CRT-P5", 5)):
        cohort = dt_cohort(make, db_session, code=code, participants=n)
        test, versions = final_test(cohort, db_session)
        for e in cohort.enrolments:
            take(test, versions, e, 12)
        with app.app_context():
            service.issue(cohort.enrolments[0], None, None)
            db_session.commit()
        auth.login(staff.email)
        with count_queries() as q:
            page = client.get(f"/cohorts/{code}/certificates")
        assert page.status_code == 200 and page.get_data(as_text=True).count('data-eligible="yes"') == n
        counts.append(len(q))
        auth.logout()
    assert counts[0] == counts[1], counts


def test_a_one_week_full_time_run_certifies_half_the_hours(ctx, make, db_session):
    """Seed 000: a one-week full-time course halves the plan's hours, so its certificate states
    40 academic hours where the 80-hour course states 80."""
    cohort = make.cohort(code="CRT-WEEK", programme="TCH-SUS", format_code="full_time", participants=1,
                         short_run=True, days=6)
    enrolment = cohort.enrolments[0]
    test, versions = final_test(cohort, db_session)
    take(test, versions, enrolment, 18)
    complete_hours(db_session, cohort, [enrolment])
    decide_defense(db_session, cohort, enrolment, passed=True)
    row = service.eligibility(cohort)[0]
    assert row.eligible, row.reasons
    assert row.ledger.contact_planned == 37  # 74 lesson hours halved
    cert = service.issue(enrolment)
    assert cert.hours == 40
    assert "40 академиялық" in pdf_text(service.files.read(cert.file))
    # its Open Badge names a BadgeClass of 40 hours, not the programme's 80
    badge_url = service.open_badge(cert)["badge"]
    assert badge_url.endswith("/api/v1/badges/classes/TCH-SUS?hours=40")
    badge = service.badge_class("TCH-SUS", 40)
    assert badge["id"] == badge_url and badge["description"].endswith("(40 h)")
    assert service.badge_class("TCH-SUS")["description"].endswith("(80 h)")
    with pytest.raises(NotFound):
        service.badge_class("TCH-SUS", 33)


def test_the_courses_held_report_counts_valid_certificates(ctx, nursultan, make, db_session):
    from lms.courses.services import reports

    cohort, enrolment = nursultan
    scope = reports.Scope(cohort.end_date, cohort.end_date)
    assert reports.build(scope).cohorts[0].counts["certified"] == 0
    cert = service.issue(enrolment)
    assert reports.build(scope).cohorts[0].counts["certified"] == 1
    service.revoke(cert, "қате", make.user("admin"))
    assert reports.build(scope).totals["certified"] == 0


def test_the_holder_is_told_of_the_certificate_once_in_their_language(ctx, nursultan, db_session):
    from lms.core.models import OutboxMessage

    _cohort, enrolment = nursultan
    cert = service.issue(enrolment)
    (told,) = db_session.scalars(select(OutboxMessage)).all()
    assert told.to_email == "nursultan@test.kz" and cert.number in told.subject
    assert told.subject.startswith("Сіздің сертификатыңыз")
    assert f"/verify/{cert.number}" in told.body and "/my-certificate" in told.body


def test_the_issuers_are_told_once_of_a_certificate_a_regrade_left_short(
        app, nursultan, make, db_session, runner, outbox):
    """The methodologist (who may issue and revoke) is e-mailed the lapsed certificate with its
    reason; the next morning's run tells nothing new; a trainer of the cohort, who may not
    revoke, and someone who turned the kind off are not told."""
    from lms.core.services import users
    from lms.quizbank.models import Item, Test
    from lms.quizbank.services import banks, regrade

    cohort, enrolment = nursultan
    staff = issuer(make, db_session)
    staff.language = "en"
    quiet = make.user("admin", email="quiet@test.kz")
    trainer = make.user(email="trainer@test.kz")
    cohorts.assign_staff(cohort, trainer, "trainer", None)
    with app.app_context():
        users.set_email_notices(quiet, True, [])  # every kind offered to them turned off
        cert = service.issue(enrolment, "kk", None)
        db_session.commit()
    number, staff_email = cert.number, staff.email
    assert "queued 0 notice(s)" in runner.invoke(args=["certificates", "notify-lapsed"]).output
    before = len(outbox())  # the holder's "certificate issued"

    test = db_session.scalar(select(Test).where(Test.cohort_id == cohort.id))
    items = db_session.scalars(select(Item).where(Item.code.like(f"CRT{cohort.id}-%")).order_by(Item.id)).all()
    for item in items[:2]:
        banks.revise_item(item, {"data": {**item.current.data, "correct": False}}, None)
    regrade.regrade(test, None)
    db_session.commit()

    result = runner.invoke(args=["certificates", "notify-lapsed"])
    assert result.exit_code == 0 and "queued 1 notice(s)" in result.output, result.output
    sent = outbox()[before:]
    assert [m["To"] for m in sent] == [staff_email]
    body = sent[0].get_body().get_content()
    assert sent[0]["Subject"] == f"{cohort.code}: 1 certificate no longer meets the rules"
    assert number in body and NAME in body and f"/cohorts/{cohort.code}/certificates#lapsed" in body
    assert "45" in body  # the reason, with the figure
    assert "queued 0 notice(s)" in runner.invoke(args=["certificates", "notify-lapsed"]).output
    assert service.get_certificate(number).revoked_at is None  # told, not revoked
