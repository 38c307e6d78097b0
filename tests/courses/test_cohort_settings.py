"""A cohort's settings corrected after creation: dates, capacity, groups, link, status."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from lms.core.models import AuditEntry, User
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import Cohort
from lms.courses.services import cohorts
from lms.db import db

OLD_LINK = "https://zoom.us/j/111"
NEW_LINK = "https://zoom.us/j/222"


def _refusal(cohort, fields):
    with pytest.raises(ServiceError) as exc:
        cohorts.update_settings(cohort, fields, None)
    return dict(exc.value.problems)


def test_values_the_cohort_rules_out_are_refused_each_by_name_and_nothing_changes(make, db_session):
    c = make.cohort(participants=3, start=date(2027, 1, 10), capacity=10, mini_groups=2)
    c.enrolments[0].mini_group = 2
    make.session(c, "1.1")
    db_session.commit()
    problems = _refusal(c, {"capacity": 2, "mini_groups": 1, "format_code": "full_time",
                            "end_date": date(2027, 1, 1), "meeting_url": "javascript:alert(1)", "status": "closed"})
    assert set(problems) == {"capacity", "mini_groups", "format_code", "end_date", "meeting_url", "status"}
    assert "3 participants" in str(problems["capacity"]) and "mini-group 2" in str(problems["mini_groups"])
    assert "1 sessions" in str(problems["format_code"])
    db_session.rollback()
    fresh = db.session.get(Cohort, c.id)
    assert (fresh.capacity, fresh.mini_groups, fresh.format_code, fresh.end_date) == (
        10, 2, "online", date(2027, 2, 9))
    assert not db.session.query(AuditEntry).filter_by(action="cohort_updated").count()


@pytest.fixture
def ctx(app, db_session):
    """Its participants are told of a new link (test_notices), with the site's address."""
    with app.app_context():
        yield


def test_a_new_link_reaches_the_sessions_not_yet_held_that_carried_the_old_one(ctx, make, db_session):
    c = make.cohort(participants=1, meeting_url=OLD_LINK, start=date.today() - timedelta(days=5))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    held = make.session(c, "1.1", starts_at=now - timedelta(days=2), meeting_url=OLD_LINK)
    coming = make.session(c, "1.2", starts_at=now + timedelta(days=2), meeting_url=OLD_LINK)
    own = make.session(c, "1.3", starts_at=now + timedelta(days=3), meeting_url="https://meet.google.com/abc")
    change = cohorts.update_settings(c, {"meeting_url": NEW_LINK}, None)
    db_session.commit()
    assert change.links_moved == 1 and change.changed == {"meeting_url": (OLD_LINK, NEW_LINK)}
    assert (held.meeting_url, coming.meeting_url, own.meeting_url) == (OLD_LINK, NEW_LINK, "https://meet.google.com/abc")
    entry = db.session.query(AuditEntry).filter_by(action="cohort_updated").one()
    assert entry.details["meeting_url"] == [OLD_LINK, NEW_LINK] and entry.details["links_moved"] == 1
    # without moving: the sessions keep what they had
    cohorts.update_settings(c, {"meeting_url": OLD_LINK}, None, move_links=False)
    assert coming.meeting_url == NEW_LINK and c.meeting_url == OLD_LINK


def test_a_finished_cohort_takes_no_one_and_can_be_reopened(make, db_session):
    c = make.cohort(participants=1)
    change = cohorts.update_settings(c, {"status": "finished"}, None)
    assert change.changed == {"status": ("planned", "finished")}
    with pytest.raises(Conflict):
        cohorts.invite_participants(c, None)
    cohorts.update_settings(c, {"status": "running"}, None)
    assert c.status == "running"
    # saving the same values records nothing
    assert cohorts.update_settings(c, {"status": "running", "capacity": None}, None).changed == {}
    assert db.session.query(AuditEntry).filter_by(action="cohort_updated").count() == 2


def test_shorter_dates_leave_sessions_outside_and_say_how_many(make, db_session):
    c = make.cohort(participants=1, start=date(2027, 3, 1), days=30)
    make.session(c, "1.1", starts_at=datetime(2027, 3, 25, 5, tzinfo=timezone.utc))
    make.session(c, "1.2", starts_at=datetime(2027, 3, 5, 5, tzinfo=timezone.utc))
    change = cohorts.update_settings(c, {"end_date": date(2027, 3, 20)}, None)
    assert change.sessions_outside == 1 and c.end_date == date(2027, 3, 20)


def test_settings_page_for_the_cohort_managers_only(client, auth, make):
    admin = make.user("admin", language="en")
    trainer = make.user(language="en")
    c = make.cohort(participants=2, trainer=trainer, meeting_url=OLD_LINK)
    make.session(c, "1.1", starts_at=datetime.now(timezone.utc) + timedelta(days=1), meeting_url=OLD_LINK)
    auth.login(trainer.email)
    assert client.get(f"/cohorts/{c.code}/settings").status_code == 403
    assert ">Settings<" not in client.get(f"/cohorts/{c.code}").text
    auth.logout()
    auth.login(admin.email)
    page = client.get(f"/cohorts/{c.code}/settings").text
    assert f'value="{OLD_LINK}"' in page and "the schedule holds 1 sessions" in page
    assert re.search(r'<select disabled [^>]*name="format_code"', page)  # shown, not offered
    form = {"language": "ru", "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(),
            "capacity": "1", "mini_groups": "0", "meeting_url": NEW_LINK, "move_links": "y", "status": "running"}
    r = client.post(f"/cohorts/{c.code}/settings", data=form)
    assert r.status_code == 400 and "2 participants are enrolled" in r.text
    assert db.session.get(Cohort, c.id).language == "kk"
    r = client.post(f"/cohorts/{c.code}/settings", data={**form, "capacity": "25"}, follow_redirects=True)
    assert r.status_code == 200 and "Settings saved." in r.text and "1 session not yet held now carries the new link." in r.text
    saved = db.session.get(Cohort, c.id)
    assert (saved.language, saved.capacity, saved.status, saved.format_code, saved.sessions[0].meeting_url) == (
        "ru", 25, "running", "online", NEW_LINK)
    listing = client.get("/cohorts/").text
    assert "<td>running</td>" in listing
