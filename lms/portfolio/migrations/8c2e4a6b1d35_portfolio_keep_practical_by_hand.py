"""portfolio: cohorts of LDR-SUS and TCH-SUS that keep no scheme keep the one they were graded by

Practical work in content/certification/LDR-SUS.yaml and TCH-SUS.yaml now comes from the marks on
self-study tasks (it was a mark typed into the gradebook, out of 20). A cohort created before
cohorts kept their scheme (7a1c3e5b9d20) follows the file, so without this its practical marks
typed by hand would stop counting: it keeps the scheme as the files read until then.

Revision ID: 8c2e4a6b1d35
Revises: 7a1c3e5b9d20
Create Date: 2026-11-30 14:10:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import lms.db

revision = '8c2e4a6b1d35'
down_revision = '7a1c3e5b9d20'
branch_labels = None
depends_on = None

SOURCE = "content/certification/{code}.yaml as it read until 2026-11-30 (practical work by hand)"
TITLES = {
    "attendance": {"kk": "Сабаққа қатысу", "ru": "Посещаемость", "en": "Attendance"},
    "activity": {"kk": "Қатысушылардың белсенділігі", "ru": "Активность участников", "en": "Activity"},
    "practical": {"kk": "Практикалық жұмыс", "ru": "Практическая работа", "en": "Practical work"},
    "final_test": {"kk": "Қорытынды тестілеу", "ru": "Итоговое тестирование", "en": "Final test"},
}
FINAL_WORK = {
    "LDR-SUS": {"kk": "Даму бағдарламасын қорғау", "ru": "Защита программы развития",
                "en": "Development programme defense"},
    "TCH-SUS": {"kk": "Қорытынды жұмыс", "ru": "Итоговая работа", "en": "Final work"},
}


def _scheme(code: str) -> dict:
    return {"programme": code, "gradebook": [
        {"code": "attendance", "weight": 6, "source": "attendance", "title": TITLES["attendance"]},
        {"code": "activity", "weight": 20, "source": "manual", "max": 20, "title": TITLES["activity"]},
        {"code": "practical", "weight": 20, "source": "manual", "max": 20, "title": TITLES["practical"]},
        {"code": "final_work", "weight": 14, "source": "defense", "title": FINAL_WORK[code]},
        {"code": "final_test", "weight": 40, "source": "final_test", "title": TITLES["final_test"]},
    ], "certificate": {"final_test_passed": True, "defense_passed": True, "hours_complete": True}}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT c.id, p.code FROM courses_cohorts c JOIN courses_programmes p ON p.id = c.programme_id"
        " WHERE p.code IN ('LDR-SUS', 'TCH-SUS')"
        " AND NOT EXISTS (SELECT 1 FROM portfolio_cohort_schemes s WHERE s.cohort_id = c.id)")).all()
    if not rows:
        return
    schemes = sa.table("portfolio_cohort_schemes", sa.column("cohort_id", sa.Integer),
                       sa.column("data", sa.JSON), sa.column("source", sa.String),
                       sa.column("taken_at", lms.db.UTCDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(schemes, [{"cohort_id": cohort_id, "data": _scheme(code), "source": SOURCE.format(code=code),
                              "taken_at": now} for cohort_id, code in rows])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM portfolio_cohort_schemes WHERE source LIKE '% as it read until 2026-11-30 %'"))
