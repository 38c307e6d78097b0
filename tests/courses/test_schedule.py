"""The webinar schedule: generation from the hour plan, coverage, trainer changes and the
iCalendar feeds."""
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import Attendance, WebinarSession
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import schedule
from lms.courses.services.ledger import units

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = date(2027, 1, 4)
MON_WED_FRI = {0, 2, 4}


def _sessions(db_session, cohort_id):
    return list(db_session.scalars(select(WebinarSession).where(WebinarSession.cohort_id == cohort_id)
                                   .order_by(WebinarSession.starts_at)))


def _count(db_session, cohort_id):
    return db_session.scalar(select(func.count()).select_from(WebinarSession)
                             .where(WebinarSession.cohort_id == cohort_id))


def _events(body: bytes):
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_generated_ldr_sus_online_schedule_covers_38_webinar_hours_in_order(make, db_session):
    c = make.cohort(code="GEN-1", participants=0, start=MONDAY, days=60)
    made = schedule.generate(c, MONDAY, MON_WED_FRI, time(14, 0), 2, None)
    sessions = _sessions(db_session, c.id)
    assert len(sessions) == len(made)
    assert sum(s.academic_hours for s in sessions) == 38
    assert {s.kind for s in sessions} == {"webinar"}

    cov = schedule.coverage(c)
    assert (cov.planned, cov.scheduled, cov.missing) == (38, 38, 0)
    assert all(r.scheduled == r.planned for r in cov.rows)
    module4 = next(r for r in cov.rows if r.unit.topic is None)
    assert (module4.unit.module.number, module4.planned, module4.scheduled) == (4, 3, 3)
    module_sessions = [s for s in sessions if s.topic_id is None]
    assert module_sessions and {s.module_id for s in module_sessions} == {module4.unit.module.id}

    # in programme order: the plan row of each session never goes back
    plan = [u for u in units(c)[0] if u.contact_planned]
    order = {(u.topic.id if u.topic else ("m", u.module.id)): i for i, u in enumerate(plan)}
    positions = [order[s.topic_id if s.topic_id else ("m", s.module_id)] for s in sessions]
    assert positions == sorted(positions)
    assert positions[0] == 0 and positions[-1] == len(plan) - 1

    # only Mondays, Wednesdays and Fridays, 14:00-15:30 Almaty time (2 x 45 min), 09:00 UTC
    assert sessions[0].starts_at == datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
    per_day: dict[date, float] = {}
    for s in sessions:
        start, end = s.starts_at.astimezone(ALMATY), s.ends_at.astimezone(ALMATY)
        assert start.weekday() in MON_WED_FRI
        assert time(14, 0) <= start.time() and end.time() <= time(15, 30) and end.date() == start.date()
        per_day[start.date()] = per_day.get(start.date(), 0) + s.academic_hours
    assert max(per_day.values()) == 2
    assert len(per_day) == 19  # 38 h at 2 h a day
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "schedule_generated",
                                                      AuditEntry.object_id == str(c.id))) is not None


def test_sessions_of_one_day_follow_each_other_with_the_break(make, db_session):
    c = make.cohort(code="GEN-BREAK", participants=0, start=MONDAY, days=100)
    schedule.generate(c, MONDAY, {0}, time(10, 0), 3, None, break_minutes=15)
    first_day = [s for s in _sessions(db_session, c.id) if s.starts_at.astimezone(ALMATY).date() == MONDAY]
    # 1.1 (1 h), 1.2 (1 h), 1.3 (the first of its 2 h): 10:00, 11:00, 12:00 local
    assert [s.starts_at.astimezone(ALMATY).time() for s in first_day] == [time(10), time(11), time(12)]
    assert [s.academic_hours for s in first_day] == [1, 1, 1]
    next_monday = MONDAY + timedelta(days=7)
    second_day = [s for s in _sessions(db_session, c.id) if s.starts_at.astimezone(ALMATY).date() == next_monday]
    assert second_day[0].topic_id == first_day[2].topic_id  # 1.3 continues on the next teaching day


@pytest.mark.parametrize("programme, fmt, total", [("TCH-SUS", "online", 36), ("LDR-DT", "blended", 80)])
def test_other_programmes_cover_their_contact_hours(make, db_session, programme, fmt, total):
    c = make.cohort(code="GEN-2", programme=programme, format_code=fmt, participants=0, start=MONDAY, days=60)
    schedule.generate(c, MONDAY, {0, 1, 2, 3, 4}, time(9, 0), 4, None)
    sessions = _sessions(db_session, c.id)
    assert sum(s.academic_hours for s in sessions) == total
    assert schedule.coverage(c).missing == 0
    if fmt == "blended":  # each session carries its topic's kind
        kinds = {s.topic.code: s.kind for s in sessions}
        assert kinds["1.1"] == "theory" and kinds["1.5"] == "practical"


def test_a_cohort_too_short_is_refused_with_the_hours_that_do_not_fit(make, db_session):
    c = make.cohort(code="GEN-SHORT", participants=0, start=MONDAY, days=7)
    with pytest.raises(ServiceError) as exc:
        schedule.generate(c, MONDAY, {0}, time(14, 0), 2, None)  # two Mondays: 4 of 38 h
    assert "34 of 38 academic hours do not fit" in exc.value.message
    assert _count(db_session, c.id) == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"weekdays": set()}, "weekdays"),
    ({"hours_per_day": 0}, "hours_per_day"),
    ({"hours_per_day": 10.5}, "hours_per_day"),
    ({"start_date": MONDAY - timedelta(days=1)}, "start_date"),
    ({"start_date": MONDAY + timedelta(days=61)}, "start_date"),
    ({"start_time": time(22, 0)}, "start_time"),  # 4 h from 22:00 runs past midnight
])
def test_bad_generation_input_is_refused_by_field(make, db_session, kwargs, field):
    c = make.cohort(code="GEN-BAD", participants=0, start=MONDAY, days=60)
    args = {"start_date": MONDAY, "weekdays": MON_WED_FRI, "start_time": time(14), "hours_per_day": 4, **kwargs}
    with pytest.raises(ServiceError) as exc:
        schedule.generate(c, args["start_date"], args["weekdays"], args["start_time"], args["hours_per_day"], None)
    assert exc.value.field == field
    assert _count(db_session, c.id) == 0


def test_regenerating_needs_replace_and_never_loses_attendance(make, db_session):
    c = make.cohort(code="GEN-AGAIN", participants=1, start=MONDAY, days=60)
    first = schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    with pytest.raises(Conflict):
        schedule.generate(c, MONDAY, MON_WED_FRI, time(15), 2, None)
    again = schedule.generate(c, MONDAY, {1, 3, 5}, time(15), 2, None, replace=True)
    sessions = _sessions(db_session, c.id)
    assert len(sessions) == len(again) == len(first)
    assert sessions[0].starts_at == datetime(2027, 1, 5, 10, 0, tzinfo=timezone.utc)  # Tuesday 15:00 local

    db_session.add(Attendance(session_id=sessions[0].id, enrolment_id=c.enrolments[0].id, status="present",
                              minutes=90))
    db_session.commit()
    ids = [s.id for s in sessions]
    with pytest.raises(Conflict) as exc:
        schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None, replace=True)
    assert "1 attendance marks" in exc.value.message
    assert [s.id for s in _sessions(db_session, c.id)] == ids


def test_split_keeps_the_total_and_refuses_bad_parts_and_attended_sessions(make, db_session):
    c = make.cohort(code="SPLIT-1", participants=1, start=MONDAY, days=60)
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    s = next(s for s in _sessions(db_session, c.id) if s.academic_hours == 2)
    for bad in (0, 2, 3, -1):
        with pytest.raises(ServiceError) as exc:
            schedule.split(s, bad, None)
        assert exc.value.field == "first_hours"
    first, second = schedule.split(s, 0.5, None)
    assert (first.academic_hours, second.academic_hours) == (0.5, 1.5)
    assert (second.topic_id, second.module_id, second.kind) == (first.topic_id, first.module_id, first.kind)
    assert second.starts_at == first.ends_at
    assert schedule.coverage(c).scheduled == 38

    db_session.add(Attendance(session_id=second.id, enrolment_id=c.enrolments[0].id, status="present", minutes=60))
    db_session.flush()
    with pytest.raises(Conflict):
        schedule.split(second, 1, None)


def test_move_checks_dates_and_overlaps(make, db_session):
    c = make.cohort(code="MOVE-1", participants=0, start=MONDAY, days=60)
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    a, b = _sessions(db_session, c.id)[:2]
    with pytest.raises(Conflict):
        schedule.move(b, a.starts_at + timedelta(minutes=30), None)
    with pytest.raises(ServiceError) as exc:
        schedule.move(b, datetime(2026, 12, 1, 9, tzinfo=timezone.utc), None)
    assert exc.value.field == "starts_at"
    schedule.move(b, schedule.local_to_utc(c, date(2027, 1, 5), time(16, 30)), None)
    assert b.starts_at == datetime(2027, 1, 5, 11, 30, tzinfo=timezone.utc)


def test_set_link_accepts_only_web_addresses(make, db_session):
    c = make.cohort(code="LINK-1", participants=0, start=MONDAY, days=60, meeting_url="https://zoom.us/j/1")
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    s = _sessions(db_session, c.id)[0]
    assert s.meeting_url == "https://zoom.us/j/1"  # the cohort's default
    for bad in ("javascript:alert(1)", "ftp://files.kz/x", "https://", "https://" + "a" * 500):
        with pytest.raises(ServiceError) as exc:
            schedule.set_link(s, bad, None)
        assert exc.value.field == "meeting_url"
    schedule.set_link(s, " https://teams.microsoft.com/l/meetup-join/abc ", None)
    assert s.meeting_url == "https://teams.microsoft.com/l/meetup-join/abc"


def test_trainer_cancels_a_session_coverage_drops_and_the_feed_marks_it(client, auth, make, db_session):
    trainer = make.user()
    c = make.cohort(code="CANCEL-1", participants=1, start=MONDAY, days=60, trainer=trainer)
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    db_session.commit()
    sessions = _sessions(db_session, c.id)
    target = sessions[3]
    target_id, target_hours, target_start, n = target.id, target.academic_hours, target.starts_at, len(sessions)
    auth.login(trainer.email)
    page = client.get("/cohorts/CANCEL-1/schedule").get_data(as_text=True)
    assert 'id="scheduled-hours">38<' in page and "missing-hours" not in page

    r = client.post("/cohorts/CANCEL-1/schedule/cancel", data={"session_id": target_id, "note": "Жарық өшті"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f'id="scheduled-hours">{38 - target_hours:g}<' in page
    assert f'id="missing-hours">{target_hours:g}<' in page

    with client.get("/cohorts/CANCEL-1/schedule.ics") as r:
        assert r.status_code == 200 and r.mimetype == "text/calendar"
        events = _events(r.get_data())
    assert len(events) == n
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == n
    cancelled = by_uid[f"session-{target_id}@localhost"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("DTSTART") == target_start
    assert sum(1 for e in events if str(e["STATUS"]) == "CANCELLED") == 1
    assert str(events[0]["SUMMARY"]).startswith("1.1 ")

    # restoring brings the hours back; the row was kept
    client.post("/cohorts/CANCEL-1/schedule/restore", data={"session_id": target_id})
    assert schedule.coverage(cohort_service.get_cohort("CANCEL-1")).missing == 0


def test_trainer_moves_splits_and_links_through_the_page(client, auth, make, db_session):
    trainer = make.user()
    c = make.cohort(code="EDIT-1", participants=0, start=MONDAY, days=60, trainer=trainer)
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    db_session.commit()
    sid = next(s.id for s in _sessions(db_session, c.id) if s.academic_hours == 2)
    n = _count(db_session, c.id)
    auth.login(trainer.email)
    page = client.get(f"/cohorts/EDIT-1/schedule?edit={sid}").get_data(as_text=True)
    assert 'name="first_hours"' in page and 'name="meeting_url"' in page

    r = client.post("/cohorts/EDIT-1/schedule/move", data={"session_id": sid, "day": "2027-01-05",
                                                           "starts_at": "16:00"})
    assert r.status_code == 302
    assert db_session.get(WebinarSession, sid).starts_at == datetime(2027, 1, 5, 11, tzinfo=timezone.utc)
    r = client.post("/cohorts/EDIT-1/schedule/split", data={"session_id": sid, "first_hours": "2"})
    assert r.status_code == 200 and "бірінші бөлік 0-ден көп және сабақтың" in r.get_data(as_text=True)
    r = client.post("/cohorts/EDIT-1/schedule/split", data={"session_id": sid, "first_hours": "1"})
    assert r.status_code == 302
    assert _count(db_session, c.id) == n + 1
    r = client.post("/cohorts/EDIT-1/schedule/link", data={"session_id": sid, "meeting_url": "javascript:x"})
    assert r.status_code == 200 and "https:// немесе http:// деп басталатын веб-мекенжай" in r.get_data(as_text=True)
    client.post("/cohorts/EDIT-1/schedule/link", data={"session_id": sid, "meeting_url": "https://meet.google.com/abc"})
    db_session.expire_all()
    assert db_session.get(WebinarSession, sid).meeting_url == "https://meet.google.com/abc"

    other = make.cohort(code="EDIT-2", participants=0, start=MONDAY, days=60)
    foreign = make.session(other, "1.1")
    assert client.post("/cohorts/EDIT-1/schedule/cancel", data={"session_id": foreign.id}).status_code == 404


def test_trainer_generates_through_the_form(client, auth, make, db_session):
    trainer = make.user()
    c = make.cohort(code="FORM-1", participants=0, start=MONDAY, days=20, trainer=trainer)
    cid = c.id
    auth.login(trainer.email)
    page = client.get("/cohorts/FORM-1/schedule").get_data(as_text=True)
    assert 'id="no-sessions"' in page and 'action="/cohorts/FORM-1/schedule/generate"' in page
    data = {"start_date": "2027-01-04", "weekdays": ["0", "2", "4"], "start_time": "14:00", "hours_per_day": "2",
            "break_minutes": "0"}
    r = client.post("/cohorts/FORM-1/schedule/generate", data=data)
    assert r.status_code == 200 and "топтың аяқталу күніне" in r.get_data(as_text=True)
    assert _count(db_session, cid) == 0
    r = client.post("/cohorts/FORM-1/schedule/generate", data={**data, "weekdays": ["0", "1", "2", "3", "4"],
                                                               "hours_per_day": "3"})
    assert r.status_code == 302
    assert sum(s.academic_hours for s in _sessions(db_session, cid)) == 38


def test_participant_cannot_change_the_schedule_but_gets_their_feed(client, auth, make, db_session):
    c = make.cohort(code="PART-1", participants=1, start=MONDAY, days=60)
    schedule.generate(c, MONDAY, MON_WED_FRI, time(14), 2, None)
    db_session.commit()
    n = _count(db_session, c.id)
    sid = _sessions(db_session, c.id)[0].id
    other = make.cohort(code="PART-2", participants=0)
    auth.login("part-1-p01@test.kz")
    assert client.post("/cohorts/PART-1/schedule/generate", data={"start_date": "2027-01-04", "weekdays": ["0"],
                                                                  "start_time": "14:00", "hours_per_day": "2",
                                                                  "replace": "y"}).status_code == 403
    assert client.post("/cohorts/PART-1/schedule/cancel", data={"session_id": sid}).status_code == 403
    assert client.get("/cohorts/PART-1/schedule").status_code == 403
    assert client.get("/cohorts/PART-1/schedule.ics").status_code == 403
    assert _count(db_session, c.id) == n
    with client.get("/cohorts/PART-1/me/schedule.ics") as r:
        assert r.status_code == 200
        assert len(_events(r.get_data())) == n
    page = client.get("/cohorts/PART-1/me/schedule").get_data(as_text=True)
    assert page.count("data-session=") == n
    assert "Алматы уақыт белдеуі" in page and "Asia/" not in page  # the zone by its city, in Kazakh
    assert client.get(f"/cohorts/{other.code}/me/schedule.ics").status_code == 403


def test_calendar_token_feed_works_without_signing_in(client, auth, make, db_session):
    a = make.cohort(code="FEED-A", participants=1, start=MONDAY, days=60)
    schedule.generate(a, MONDAY, MON_WED_FRI, time(14), 2, None)
    user = a.enrolments[0].user
    b = make.cohort(code="FEED-B", participants=0, start=MONDAY, days=60)
    enrolment_b = cohort_service.enrol(b, user, None)
    make.session(b, "1.1", starts_at=datetime(2027, 1, 5, 4, tzinfo=timezone.utc))
    gone = make.cohort(code="FEED-GONE", participants=0, start=MONDAY, days=60)
    cohort_service.set_status(cohort_service.enrol(gone, user, None), "withdrawn", None)
    make.session(gone, "1.1", starts_at=datetime(2027, 1, 6, 4, tzinfo=timezone.utc))
    db_session.commit()
    expected = _count(db_session, a.id) + 1
    assert enrolment_b.status == "enrolled"

    auth.login(user.email)
    r = client.post("/cohorts/FEED-A/me/calendar-token")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    url = re.search(r'value="(http://localhost/cohorts/calendar/[^"]+\.ics)"', r.get_data(as_text=True)).group(1)
    auth.logout()

    with client.get(url) as r:
        assert r.status_code == 200
        events = _events(r.get_data())
    assert len(events) == expected
    assert client.get("/cohorts/calendar/lms_not-a-real-token.ics").status_code == 404

    # a new address replaces the old one
    auth.login(user.email)
    client.post("/cohorts/FEED-A/me/calendar-token")
    auth.logout()
    assert client.get(url).status_code == 404


def test_schedule_page_runs_a_bounded_number_of_statements(client, auth, make, db_session, count_queries):
    trainer = make.user()
    small = make.cohort(code="Q-SMALL", participants=0, start=MONDAY, days=60, trainer=trainer)
    big = make.cohort(code="Q-BIG", participants=0, start=MONDAY, days=60, trainer=trainer)
    for cohort, n in ((small, 5), (big, 60)):
        topics = [t for t in cohort.programme.topics if t.module_id is not None]
        for i in range(n):
            t = topics[i % len(topics)]
            db_session.add(WebinarSession(cohort=cohort, module_id=t.module_id, topic_id=t.id,
                                          starts_at=datetime(2027, 1, 4, 9, tzinfo=timezone.utc) + timedelta(days=i),
                                          academic_hours=1, meeting_url=None))
    db_session.commit()
    edit_big = _sessions(db_session, big.id)[55].id
    edit_small = _sessions(db_session, small.id)[2].id
    auth.login(trainer.email)
    client.get("/cohorts/Q-SMALL/schedule")  # warm-up (first request of the session)
    counts = {}
    for code, edit in (("Q-SMALL", edit_small), ("Q-BIG", edit_big)):
        with count_queries() as q:
            page = client.get(f"/cohorts/{code}/schedule?edit={edit}")
        assert page.status_code == 200
        counts[code] = len(q)
    assert counts["Q-BIG"] == counts["Q-SMALL"]
    assert counts["Q-BIG"] <= 20
    page = client.get("/cohorts/Q-BIG/schedule").get_data(as_text=True)
    assert page.count("data-session=") == 50 and "page=2" in page
    assert client.get("/cohorts/Q-BIG/schedule?page=2").get_data(as_text=True).count("data-session=") == 10
