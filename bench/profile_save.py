"""Profile the answer save in one process: the app on the benchmark database (left by
bench/final_test_day.py), a fresh participant of its cohort, N saves through the WSGI
test client; prints this process's CPU per save (the least of five rounds, the test client
included), then the top functions of N more saves under cProfile (sorted by SORT, default
cumulative; e.g. tottime).

    LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/ustaz_bench \\
        .venv/bin/python -m bench.profile_save [N [SORT]]"""
from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time

from sqlalchemy import select

from lms import create_app
from lms.db import db


def main(n: int = 2000, sort: str = "cumulative") -> None:
    app = create_app()
    with app.app_context():
        from lms.core.services import tokens, users
        from lms.courses.models import Cohort
        from lms.courses.services import cohorts
        from lms.quizbank.models import Test

        users.PASSWORD_METHOD = "pbkdf2:sha256:1000"
        cohort = db.session.scalar(select(Cohort).where(Cohort.code == "BENCH-1"))
        test_id = db.session.scalar(select(Test.id).where(Test.cohort_id == cohort.id))
        user = users.create_user(f"profile-{time.time_ns()}@test.kz", "Profile", "secret")
        cohorts.enrol(cohort, user, None)
        db.session.flush()
        plain = tokens.create_token(user, "profile")[1]
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    attempt = client.post(f"/api/v1/tests/{test_id}/attempts", headers=headers).get_json()
    bodies = [(s["slot"], json.dumps({"answer": {"choice": s["options"][0]["value"]} if s["type"] == "single" else
                                      {"value": True} if s["type"] == "truefalse" else
                                      {"choices": [s["options"][0]["value"]]}}))
              for s in attempt["slots"] if s["type"] in ("single", "truefalse", "multiple")]
    url = f"/api/v1/attempts/{attempt['id']}/answers/"

    def saves(count: int) -> None:
        for k in range(count):
            slot, body = bodies[k % len(bodies)]
            r = client.put(url + str(slot), data=body, headers=headers, content_type="application/json")
            assert r.status_code == 200, r.get_json()

    saves(2000)  # warm up: statement caches, prepared statements, the pool
    rounds = []
    for _round in range(5):  # the least of five: other processes on the machine only ever add
        t0 = time.thread_time()
        saves(n)
        rounds.append((time.thread_time() - t0) / n * 1000)
    print(f"{min(rounds):.2f} ms CPU per save in this process (least of five rounds of {n};"
          f" all: {', '.join(f'{r:.2f}' for r in rounds)})")
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    saves(n)
    profile.disable()
    pstats.Stats(profile).sort_stats(sort).print_stats(45)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, sys.argv[2] if len(sys.argv) > 2 else "cumulative")
