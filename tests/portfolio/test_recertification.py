"""Who is due for the next course: holders of a valid certificate whose latest course ended a
cycle ago (or will within the months looked ahead), the longest overdue first, narrowed by region
and audience, saying who is already enrolled again; a revoked certificate counts for nothing."""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms.core.models import District, Region, School
from lms.core.services import clock
from lms.courses.services import cohorts
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
