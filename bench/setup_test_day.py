"""Seed the benchmark database (already migrated, programmes loaded, LDR bank imported):
the LDR-FINAL blueprint as content/banks/blueprints.yaml gives it, a cohort of LDR-SUS with
N participants, its final test published, and one API token per participant.

Run by bench/final_test_day.py as `python -m bench.setup_test_day N` with the LMS_*
variables of the run; prints {"test_id": ..., "tokens": [...]} as its last line."""
from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from lms import create_app
from lms.db import db

ROOT = Path(__file__).resolve().parent.parent


def main(n: int) -> None:
    app = create_app()
    with app.app_context():
        from lms.core.services import tokens, users
        from lms.courses import services
        from lms.courses.services import cohorts
        from lms.quizbank.models import Bank
        from lms.quizbank.services import blueprints, tests

        # participants never sign in with a password here; full-cost hashing would only slow the seeding
        users.PASSWORD_METHOD = "pbkdf2:sha256:1000"
        spec = next(b for b in yaml.safe_load((ROOT / "content/banks/blueprints.yaml").read_text(encoding="utf-8"))
                    if b["code"] == "LDR-FINAL")
        bank = db.session.scalar(select(Bank).where(Bank.code == spec["bank"]))
        blueprint = blueprints.save_blueprint(bank, {"code": spec["code"], "title": spec["title"]["kk"],
                                                     "total": spec["total"], "rules": spec["rules"]}, None)
        cohort = cohorts.create_cohort(services.get_programme(spec["programme"]), {
            "code": "BENCH-1", "format_code": "online", "start_date": date.today(),
            "end_date": date.today() + timedelta(days=60)}, None)
        test = tests.create_test(cohort, {"kind": "final", "title": spec["title"]["kk"],
                                          "blueprint_id": blueprint.id, "time_limit_minutes": 60}, None)
        blueprints.publish(test, None)
        plain = []
        for k in range(1, n + 1):
            user = users.create_user(f"bench-p{k:05d}@test.kz", f"Қатысушы {k:05d}", "secret")
            cohorts.enrol(cohort, user, None)
            db.session.flush()
            plain.append(tokens.create_token(user, "bench")[1])
        db.session.commit()
        print(json.dumps({"test_id": test.id, "tokens": plain}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
