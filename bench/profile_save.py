"""Profile the answer save in one process: the app on the benchmark database (left by
bench/final_test_day.py), a fresh participant of its cohort, N saves through the WSGI
test client under cProfile; prints the top functions and the time per save.

    LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/ustaz_bench \\
        .venv/bin/python -m bench.profile_save [N]"""
from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time

from sqlalchemy import select

from lms import create_app
from lms.db import db


def main(n: int = 2000) -> None:
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
    for slot, body in bodies * 5:  # warm up
        assert client.put(url + str(slot), data=body, headers=headers, content_type="application/json").status_code == 200
    t0, cpu0 = time.perf_counter(), time.process_time()
    for k in range(n):
        slot, body = bodies[k % len(bodies)]
        client.put(url + str(slot), data=body, headers=headers, content_type="application/json")
    print(f"{(time.perf_counter() - t0) / n * 1000:.2f} ms per save,"
          f" {(time.process_time() - cpu0) / n * 1000:.2f} ms CPU of this process"
          " (without the profiler)")
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    for k in range(n):
        slot, body = bodies[k % len(bodies)]
        client.put(url + str(slot), data=body, headers=headers, content_type="application/json")
    profile.disable()
    print(f"{(time.perf_counter() - t0) / n * 1000:.2f} ms per save (under the profiler)")
    stats = pstats.Stats(profile)
    stats.sort_stats(*(sys.argv[2:3] or ["cumulative"])).print_stats(45)
    stats.print_callers("connection.py.*\\(wait\\)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
