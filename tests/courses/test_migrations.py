"""Upgrading a database that holds courses: the short-run columns arrive and no row is lost.

Seen on 2026-11-30 before it landed: on SQLite the revision's table rebuild (Alembic's batch
"move and copy") dropped courses_cohorts with foreign keys on, which deleted every enrolment
(ON DELETE CASCADE). A SQLite file of its own, whatever the suite's database: the rebuild is
SQLite's."""
from datetime import date

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

from lms.core.migrate import alembic_config, upgrade
from lms.courses import services
from lms.courses.models import Enrolment
from lms.courses.services import cohorts
from lms.core.services import users
from lms.db import db
from tests.conftest import CONTENT


@pytest.fixture
def site(own_site):
    def make(name: str, participants: int):
        """Its app, with the programmes and one cohort of `participants`, taken back to the courses
        schema before the short-run revision (the branch as it stood); inside the app context."""
        site_app = own_site(name)
        with site_app.app_context():
            upgrade(site_app)
            services.load_content(CONTENT)
            cohort = cohorts.create_cohort(services.get_programme("LDR-SUS"), {
                "code": "MIG-1", "start_date": date(2027, 1, 1), "end_date": date(2027, 2, 1)}, None)
            for n in range(participants):
                cohorts.enrol(cohort, users.create_user(f"mig{n}@test.kz", f"Қатысушы {n}", "pw"), None)
            db.session.commit()
            command.downgrade(alembic_config(site_app), "48c8bd58420b")
            db.session.remove()
        return site_app

    return make


def test_an_upgrade_keeps_every_enrolment_and_adds_the_columns(site):
    app = site("site.sqlite3", 3)
    with app.app_context():
        with db.engine.begin() as conn:  # as a site installed then records it: under quizbank's head only
            conn.execute(text("DELETE FROM alembic_version WHERE version_num = '48c8bd58420b'"))
            assert len(conn.execute(text("SELECT version_num FROM alembic_version")).all()) == 5  # the heads left, xapi's among them
        assert "hours_factor" not in {c["name"] for c in inspect(db.engine).get_columns("courses_cohorts")}
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3

        upgrade(app)

        columns = {c["name"] for c in inspect(db.engine).get_columns("courses_cohorts")}
        assert "hours_factor" in columns
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3
        assert services.get_programme("LDR-SUS").format("full_time").short_run == {}  # the default, until loaded


def test_a_restore_of_an_older_backup_upgrades_without_losing_a_row(site, tmp_path):
    """A backup made before the revision, restored by today's code: the restore upgrades the
    schema after loading, inside its own transaction, and every enrolment stays."""
    from lms.core.services import backup
    from lms.db import make_engine

    app = site("old.sqlite3", 2)
    with app.app_context():
        made = backup.backup(tmp_path / "old.zip", engine=db.engine)
        assert "c1d3e5f7a902" not in made.revisions
        target = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
        backup.restore(made.path, engine=target, files_dir=tmp_path / "store")
        with target.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM courses_enrolments")).scalar() == 2
            assert conn.execute(text("SELECT hours_factor FROM courses_cohorts")).scalar() == 1
        target.dispose()
