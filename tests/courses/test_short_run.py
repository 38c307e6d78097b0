"""A one-week full-time run halves the plan's hours (seed 000, line 205): the content declares
it per format, a cohort chooses it, and the ledger, schedule and certificate count half."""
from datetime import date

import pytest

from lms.core.services.errors import ServiceError
from lms.courses import services
from lms.courses import content
from lms.courses.services import cohorts, ledger
from lms.db import db
from tests.courses.test_content import _broken_copy, _line_of


def test_the_seed_000_full_time_plans_declare_their_one_week_run(db_session):
    for code in ("LDR-SUS", "TCH-SUS"):
        programme = services.get_programme(code)
        assert programme.format("full_time").short_run["factor"] == 0.5
        assert not programme.format("online").short_run
    assert not services.get_programme("LDR-DT").format("blended").short_run


def test_a_one_week_cohort_plans_half_the_hours(make, db_session):
    week = make.cohort(code="WEEK-1", format_code="full_time", participants=1, short_run=True, days=6)
    full = make.cohort(code="FULL-1", format_code="full_time", participants=1)
    assert week.hours_factor == 0.5 and week.short_run and full.hours_factor == 1
    week_units, full_units = ledger.units(week)[0], ledger.units(full)[0]
    assert sum(u.contact_planned for u in full_units) == 78  # the leaders' full-time lessons
    assert sum(u.contact_planned for u in week_units) == 39
    assert [u.contact_planned * 0.5 for u in full_units] == [u.contact_planned for u in week_units]


def test_a_one_week_run_is_refused_where_the_plan_allows_none(make, db_session):
    p = services.get_programme("LDR-SUS")
    with pytest.raises(ServiceError) as exc:
        cohorts.create_cohort(p, {"code": "WEEK-ONLINE", "format_code": "online", "short_run": True,
                                  "start_date": date(2027, 1, 1), "end_date": date(2027, 1, 7)}, None)
    assert exc.value.field == "short_run" and "allows no shorter run" in str(exc.value)
    c = make.cohort(code="WEEK-2", format_code="full_time", participants=1)
    cohorts.update_settings(c, {"short_run": True}, None)
    assert c.hours_factor == 0.5
    # once sessions are scheduled the run's length stays
    make.session(c, "1.1", kind="lesson")
    with pytest.raises(ServiceError) as exc:
        cohorts.update_settings(c, {"short_run": False}, None)
    assert exc.value.field == "short_run"
    # a format change without a shorter run of its own is refused while the cohort is short
    d = make.cohort(code="WEEK-3", format_code="full_time", participants=1, short_run=True)
    with pytest.raises(ServiceError) as exc:
        cohorts.update_settings(d, {"format_code": "online"}, None)
    assert exc.value.field == "short_run"
    assert db.session.get(type(d), d.id).format_code == "full_time"


@pytest.mark.parametrize("short_run, message", [
    ("{factor: 2}", "lies between 0 and 1"),
    ("{factor: 0.5, weeks: 1}", "unknown field 'weeks'"),
    ("half", "must be a mapping"),
])
def test_the_content_check_names_a_bad_short_run(tmp_path, short_run, message):
    target = _broken_copy(tmp_path, "short_run: {factor: 0.5, line: 205}", f"short_run: {short_run}", "LDR-SUS.yaml")
    errors = content.check(tmp_path / "content").errors
    assert [(e.path, e.line) for e in errors if message in e.message] == [(str(target), _line_of(target, "short_run:"))]
