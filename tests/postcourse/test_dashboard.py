"""The curator dashboard: the state rule month by month (clock frozen), the filters, who sees
which graduates, and a statement count that does not grow with the number of graduates."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace as A

import pytest
from sqlalchemy import update

from lms.core.models import District, Region, School
from lms.core.services import clock
from lms.core.services import users as user_service
from lms.db import db
from lms.postcourse.models import PlanActivity, SupportPlan
from lms.postcourse.services import dashboard
from lms.postcourse.services.dashboard import Span, state_of

START = date(2026, 1, 10)  # plan month k: [Jan 10 + (k-1) months, Jan 10 + k months)
TODAY = date(2026, 6, 20)  # month 6: [Jun 10, Jul 10)


@pytest.fixture
def ctx(app, db_session):
    """An application context for calling the service directly (no request)."""
    with app.app_context():
        yield


def at(day: date):
    """Freeze the clock at noon, Kazakhstan time, of `day`."""
    return clock.frozen(datetime(day.year, day.month, day.day, 7, 0, tzinfo=timezone.utc))


def span(month: int, today: date = TODAY) -> Span:
    start = date(2026, month, 10) if month <= 12 else date(2027, month - 12, 10)
    end = date(2026, month + 1, 10) if month < 12 else date(2027, month - 11, 10)
    return Span(start, end, today, start <= today)


# --- the rule ----------------------------------------------------------------------------------------

def test_done_when_every_activity_due_in_the_month_is_done():
    acts = [A(due_on=date(2026, 4, 20), status="done"), A(due_on=date(2026, 5, 1), status="done")]
    assert state_of(acts, span(4)) == "done"


def test_overdue_when_an_activity_of_the_month_passed_its_date_undone():
    acts = [A(due_on=date(2026, 5, 9), status="planned"), A(due_on=date(2026, 5, 1), status="done")]
    assert state_of(acts, span(4)) == "overdue"  # [Apr 10, May 10)


def test_an_old_debt_marks_every_month_up_to_now_but_not_the_future():
    acts = [A(due_on=date(2026, 5, 9), status="planned"), A(due_on=date(2026, 7, 20), status="planned")]
    assert [state_of(acts, span(m)) for m in (3, 4, 5, 6, 7, 8)] == [
        "on_track", "overdue", "overdue", "overdue", "on_track", "empty"]


def test_due_soon_within_fourteen_days_and_on_track_beyond():
    assert state_of([A(due_on=TODAY + timedelta(days=14), status="planned")], span(6)) == "due_soon"
    assert state_of([A(due_on=TODAY, status="planned")], span(6)) == "due_soon"  # due today: not yet passed
    assert state_of([A(due_on=TODAY + timedelta(days=15), status="planned")], span(6)) == "on_track"
    assert state_of([A(due_on=TODAY + timedelta(days=15), status="done")], span(6)) == "done"
    # a month not yet begun whose activity is due within the fortnight
    assert state_of([A(due_on=date(2026, 7, 12), status="planned")], span(7, date(2026, 7, 1))) == "due_soon"


def test_overdue_beats_due_soon_beats_done():
    acts = [A(due_on=date(2026, 6, 12), status="planned"), A(due_on=date(2026, 6, 25), status="planned"),
            A(due_on=date(2026, 6, 11), status="done")]
    assert state_of(acts, span(6)) == "overdue"
    acts[0].status = "done"
    assert state_of(acts, span(6)) == "due_soon"
    acts[1].status = "done"
    assert state_of(acts, span(6)) == "done"


def test_cancelled_activities_do_not_count_and_a_month_without_any_is_on_track_or_empty():
    acts = [A(due_on=date(2026, 3, 20), status="cancelled")]
    assert state_of(acts, span(3)) == "on_track"  # a past month with nothing (left) due
    assert state_of([A(due_on=date(2026, 9, 20), status="cancelled")], span(9)) == "empty"
    assert state_of([], span(6)) == "on_track"  # the current month
    assert state_of([A(due_on=date(2026, 9, 20), status="planned")], span(9)) == "on_track"  # planned ahead


def test_the_sql_rule_gives_the_plan_state_the_python_rule_gives(make, ctx):
    """The same predicates run in SQL (the filter) and in Python (the cells and the column)."""
    cohort, plans = _cohort_with_plans(make, "RULE-1", [
        [("2026-05-09", "planned")],                                  # overdue
        [("2026-06-25", "planned"), ("2026-02-01", "done")],          # due soon
        [("2026-02-01", "done"), ("2026-03-01", "done")],             # done
        [("2026-02-01", "done"), ("2026-09-01", "planned")],          # on track
        [],                                                           # on track (begun, nothing due)
        [("2026-02-01", "done"), ("2026-04-01", "cancelled")],        # done
    ])
    admin = make.user("admin")
    sql = {}
    for state in dashboard.STATES:
        g = dashboard.grid(admin, dashboard.Filters(cohort="RULE-1", state=state), today=TODAY)
        sql.update({r.plan_id: state for r in g.page.items})
        assert all(r.state == state for r in g.page.items)
    python = {r.plan_id: r.state for r in dashboard.grid(admin, dashboard.Filters(cohort="RULE-1"),
                                                         today=TODAY).page.items}
    assert sql == python
    assert [python[p.id] for p in plans] == ["overdue", "due_soon", "done", "on_track", "on_track", "done"]


# --- data --------------------------------------------------------------------------------------------

_PLACES: dict = {}


def _school(code: str, region: str = "SKO", district: str = "Есіл ауданы") -> School:
    region_row = db.session.query(Region).filter_by(code=region).one_or_none()
    if region_row is None:
        region_row = Region(code=region, name_kk={"SKO": "Солтүстік Қазақстан облысы"}.get(region, f"{region} облысы"))
        db.session.add(region_row)
    district_row = db.session.query(District).filter_by(region=region_row, name_kk=district).one_or_none()
    if district_row is None:
        district_row = District(region=region_row, name_kk=district)
        db.session.add(district_row)
    school = School(code=code, district=district_row, name_kk=f"{district}, {code} мектебі")
    db.session.add(school)
    db.session.flush()
    return school


def _cohort_with_plans(make, code: str, specs: list[list[tuple[str, str]]], *, programme="LDR-DT",
                       school: School | None = None, starts_on: date = START, model="LDR-DT"):
    """A finished cohort whose graduates (one per spec) have plans from `starts_on` with the
    activities given as (due date, status)."""
    cohort = make.cohort(code, programme=programme, format_code="blended" if programme == "LDR-DT" else "online",
                         participants=len(specs), start=starts_on - timedelta(days=60), days=55)
    plans = []
    enrolments = sorted(cohort.enrolments, key=lambda e: e.user.email)
    for enrolment, spec in zip(enrolments, specs):
        enrolment.status = "completed"
        if school is not None:
            enrolment.user.school = school
        plan = SupportPlan(enrolment_id=enrolment.id, model_code=model, starts_on=starts_on,
                           ends_on=date(starts_on.year + 1, starts_on.month, starts_on.day) - timedelta(days=1),
                           status="agreed")
        for n, (due, status) in enumerate(spec):
            due_on = date.fromisoformat(due)
            plan.activities.append(PlanActivity(activity_type="consultation", title=f"Кеңес {n + 1}",
                                                stage="implementation", due_on=due_on, status=status,
                                                done_on=due_on if status == "done" else None))
        db.session.add(plan)
        plans.append(plan)
    db.session.commit()
    return cohort, plans


def _rows(html: str) -> dict[int, dict]:
    """plan id -> {"state": the graduate's state, "cells": [12 cell states], "name": ...}."""
    out = {}
    for plan_id, body in re.findall(r'<tr data-plan="(\d+)"(.*?)</tr>', html, re.S):
        out[int(plan_id)] = {
            "state": re.search(r'data-state="(\w+)"', body).group(1),
            "cells": re.findall(r'data-month="\d+" data-state="(\w+)"', body),
            "name": re.search(r"<a [^>]*>([^<]+)</a>", body).group(1),
        }
    return out


# --- the page ----------------------------------------------------------------------------------------

def test_grid_shows_each_graduate_with_month_cells_stage_and_a_link_to_the_timeline(client, auth, make):
    school = _school("PC-001")
    cohort, plans = _cohort_with_plans(make, "GRID-1", [
        [("2026-02-05", "done"), ("2026-05-09", "planned"), ("2026-07-20", "planned")],
        [("2026-02-05", "done"), ("2026-05-09", "done"), ("2026-06-30", "planned")],
    ], school=school)
    curator = make.user("curator", context=("cohort", cohort.id))
    auth.login(curator.email)
    with at(TODAY):
        r = client.get("/support")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    rows = _rows(html)
    assert rows[plans[0].id]["state"] == "overdue"
    assert rows[plans[0].id]["cells"] == ["done", "on_track", "on_track", "overdue", "overdue", "overdue",
                                          "on_track", "empty", "empty", "empty", "empty", "empty"]
    assert rows[plans[1].id]["state"] == "due_soon"
    assert rows[plans[1].id]["cells"][:7] == ["done", "on_track", "on_track", "done", "on_track", "due_soon",
                                              "empty"]
    assert f'href="/cohorts/GRID-1/support/plans/{plans[0].id}"' in html
    assert 'aria-current="date"' in html and "Есіл ауданы" in html and "Солтүстік Қазақстан облысы" in html
    assert 'id="legend"' in html


def test_the_stage_follows_the_support_models_months(make, ctx):
    cohort, _plans = _cohort_with_plans(make, "STAGE-1", [[("2026-05-09", "planned")]])
    curator = make.user("curator", context=("cohort", cohort.id))

    def stages(day):
        return {r.stage for r in dashboard.grid(curator, today=day).page.items}

    assert stages(date(2026, 1, 9)) == {"not_started"}
    assert stages(date(2026, 1, 20)) == {"organisational"}  # month 1
    assert stages(TODAY) == {"implementation"}  # month 6 of 2-9
    assert stages(date(2026, 12, 1)) == {"reflection"}  # month 11 of 10-12
    assert stages(date(2027, 2, 1)) == {"finished"}


def test_marking_the_overdue_activity_done_turns_the_current_month_on_track(client, auth, make, db_session):
    cohort, plans = _cohort_with_plans(make, "GRID-2", [[("2026-05-09", "planned"), ("2026-07-09", "planned")]])
    curator = make.user("curator", context=("cohort", cohort.id))
    auth.login(curator.email)
    with at(TODAY):
        before = _rows(client.get("/support").get_data(as_text=True))[plans[0].id]
    assert before["cells"][3:6] == ["overdue", "overdue", "overdue"]
    db_session.execute(update(PlanActivity).where(PlanActivity.plan_id == plans[0].id,
                                                  PlanActivity.due_on == date(2026, 5, 9))
                       .values(status="done", done_on=TODAY))
    db_session.commit()
    with at(TODAY):
        after = _rows(client.get("/support").get_data(as_text=True))[plans[0].id]
    assert after["cells"][3:6] == ["done", "on_track", "on_track"] and after["state"] == "on_track"


def test_filters_by_region_district_school_programme_cohort_and_state(client, auth, make, db_session):
    north = _school("PC-N1", "SKO", "Есіл ауданы")
    north2 = _school("PC-N2", "SKO", "Қызылжар ауданы")
    south = _school("PC-S1", "TRK", "Сайрам ауданы")
    _c1, p1 = _cohort_with_plans(make, "FLT-A", [[("2026-05-09", "planned")], [("2026-05-09", "done")]], school=north)
    _c2, p2 = _cohort_with_plans(make, "FLT-B", [[("2026-05-09", "done")]], school=north2)
    _c3, p3 = _cohort_with_plans(make, "FLT-C", [[("2026-05-09", "planned")]], school=south, programme="LDR-SUS",
                                 model="LDR-SUS")
    admin = make.user("admin")
    auth.login(admin.email)

    def shown(**args) -> set[int]:
        with at(TODAY):
            r = client.get("/support", query_string=args)
        assert r.status_code == 200
        return set(_rows(r.get_data(as_text=True)))

    mine = {p.id for p in p1 + p2 + p3}
    assert mine <= shown()
    sko, trk = north.district.region_id, south.district.region_id
    assert shown(region=sko) & mine == {p.id for p in p1 + p2}
    assert shown(region=trk) & mine == {p3[0].id}
    assert shown(district=north2.district_id) & mine == {p2[0].id}
    assert shown(district=north.district_id, school=north.id) & mine == {p.id for p in p1}
    assert shown(programme="LDR-SUS") & mine == {p3[0].id}
    assert shown(cohort="FLT-A") == {p.id for p in p1}
    assert shown(cohort="FLT-A", state="overdue") == {p1[0].id}
    assert shown(state="overdue") & mine == {p1[0].id, p3[0].id}
    assert shown(state="done", region=sko) & mine == {p1[1].id, p2[0].id}
    # a value outside the choices is dropped, not an error
    assert shown(state="nonsense", cohort="FLT-A") == {p.id for p in p1}
    with at(TODAY):
        html = client.get("/support", query_string={"cohort": "FLT-A"}).get_data(as_text=True)
    assert 'data-state="overdue"' in html.split('id="tallies"')[1].split("</p>")[0]


def test_pagination_fifty_rows_a_page(client, auth, make):
    cohort, plans = _cohort_with_plans(make, "PAGE-1", [[("2026-05-09", "done")]] * 53)
    curator = make.user("curator", context=("cohort", cohort.id))
    auth.login(curator.email)
    with at(TODAY):
        first = client.get("/support").get_data(as_text=True)
        second = client.get("/support?page=2").get_data(as_text=True)
    assert len(_rows(first)) == 50 and len(_rows(second)) == 3
    assert not set(_rows(first)) & set(_rows(second))
    assert "page=2" in first


# --- who sees what -----------------------------------------------------------------------------------

def test_a_curator_of_one_cohort_sees_none_of_another_cohorts_graduates(client, auth, make):
    mine, my_plans = _cohort_with_plans(make, "SEE-A", [[("2026-05-09", "planned")]] * 2)
    other, other_plans = _cohort_with_plans(make, "SEE-B", [[("2026-05-09", "planned")]] * 2)
    curator = make.user("curator", context=("cohort", mine.id))
    auth.login(curator.email)
    with at(TODAY):
        html = client.get("/support").get_data(as_text=True)
        assert set(_rows(html)) == {p.id for p in my_plans}
        assert "SEE-B" not in html  # not even as a filter choice
        assert set(_rows(client.get("/support?cohort=SEE-B").get_data(as_text=True))) == {p.id for p in my_plans}
        assert client.get("/cohorts/SEE-A/support").status_code == 200
        assert client.get("/cohorts/SEE-B/support").status_code == 403
        r = client.get("/support/reports", query_string={"cohort": "SEE-B"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="SEE-B"' not in html  # the scope falls back to the curator's own
    assert re.search(r'data-status="total"><td>[^<]*</td><td class="num">2<', html)


def test_programme_trainer_sees_that_programmes_cohorts_and_admin_sees_all(make, ctx):
    from lms.courses import services

    a, pa = _cohort_with_plans(make, "SEE-DT", [[("2026-05-09", "planned")]])
    b, pb = _cohort_with_plans(make, "SEE-SUS", [[("2026-05-09", "planned")]], programme="LDR-SUS", model="LDR-SUS")
    trainer = make.user("trainer", context=("programme", services.get_programme("LDR-DT").id))
    seen = {r.plan_id for r in dashboard.grid(trainer, today=TODAY, per_page=1000).page.items}
    assert pa[0].id in seen and pb[0].id not in seen
    admin = make.user("admin")
    seen = {r.plan_id for r in dashboard.grid(admin, today=TODAY, per_page=1000).page.items}
    assert {pa[0].id, pb[0].id} <= seen
    methodologist = make.user("methodologist")
    assert dashboard.grid(methodologist, today=TODAY, per_page=1000).page.total >= 2


def test_participants_and_visitors_are_refused(client, auth, make):
    cohort, plans = _cohort_with_plans(make, "SEE-P", [[("2026-05-09", "planned")]])
    assert client.get("/support").status_code == 302  # to sign in
    graduate = plans[0]
    user = user_service.get_by_email("see-p-p01@test.kz")
    user_service.assign_role(user, "participant", "cohort", cohort.id)
    db.session.commit()
    auth.login(user.email)
    assert client.get("/support").status_code == 403
    assert client.get("/cohorts/SEE-P/support").status_code == 403
    assert client.get("/support/reports").status_code == 403
    assert graduate.id  # the graduate's own plan is on the timeline page, not here


def test_cohort_tab_shows_only_that_cohort(client, auth, make):
    a, pa = _cohort_with_plans(make, "TAB-A", [[("2026-05-09", "planned")]])
    b, pb = _cohort_with_plans(make, "TAB-B", [[("2026-05-09", "planned")]])
    admin = make.user("admin")
    auth.login(admin.email)
    with at(TODAY):
        html = client.get("/cohorts/TAB-A/support").get_data(as_text=True)
    assert set(_rows(html)) == {pa[0].id}
    assert 'href="/cohorts/TAB-A/support"' in html  # the tab in the cohort's tab bar
    assert client.get("/cohorts/NOPE/support").status_code == 404


def test_menu_entry_for_staff(client, auth, make):
    curator = make.user("curator")
    auth.login(curator.email)
    assert 'href="/support"' in client.get("/programmes/").get_data(as_text=True)


# --- cost --------------------------------------------------------------------------------------------

def _seed_many(make, prefix: str, cohorts: int, per_cohort: int, curator) -> None:
    from lms.courses.services import cohorts as cohort_service

    schools = [_school(f"{prefix}-S{i}", "SKO", f"{prefix} ауданы {i % 3}") for i in range(4)]
    for c in range(cohorts):
        cohort, _plans = _cohort_with_plans(
            make, f"{prefix}-{c:02d}", [[("2026-02-05", "done"), ("2026-05-09", "planned" if (c + i) % 3 else "done"),
                                          ("2026-06-25", "planned"), ("2026-09-09", "planned")]
                                         for i in range(per_cohort)], school=schools[c % 4])
        cohort_service.assign_staff(cohort, curator, "curator", None)
    db.session.commit()


@pytest.mark.parametrize("args", [{}, {"state": "overdue"}, {"region": "REGION", "district": "DISTRICT"}])
def test_statements_per_request_do_not_grow_with_the_graduates(client, auth, make, count_queries, args):
    small_curator, big_curator = make.user(email="small@test.kz"), make.user(email="big@test.kz")
    _seed_many(make, "QS", 2, 3, small_curator)
    _seed_many(make, "QB", 6, 25, big_curator)  # 150 graduates: three pages

    def count(curator, prefix):
        district = db.session.query(District).filter_by(name_kk=f"{prefix} ауданы 0").one()
        query = {k: {"REGION": district.region_id, "DISTRICT": district.id}.get(v, v) for k, v in args.items()}
        auth.login(curator.email)
        with at(TODAY):
            client.get("/support", query_string=query)  # warm-up
            with count_queries() as q:
                r = client.get("/support", query_string=query)
        assert r.status_code == 200 and _rows(r.get_data(as_text=True))
        auth.logout()
        return len(q)

    small, big = count(small_curator, "QS"), count(big_curator, "QB")
    assert small == big <= 10, (small, big)
