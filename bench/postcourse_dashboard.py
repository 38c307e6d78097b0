#!/usr/bin/env python
"""The curator dashboard at scale: 100 cohorts x 100 graduates (10,000 support plans with
their activities from the shipped support models, spread over a year of completions, 17
regions x 10 districts x 4 schools), then GET /support timed through the Flask test client:
the first page without a filter, with a region filter, with the "overdue" state filter, and
page 20, as the curator of all 100 cohorts (cohort roles) and as an admin (system role).

    .venv/bin/python bench/postcourse_dashboard.py               # SQLite file in a temp dir
    .venv/bin/python bench/postcourse_dashboard.py --postgres    # PostgreSQL ustaz_bench_pc
    .venv/bin/python bench/postcourse_dashboard.py --repeat 50 --cohorts 100 --per-cohort 100
    .venv/bin/python bench/postcourse_dashboard.py --profile     # each statement's time, one request
    BENCH_PYPROFILE=tottime .venv/bin/python bench/postcourse_dashboard.py --profile   # and cProfile

The rows go in by Core executemany inserts (a few seconds). PostgreSQL: the database
ustaz_bench_pc on 127.0.0.1:5432 (user postgres, trust auth) is created for the run and
dropped at the end (ANALYZEd after the load, as autovacuum would). Prints p50/p95 per request
kind, this process's CPU per request and the SQL statements per request."""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ustaz_bench_pc"
PROGRAMMES = ("LDR-SUS", "TCH-SUS", "LDR-DT")
FORMATS = {"LDR-SUS": "online", "TCH-SUS": "online", "LDR-DT": "blended"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--postgres", action="store_true", help="run on PostgreSQL (ustaz_bench_pc, created and dropped)")
    p.add_argument("--cohorts", type=int, default=100)
    p.add_argument("--per-cohort", type=int, default=100)
    p.add_argument("--repeat", type=int, default=40, help="timed requests per kind (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the database (PostgreSQL, or the SQLite file) afterwards")
    p.add_argument("--profile", action="store_true", help="print each statement's time for one request of each kind")
    return p.parse_args(argv)


def pg_database(create: bool) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS ustaz_bench_pc WITH (FORCE)"))
        if create:
            conn.execute(text("CREATE DATABASE ustaz_bench_pc"))
    engine.dispose()


def seed(cohorts: int, per_cohort: int, today: date) -> dict:
    """Everything by Core executemany; returns what the requests need."""
    from sqlalchemy import insert, select, text

    from lms.core.models import District, Region, RoleAssignment, School, User
    from lms.core.services import users as user_service
    from lms.courses.models import Cohort, Enrolment, Programme
    from lms.db import db
    from lms.postcourse.models import PlanActivity, SupportPlan
    from lms.postcourse.services import models as support_models
    from lms.postcourse.services import plans as plan_service

    rng = random.Random(2026)
    now = datetime.now(timezone.utc)
    session = db.session
    user_service.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    curator = user_service.create_user("bench-curator@test.kz", "Куратор Бенч", "secret")
    admin = user_service.create_user("bench-admin@test.kz", "Әкімші Бенч", "secret")
    user_service.assign_role(admin, "admin")
    session.flush()

    session.execute(insert(Region), [{"code": f"R{r:02d}", "name_kk": f"{r}-облыс"} for r in range(17)])
    regions = session.execute(select(Region.id).order_by(Region.id)).scalars().all()
    session.execute(insert(District), [{"region_id": rid, "name_kk": f"{d}-аудан"} for rid in regions for d in range(10)])
    districts = session.execute(select(District.id).order_by(District.id)).scalars().all()
    session.execute(insert(School), [{"code": f"S{did}-{s}", "district_id": did, "name_kk": f"{did}-{s} мектеп",
                                      "school_type": "small_ungraded", "instruction_language": "kk"}
                                     for did in districts for s in range(4)])
    schools = session.execute(select(School.id).order_by(School.id)).scalars().all()

    programmes = {code: session.scalar(select(Programme.id).where(Programme.code == code, Programme.status == "approved")
                                       .order_by(Programme.version.desc())) for code in PROGRAMMES}
    models = {code: support_models.model_for(code) for code in PROGRAMMES}
    cohort_rows = []
    for c in range(cohorts):
        code = PROGRAMMES[c % 3]
        completed = today - timedelta(days=int(c * 365 / cohorts))
        cohort_rows.append({"code": f"BENCH-{c:03d}", "programme_id": programmes[code], "format_code": FORMATS[code],
                            "language": "kk", "start_date": completed - timedelta(days=55), "end_date": completed,
                            "status": "finished", "timezone": "Asia/Almaty", "mini_groups": 0, "created_at": now})
    session.execute(insert(Cohort), cohort_rows)
    cohort_ids = dict(session.execute(select(Cohort.code, Cohort.id)).all())
    session.execute(insert(RoleAssignment), [{"user_id": curator.id, "role": "curator", "context_level": "cohort",
                                              "context_id": cid} for cid in cohort_ids.values()])

    session.execute(insert(User), [{"email": f"bench-g{c:03d}-{i:03d}@test.kz", "full_name": f"Түлек {c:03d}-{i:03d}",
                                    "language": "kk", "school_id": schools[rng.randrange(len(schools))],
                                    "is_active_account": True, "created_at": now}
                                   for c in range(cohorts) for i in range(per_cohort)])
    user_ids = dict(session.execute(select(User.email, User.id).where(User.email.like("bench-g%"))).all())
    session.execute(insert(Enrolment), [
        {"cohort_id": cohort_ids[f"BENCH-{c:03d}"], "user_id": user_ids[f"bench-g{c:03d}-{i:03d}@test.kz"],
         "status": "completed", "enrolled_at": now, "completed_at": now}
        for c in range(cohorts) for i in range(per_cohort)])
    enrolments = session.execute(select(Enrolment.id, Enrolment.cohort_id)).all()
    end_of = {row["code"]: row["end_date"] for row in cohort_rows}
    code_of = {cid: code for code, cid in cohort_ids.items()}
    plans = []
    for eid, cid in enrolments:
        code = code_of[cid]
        model = models[PROGRAMMES[int(code[-3:]) % 3]]
        starts = end_of[code]
        plans.append({"enrolment_id": eid, "model_code": model.code, "starts_on": starts,
                      "ends_on": plan_service.month_end(starts, 12), "status": rng.choice(("agreed", "accepted")),
                      "needs": {}, "version": 2, "created_at": now})
    session.execute(insert(SupportPlan), plans)
    plan_rows = session.execute(select(SupportPlan.id, SupportPlan.model_code, SupportPlan.starts_on)).all()
    by_code = {m.code: m for m in models.values()}
    activities = []
    for pid, model_code, starts in plan_rows:
        for item in by_code[model_code].menu:
            due = plan_service.month_end(starts, item.due_month)
            roll = rng.random()
            if due < today:
                status = "done" if roll < 0.88 else ("planned" if roll < 0.96 else "cancelled")
            else:
                status = "done" if roll < 0.05 else "planned"
            activities.append({"plan_id": pid, "activity_type": item.code, "title": item.title["kk"],
                               "stage": item.stage, "due_on": due, "status": status,
                               "done_on": min(due, today) if status == "done" else None})
    for i in range(0, len(activities), 20000):
        session.execute(insert(PlanActivity), activities[i:i + 20000])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # what autovacuum does to a live database soon after a bulk load; without statistics
        # the planner takes 10,000 users for a few hundred
        session.execute(text("ANALYZE"))
        session.commit()
    return {"plans": len(plans), "activities": len(activities), "region": regions[3]}


def timed(client, url: str, repeat: int, engine) -> tuple[list[float], list[float], int, int]:
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    size = len(client.get(url).get_data())  # warm-up: caches, the first compiled statements
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    return times, cpu, len(statements), size


def profile(client, url: str, engine) -> None:
    from sqlalchemy import event

    spent: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        spent.append(((time.perf_counter() - conn.info["t0"]) * 1000, " ".join(statement.split())[:140]))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    t0 = time.perf_counter()
    client.get(url)
    total = (time.perf_counter() - t0) * 1000
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    print(f"  {url}: {total:.1f} ms, of which SQL {sum(t for t, _ in spent):.1f} ms")
    if os.environ.get("BENCH_PYPROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        client.get(url)
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("BENCH_PYPROFILE")).print_stats(30)
    for t, text in spent:
        print(f"    {t:7.1f} ms  {text}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv=None) -> None:
    args = parse_args(argv)
    from lms import create_app
    from lms.config import Config
    from lms.core.migrate import upgrade
    from lms.courses.services import load_content
    from lms.db import db

    tmp = tempfile.mkdtemp(prefix="bench-pc-")
    if args.postgres:
        pg_database(create=True)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app(Config(database_url=url, secret_key="bench", files_dir=tmp,
                            extra={"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}))
    today = date.today()
    try:
        with app.app_context():
            t0 = time.perf_counter()
            upgrade(app)
            load_content(ROOT / "content")
            db.session.commit()
            t1 = time.perf_counter()
            sizes = seed(args.cohorts, args.per_cohort, today)
            t2 = time.perf_counter()
            engine = db.engine
            print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; migrate+content {t1 - t0:.1f} s;"
                  f" seeded {args.cohorts} cohorts, {sizes['plans']} plans, {sizes['activities']} activities"
                  f" in {t2 - t1:.1f} s")
        print(f"load average before the requests: {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
              f" ({os.cpu_count()} cores)")
        print("wall = request time through the Flask test client; CPU = this process's CPU time per request"
              " (app + SQLite; PostgreSQL's own CPU is in its server processes)")
        print(f"{'user':8} {'request':14} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU p50':>8} {'SQL':>4} {'KB':>6}")
        for who in ("bench-curator@test.kz", "bench-admin@test.kz"):
            client = app.test_client()
            r = client.post("/login", data={"email": who, "password": "secret"})
            assert r.status_code == 302, r.status_code
            for label, url in (("first page", "/support"),
                               ("region filter", f"/support?region={sizes['region']}"),
                               ("state=overdue", "/support?state=overdue"),
                               ("page 20", "/support?page=20")):
                if args.profile:
                    profile(client, url, engine)
                    continue
                times, cpu, sql, size = timed(client, url, args.repeat, engine)
                print(f"{who.split('@')[0][6:]:8} {label:14} {statistics.median(times):8.1f} {pct(times, 95):8.1f}"
                      f" {max(times):8.1f} {statistics.median(cpu):8.1f} {sql:4d} {size / 1024:6.0f}", flush=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if args.postgres and not args.keep:
            pg_database(create=False)
        if args.keep:
            print(f"kept: {url}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    instance = tempfile.mkdtemp(prefix="bench-pc-instance-")
    os.environ.setdefault("LMS_INSTANCE_DIR", instance)
    try:
        main()
    finally:
        shutil.rmtree(instance, ignore_errors=True)
