"""Who is due for the next course: holders of a valid certificate whose latest course ended a
cycle ago (or will within the months looked ahead), the longest overdue first, narrowed by region
and audience, saying who is already enrolled again; a revoked certificate counts for nothing."""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms.core.models import District, Region, School
from lms.core.services import clock
from lms.courses.services import cohorts, get_programme
from lms.portfolio.models import Certificate
from lms.portfolio.services import certificates, recertification
from tests.portfolio.test_certificates import ctx, dt_cohort, enrol, final_test, take  # noqa: F401,F811 - ctx: the fixture

TZ = recertification.TZ


def _ended(cert: Certificate, day) -> None:
    cert.completed_on = datetime.combine(day, time(), TZ)


def _holders(make, db_session):
    """Four LDR-DT holders: one past due, one due in two months, one not due for a year, one revoked."""
    north = Region(code="RC-N", name_kk="Солтүстік")
    south = Region(code="RC-S", name_kk="Оңтүстік")
    schools = {}
    for region in (north, south):
        schools[region.code] = School(code=f"{region.code}-1", name_kk=f"{region.name_kk} ШЖМ",
                                      district=District(region=region, name_kk="аудан"))
    db_session.add_all(schools.values())
    cohort = dt_cohort(make, db_session, code="RC-2023")
    test, versions = final_test(cohort, db_session)
    today = clock.today()
    cycle_ago = clock.add_months(today, -36)
    people = {}
    for name, region, ended in (("past", "RC-N", cycle_ago - timedelta(days=10)),
                                ("soon", "RC-S", clock.add_months(cycle_ago, 2)),
                                ("later", "RC-N", clock.add_months(cycle_ago, 12)),
                                ("revoked", "RC-N", cycle_ago - timedelta(days=40))):
        e = enrol(make, db_session, cohort, f"Түлек {name}", f"rc-{name}@test.kz")
        e.user.school = schools[region]
        take(test, versions, e, 12)
        cert = certificates.issue(e)
        _ended(cert, ended)
        people[name] = (e, cert)
    certificates.revoke(people["revoked"][1], "қате", None)
    db_session.flush()
    return people, cycle_ago


def test_the_due_are_listed_longest_overdue_first(ctx, make, db_session, count_queries):
    people, cycle_ago = _holders(make, db_session)
    with count_queries() as q:
        rows = recertification.due()
        assert len(q) == 3  # the latest certificates, their holders with schools, their live enrolments
    assert [r.user.email for r in rows] == ["rc-past@test.kz", "rc-soon@test.kz"]
    past, soon = rows
    assert past.overdue and not soon.overdue and past.programme_code == "LDR-DT"
    assert past.due_on == clock.add_months(past.completed_on, 36)
    assert [r.user.email for r in recertification.due(within_months=0)] == ["rc-past@test.kz"]
    assert [r.user.email for r in recertification.due(within_months=14)][-1] == "rc-later@test.kz"
    north = db_session.scalar(select(Region.id).where(Region.code == "RC-N"))
    assert [r.user.email for r in recertification.due(region_id=north)] == ["rc-past@test.kz"]
    assert recertification.due(audience="teachers") == []  # LDR-DT is a leaders' programme
    # enrolled in a new cohort already: still listed, and says where
    again = make.cohort(code="RC-2026", programme="LDR-SUS", participants=0, status="running")
    cohorts.enrol(again, people["soon"][0].user, None)
    db_session.flush()
    assert {r.user.email: r.enrolled_in for r in recertification.due()}["rc-soon@test.kz"] == "RC-2026"


def test_the_page_and_its_download_for_methodologists_only(app, make, db_session, client, auth):
    with app.app_context():
        _holders(make, db_session)
        db_session.commit()
    make.user("methodologist", email="rc-method@test.kz", language="en")
    make.user("trainer", email="rc-trainer@test.kz")
    auth.login("rc-trainer@test.kz")
    assert client.get("/certificates/due").status_code == 403
    auth.logout()
    auth.login("rc-method@test.kz")
    page = client.get("/certificates/due").text
    assert "2 holders are due; 1 of them past the due date." in page and "Түлек past" in page
    assert 'href="/certificates/due"' in page  # in the menu
    refused = client.get("/certificates/due?cycle=0&within=99")
    assert refused.status_code == 400 and "the cycle is 1 to 10 years" in refused.text
    assert "look ahead 0 to 24 months" in refused.text
    csv = client.get("/certificates/due.csv?cycle=3&within=6")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and lines[1].startswith("Түлек past,rc-past@test.kz")
    assert csv.headers["Cache-Control"] == "private, no-store"


def _outbox(db_session, prefix="portfolio:due:"):
    from lms.core.models import OutboxMessage

    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
                                   .order_by(OutboxMessage.id)))


def test_holders_are_told_their_next_course_falls_due_once_ahead_and_once_on_the_day(ctx, make, db_session):
    """Seed 001: retraining every 3 years. Six months ahead a holder is told when, in their
    language; once due, told again; a daily run tells nobody twice; a holder enrolled again, one
    who turned this kind off, one not due for a year and a revoked certificate's holder are not."""
    people, cycle_ago = _holders(make, db_session)
    people["soon"][0].user.language = "ru"
    db_session.flush()
    assert sorted(k.split(":")[-1] for k in recertification.remind()) == ["due", "soon"]
    assert recertification.remind() == []  # the next morning's run: nobody twice
    past, soon = _outbox(db_session)
    assert past.to_email == "rc-past@test.kz" and soon.to_email == "rc-soon@test.kz"
    due_on = clock.add_months(clock.add_months(cycle_ago, 2), 36)
    assert due_on.isoformat() in soon.subject and "курс" in soon.body and "/programmes/" in soon.body
    programme = get_programme(people["soon"][1].programme_code)
    assert f"«{programme.title_ru}»" in soon.body or f'"{programme.title_ru}"' in soon.body  # the reader's language
    assert "3" in past.body and people["past"][1].programme_title in past.body
    # the day it falls due, "soon" is told once more, as due
    assert [k.split(":")[-1] for k in recertification.remind(today=due_on)] == ["due"]
    # enrolled again, or the kind turned off: not told
    again = make.cohort(code="RC-2027", programme="LDR-SUS", participants=0, status="planned")
    cohorts.enrol(again, people["later"][0].user, None)
    people["later"][0].user.notices_off = None
    later_due = clock.add_months(clock.add_months(cycle_ago, 12), 36)
    db_session.flush()
    assert recertification.remind(today=later_due) == []
    cohorts.set_status(db_session.scalar(select(type(people["later"][0])).where(
        type(people["later"][0]).cohort_id == again.id)), "withdrawn", None)
    people["later"][0].user.notices_off = ["portfolio:due"]
    db_session.flush()
    assert recertification.remind(today=later_due) == []
    people["later"][0].user.notices_off = None
    db_session.flush()
    assert [k.split(":")[-1] for k in recertification.remind(today=later_due)] == ["due"]
    assert "rc-revoked@test.kz" not in {m.to_email for m in _outbox(db_session)}


def test_the_cli_tells_the_due_and_reports(ctx, make, db_session, app):
    _holders(make, db_session)
    db_session.commit()
    out = app.test_cli_runner().invoke(args=["certificates", "remind-due"])
    assert out.exit_code == 0, out.output
    assert "queued 2 notice(s)" in out.output
    assert "queued 0 notice(s)" in app.test_cli_runner().invoke(args=["certificates", "remind-due"]).output
