"""The report on courses held: cohorts that ended in a period, their people counted by
status, per programme and per region of the participants' schools; staff who report only."""
from datetime import date, datetime, timezone

from lms.core.models import District, Region, School
from lms.core.services import clock
from lms.courses.services import cohorts, reports

YEAR = reports.Scope(date(2027, 1, 1), date(2027, 12, 31))
LATER = datetime(2028, 1, 10, 6, tzinfo=timezone.utc)


def _places(db_session):
    north = Region(code="REP-N", name_kk="Солтүстік облысы")
    south = Region(code="REP-S", name_kk="Оңтүстік облысы")
    schools = {}
    for region in (north, south):
        district = District(region=region, name_kk=f"{region.name_kk} ауданы")
        schools[region.code] = School(code=f"{region.code}-1", district=district, name_kk="ШЖМ")
        db_session.add(schools[region.code])
    db_session.flush()
    return north, south, schools


def _held(make, db_session):
    """Two leaders' cohorts and one teachers' ending in 2027, one in 2028, one cancelled."""
    north, south, schools = _places(db_session)
    a = make.cohort(code="REP-A", participants=3, start=date(2027, 2, 1), days=30)
    b = make.cohort(code="REP-B", participants=2, start=date(2027, 9, 1), days=30)
    make.cohort(code="REP-T", programme="TCH-SUS", participants=1, start=date(2027, 5, 1), days=30)
    make.cohort(code="REP-LATER", participants=4, start=date(2028, 2, 1), days=30)
    make.cohort(code="REP-OFF", participants=5, start=date(2027, 3, 1), days=30, status="cancelled")
    cohorts.set_status(a.enrolments[0], "completed", None)
    cohorts.set_status(a.enrolments[1], "withdrawn", None)
    a.enrolments[0].user.school = schools["REP-N"]
    a.enrolments[2].user.school = schools["REP-S"]
    b.enrolments[0].user.school = schools["REP-N"]
    make.session(a, "1.1", starts_at=datetime(2027, 2, 3, 5, tzinfo=timezone.utc), hours=2)
    make.session(a, "1.2", starts_at=datetime(2027, 2, 4, 5, tzinfo=timezone.utc), hours=3)
    make.session(a, "1.3", starts_at=datetime(2027, 2, 5, 5, tzinfo=timezone.utc), status="cancelled")
    db_session.commit()
    return north, south


def test_the_year_counts_each_cohort_programme_and_region(app, make, db_session):
    north, south = _held(make, db_session)
    with app.app_context(), clock.frozen(LATER):
        report = reports.build(YEAR)
    rows = {r.cohort.code: r for r in report.cohorts}
    assert list(rows) == ["REP-A", "REP-T", "REP-B"]  # by end date; 2028 and the cancelled one left out
    a = rows["REP-A"]
    assert {k: a.counts[k] for k in reports.BASE_KEYS} == {"participants": 2, "completed": 1, "withdrawn": 1}
    assert (a.sessions_held, a.hours_held) == (2, 5)
    assert report.programmes["LDR-SUS"]["cohorts"] == 2 and report.programmes["LDR-SUS"]["participants"] == 4
    assert report.totals["participants"] == 5 and report.totals["cohorts"] == 3
    regions = {(r.code if r else None): c["participants"] for r, c in report.regions}
    assert regions == {"REP-N": 2, "REP-S": 1, None: 2}
    assert "certified" in report.keys  # the portfolio plugin's measure
    # one region: only its participants are counted, only cohorts that have one are listed
    with app.app_context():
        north_only = reports.build(reports.Scope(YEAR.start, YEAR.end, region_id=north.id))
    assert [(r.cohort.code, r.counts["participants"], r.counts["completed"]) for r in north_only.cohorts] == [
        ("REP-A", 1, 1), ("REP-B", 1, 0)]
    with app.app_context(), clock.frozen(LATER):
        both = reports.build(reports.Scope(YEAR.start, YEAR.end, region_id=south.id))
    assert [(r.cohort.code, r.counts["participants"]) for r in both.cohorts] == [("REP-A", 1)]
    assert both.cohorts[0].sessions_held == 2  # the cohort's sessions, whoever is counted


def test_statements_do_not_grow_with_the_cohorts(app, make, db_session, count_queries):
    _held(make, db_session)
    with app.app_context(), count_queries() as few:
        reports.build(reports.Scope(date(2027, 1, 1), date(2027, 3, 31)))
    with app.app_context(), count_queries() as many:
        reports.build(YEAR)
    assert len(few) == len(many) <= 9


def test_the_page_and_its_downloads_are_for_those_who_report(client, auth, make, db_session):
    _held(make, db_session)
    methodologist = make.user("methodologist", email="rep-method@test.kz", language="en")
    trainer = make.user("trainer", email="rep-trainer@test.kz", language="en")
    auth.login(trainer.email)
    assert client.get("/cohorts/report").status_code == 403
    assert ">Courses held<" not in client.get("/programmes/").text
    auth.logout()
    auth.login(methodologist.email)
    assert ">Courses held<" in client.get("/programmes/").text
    page = client.get("/cohorts/report?start=2027-01-01&end=2027-12-31").text
    assert 'data-cohort="REP-A"' in page and 'data-cohort="REP-LATER"' not in page
    assert 'data-cohort="REP-OFF"' not in page
    assert 'data-cohort="REP-OFF"' in client.get("/cohorts/report?start=2027-01-01&end=2027-12-31&cancelled=y").text
    with client.get("/cohorts/report.csv?start=2027-01-01&end=2027-12-31&programme=TCH-SUS") as r:
        body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and "courses-held-2027-01-01-2027-12-31-TCH-SUS.csv" in r.headers[
        "Content-Disposition"]
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Cohort,Programme,Format") and "certified" in lines[0]
    assert [l.split(",")[0] for l in lines[1:]] == ["REP-T", "Total"]
    with client.get("/cohorts/report.xlsx?start=2027-01-01&end=2027-12-31") as r:
        assert r.get_data().startswith(b"PK")
    bad = client.get("/cohorts/report?start=2027-12-31&end=2027-01-01")
    assert bad.status_code == 400 and "the end of the period is before its start" in bad.text
    empty = client.get("/cohorts/report?start=2030-01-01&end=2030-12-31")
    assert empty.status_code == 200 and "No cohort ended in this period." in empty.text
