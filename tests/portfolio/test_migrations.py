"""Upgrading a site whose seed 000 cohorts keep no grading scheme (created before cohorts kept
theirs): practical work in the files now comes from the marks on self-study tasks, and such a
cohort would have followed the file and lost the practical marks typed by hand. After the
upgrade it keeps the scheme it was graded by; a cohort that keeps one, or of another
programme, is left as it is."""
from datetime import date

import pytest
from alembic import command
from sqlalchemy import delete

from lms.core.migrate import alembic_config, upgrade
from lms.core.services import users
from lms.courses import services
from lms.courses.models import Cohort
from lms.courses.services import cohorts
from lms.db import db
from lms.portfolio.models import CohortScheme
from lms.portfolio.services import gradebook, schemes
from tests.conftest import CONTENT


@pytest.fixture
def site(own_site):
    return own_site("site.sqlite3")


def test_an_old_cohort_keeps_its_practical_marks_typed_by_hand(site):
    with site.app_context():
        upgrade(site)
        services.load_content(CONTENT)
        made = {}
        for code, programme in (("OLD-TCH", "TCH-SUS"), ("OLD-DT", "LDR-DT"), ("KEPT-TCH", "TCH-SUS")):
            made[code] = cohorts.create_cohort(services.get_programme(programme), {
                "code": code, "start_date": date(2026, 9, 1), "end_date": date(2026, 10, 1)}, None)
        trainer = users.create_user("mig-trainer@test.kz", "Тренер", "pw")
        one = cohorts.enrol(made["OLD-TCH"], users.create_user("mig-p1@test.kz", "Қатысушы", "pw"), None)
        db.session.commit()
        kept_data = schemes.kept(made["KEPT-TCH"]).data
        db.session.execute(delete(CohortScheme).where(CohortScheme.cohort_id.in_(
            [made["OLD-TCH"].id, made["OLD-DT"].id])))  # as cohorts created before 7a1c3e5b9d20
        db.session.commit()
        command.downgrade(alembic_config(site), "7a1c3e5b9d20")
        db.session.remove()

        upgrade(site)

        old = db.session.get(Cohort, made["OLD-TCH"].id)
        assert schemes.kept(old).source.startswith("content/certification/TCH-SUS.yaml as it read until")
        assert schemes.scheme_of(old).component("practical").source == "manual"
        assert schemes.scheme_of(old).component("final_work").title["kk"] == "Қорытынды жұмыс"
        gradebook.set_marks(old, {(one.id, "practical"): "15"}, trainer)  # still typed by hand, and counted
        assert gradebook.gradebook(old).rows[0].cells["practical"].points == 15
        assert schemes.kept(db.session.get(Cohort, made["OLD-DT"].id)) is None  # LDR-DT's file did not change
        assert schemes.kept(db.session.get(Cohort, made["KEPT-TCH"].id)).data == kept_data
        assert schemes.kept(db.session.get(Cohort, made["KEPT-TCH"].id)).data["gradebook"][2]["source"] == "tasks"
