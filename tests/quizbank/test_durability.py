"""Answers survive the server: a real `lms run` process is killed (SIGKILL) between two answers
and no acknowledged answer is lost; concurrent submits of one attempt grade it once; an
attempt past its deadline plus grace accepts no answer.

The server runs on its own database: a temporary SQLite file, or, when the suite runs on
PostgreSQL (LMS_TEST_DATABASE_URL), a fresh database next to the suite's."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ROOT

LMS = str(Path(sys.executable).parent / "lms")
PYTHON = sys.executable

#: the seeding scripts' start: the app, and an LDR-DT cohort with an empty bank
SEED_PRELUDE = textwrap.dedent('''
    import json
    import sys
    from datetime import date, timedelta

    from lms import create_app
    from lms.db import db, utcnow

    app = create_app()


    def cohort_and_bank(code, bank_code, title):
        from lms.core.services import users
        from lms.courses import services
        from lms.courses.services import cohorts
        from lms.quizbank.models import Bank

        users.PASSWORD_METHOD = "pbkdf2:sha256:1000"
        cohort = cohorts.create_cohort(services.get_programme("LDR-DT"), {
            "code": code, "format_code": "blended", "start_date": date.today(),
            "end_date": date.today() + timedelta(days=30)}, None)
        bank = Bank(code=bank_code, programme_code="LDR-DT", title=title)
        db.session.add(bank)
        return cohort, bank
''')

SETUP = SEED_PRELUDE + textwrap.dedent('''
    # Seed the server's database: a cohort, one item of each auto-graded type, two published
    # tests, participants with tokens and attempts started (with explicit items: no draw).
    with app.app_context():
        from lms.core.services import tokens, users
        from lms.courses.services import cohorts
        from lms.quizbank.models import Item, ItemVersion
        from lms.quizbank.services import attempts, tests

        cohort, bank = cohort_and_bank("DUR-1", "DUR", "durability")
        kinds = [("single", {"options": [{"text": "иә", "fraction": 1.0, "feedback": None},
                                         {"text": "жоқ", "fraction": 0.0, "feedback": None}], "shuffle": False}),
                 ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}),
                 ("numerical", {"answers": [{"value": 12.5, "tolerance": 0, "fraction": 1.0, "feedback": None}]})]
        for k, (qtype, data) in enumerate(kinds, start=1):
            bank.items.append(Item(code=f"DUR-1.1-K-{k:03d}", topic_code="1.1", module_number=1, level="K",
                                   status="ready", versions=[ItemVersion(qtype=qtype, text=f"Q{k}", data=data)]))
        db.session.flush()
        versions = [item.versions[-1] for item in bank.items]
        main = tests.create_test(cohort, {"kind": "module", "title": "M1", "module_number": 1}, None)
        timed = tests.create_test(cohort, {"kind": "diagnostic", "title": "Timed", "time_limit_minutes": 30,
                                           "grace_seconds": 600}, None)
        main.status = timed.status = "published"
        out = {"tokens": {}, "attempts": {}, "users": {}}
        now = utcnow()
        for n in range(1, 11):
            user = users.create_user(f"dur-p{n}@test.kz", f"Participant {n}", "secret")
            enrolment = cohorts.enrol(cohort, user, None)
            db.session.flush()
            out["tokens"][n] = tokens.create_token(user)[1]
            out["users"][n] = user.id
            if n <= 7 or n == 10:  # p1: kill test; p2-p7: concurrent submits (all right); p10: a race
                attempt = attempts.start_attempt(main, enrolment, None, versions=versions)
                if 2 <= n <= 7:
                    for s, answer in zip(attempt.slots, [{"choice": 0}, {"value": True}, {"value": 12.5}]):
                        attempts.save_answer(attempt.id, s.slot, answer, user)
            elif n == 8:  # deadline a minute ago, grace ten minutes: answers still count
                attempt = attempts.start_attempt(timed, enrolment, None, versions=versions,
                                                 now=now - timedelta(minutes=31))
            else:  # deadline twenty minutes ago: past deadline plus grace
                attempt = attempts.start_attempt(timed, enrolment, None, versions=versions,
                                                 now=now - timedelta(minutes=50))
            out["attempts"][n] = attempt.id
        db.session.commit()
        print(json.dumps(out))
''')

SAVE_WHILE_FINISHING = textwrap.dedent('''
    """A save arriving while another transaction has finished the attempt but not yet
    committed: it must wait, then be refused; never saved behind the grader's back."""
    import json
    import sys
    import threading
    import time
    from types import SimpleNamespace

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from lms import create_app
    from lms.db import db

    app = create_app()
    attempt_id, user_id = int(sys.argv[1]), int(sys.argv[2])
    finished, release, out = threading.Event(), threading.Event(), {}

    def finisher():
        with db.engine.connect() as conn:
            conn.execute(text("UPDATE quizbank_attempts SET status = 'finished' WHERE id = :a"), {"a": attempt_id})
            finished.set()
            release.wait(10)
            conn.commit()

    def saver():
        from lms.quizbank.services import attempts

        finished.wait()
        try:
            attempts.save_answer(attempt_id, 1, {"choice": 0}, SimpleNamespace(id=user_id))
            db.session.commit()
            out["save"] = "saved"
        except attempts.AttemptClosed as exc:
            out["save"] = "refused: " + exc.message
        except OperationalError as exc:
            out["save"] = "locked: " + str(exc.orig)
        finally:
            db.session.rollback()
            db.session.remove()

    a, b = threading.Thread(target=finisher), threading.Thread(target=saver)
    a.start()
    b.start()
    time.sleep(1.5)
    out["waited"] = b.is_alive()
    release.set()
    a.join()
    b.join()
    with db.engine.connect() as conn:
        out["answer"] = conn.execute(text("SELECT answer FROM quizbank_attempt_slots WHERE attempt_id = :a"
                                          " AND slot = 1"), {"a": attempt_id}).scalar()
    print(json.dumps(out))
''')

CONCURRENT_SUBMITS = textwrap.dedent('''
    """Submit each attempt from several threads at once, each on its own session and
    connection; print what every caller saw and how many gradings the audit log holds."""
    import json
    import sys
    import threading
    from types import SimpleNamespace

    from sqlalchemy import func, select

    from lms import create_app
    from lms.core.models import AuditEntry
    from lms.db import db

    app = create_app()
    jobs = json.loads(sys.argv[1])  # [[attempt_id, user_id], ...]
    callers = int(sys.argv[2])
    seen = {}

    def submit(attempt_id, user_id, barrier):
        from lms.quizbank.services import attempts

        barrier.wait()
        try:
            attempt = attempts.submit(attempt_id, SimpleNamespace(id=user_id))
            db.session.commit()
            seen.setdefault(attempt_id, []).append(
                [attempt.status, attempt.score, attempt.percent, attempt.finished_at.isoformat()])
        except Exception as exc:  # reported, so the test names it
            seen.setdefault(attempt_id, []).append(["error", repr(exc)])
        finally:
            db.session.remove()

    for attempt_id, user_id in jobs:
        barrier = threading.Barrier(callers)
        threads = [threading.Thread(target=submit, args=(attempt_id, user_id, barrier)) for _ in range(callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    graded = {str(a): db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "attempt_graded", AuditEntry.object_id == str(a))) for a, _u in jobs}
    print(json.dumps({"seen": seen, "graded": graded}))
''')


START_SETUP = SEED_PRELUDE + textwrap.dedent('''
    # A test drawn from one small bank (twelve items, six drawn) and participants with tokens
    # who have not started it.
    with app.app_context():
        from lms.core.services import tokens, users
        from lms.courses.services import cohorts
        from lms.quizbank.models import Blueprint, Item, ItemVersion
        from lms.quizbank.services import tests

        cohort, bank = cohort_and_bank("DUR-START", "DURS", "starts")
        for k in range(1, 13):
            bank.items.append(Item(code=f"DURS-1.1-K-{k:03d}", topic_code="1.1", module_number=1, level="K",
                                   status="ready", versions=[ItemVersion(qtype="truefalse", text=f"Q{k}",
                                                                         data={"correct": True})]))
        db.session.flush()
        blueprint = Blueprint(bank_id=bank.id, code="DURS-M1", title="M1", total=6,
                              rules=[{"topic": "1.1", "min": 6, "max": 6}])
        db.session.add(blueprint)
        db.session.flush()
        test = tests.create_test(cohort, {"kind": "module", "title": "M1", "module_number": 1,
                                          "blueprint_id": blueprint.id}, None)
        test.status = "published"
        plain = []
        for n in range(int(sys.argv[1])):
            user = users.create_user(f"dur-start{n}@test.kz", f"Starter {n}", "secret")
            cohorts.enrol(cohort, user, None)
            db.session.flush()
            plain.append(tokens.create_token(user)[1])
        db.session.commit()
        print(json.dumps({"test": test.id, "bank": bank.id, "tokens": plain}))
''')

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`lms run` in a subprocess on the instance's database."""

    def __init__(self, env: dict, instance: Path):
        self.env, self.instance, self.process = env, instance, None
        self.base = ""

    def start(self) -> None:
        port = _free_port()
        self.log = open(self.instance / "server.log", "ab")
        self.process = subprocess.Popen([LMS, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                                        cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(self.base + "/api/v1/openapi.json", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError((self.instance / "server.log").read_text())

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.log.close()

    def call(self, method: str, path: str, token: str, body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"{}")


def _server_database(tmp: Path):
    """(url, cleanup): SQLite in tmp, or a fresh PostgreSQL database beside the suite's."""
    suite = os.environ.get("LMS_TEST_DATABASE_URL")
    if not suite or not suite.startswith("postgresql"):
        return f"sqlite:///{tmp / 'server.sqlite3'}", lambda: None
    url = make_url(suite)
    name = f"{url.database}_durability"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), lambda: (drop(), admin.dispose())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    instance = tmp_path_factory.mktemp("quiz-durability")
    url, cleanup = _server_database(instance)
    env = {**os.environ, "LMS_INSTANCE_DIR": str(instance), "LMS_DATABASE_URL": url,
           "LMS_FILES_DIR": str(instance / "files")}
    env.pop("LMS_PLUGINS", None)
    try:
        for args in (["db", "upgrade"], ["content", "load", "content/", "--quiet"]):
            done = subprocess.run([LMS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"lms {' '.join(args)}: {done.stderr}"
        done = subprocess.run([PYTHON, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        seeded = json.loads(done.stdout.strip().splitlines()[-1])
        server = Server(env, instance)
        engine = create_engine(url)
        yield {"server": server, "env": env, "db": engine, **seeded}
        server.stop()
        engine.dispose()
    finally:
        cleanup()


def _graded(live, attempt_id: int) -> int:
    with live["db"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM core_audit_log WHERE action = 'attempt_graded'"
                                 " AND object_id = :a"), {"a": str(attempt_id)}).scalar_one()


def test_killing_the_server_between_two_answers_loses_no_acknowledged_answer(live):
    server, token, attempt_id = live["server"], live["tokens"]["1"], live["attempts"]["1"]
    server.start()
    status, body = server.call("GET", f"/attempts/{attempt_id}", token)
    assert status == 200 and [s["type"] for s in body["slots"]] == ["single", "truefalse", "numerical"]
    status, saved = server.call("PUT", f"/attempts/{attempt_id}/answers/1", token, {"answer": {"choice": 0}})
    assert status == 200 and saved["saved_at"]

    server.kill()  # right after the acknowledgement
    server.start()

    status, body = server.call("GET", f"/attempts/{attempt_id}", token)
    assert status == 200 and body["status"] == "in_progress"
    assert body["slots"][0]["answer"] == {"choice": 0} and body["slots"][0]["answered_at"] == saved["saved_at"]
    status, _ = server.call("PUT", f"/attempts/{attempt_id}/answers/2", token, {"answer": {"value": True}})
    assert status == 200
    server.kill()  # and once more, before the submit
    server.start()
    status, result = server.call("POST", f"/attempts/{attempt_id}/submit", token)
    assert status == 200
    assert (result["score"], result["max"], result["percent"], result["passed"]) == (2.0, 3.0, 66.67, True)
    assert server.call("POST", f"/attempts/{attempt_id}/submit", token) == (200, result)
    assert _graded(live, attempt_id) == 1


def test_concurrent_submits_of_one_attempt_grade_it_once(live):
    jobs = [[live["attempts"][str(n)], live["users"][str(n)]] for n in range(2, 7)]
    done = subprocess.run([PYTHON, "-c", CONCURRENT_SUBMITS, json.dumps(jobs), "4"], cwd=ROOT, env=live["env"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for attempt_id, _user in jobs:
        seen = report["seen"][str(attempt_id)]
        assert len(seen) == 4 and all(s[0] == "finished" for s in seen), seen
        assert len({json.dumps(s) for s in seen}) == 1, seen  # every caller sees the one result
        assert seen[0][1:3] == [3.0, 100.0]
        assert report["graded"][str(attempt_id)] == 1


def test_submits_at_once_through_the_api_give_one_grade(live):
    server = live["server"]
    if server.process is None or server.process.poll() is not None:
        server.start()
    attempt_id, token = live["attempts"]["7"], live["tokens"]["7"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: server.call("POST", f"/attempts/{attempt_id}/submit", token), range(4)))
    assert [status for status, _ in results] == [200] * 4, results
    assert all(body == results[0][1] for _, body in results) and results[0][1]["percent"] == 100.0
    assert _graded(live, attempt_id) == 1


def test_an_attempt_past_its_deadline_plus_grace_accepts_no_answer(live):
    server = live["server"]
    if server.process is None or server.process.poll() is not None:
        server.start()
    # deadline a minute ago, ten minutes' grace: a slow line still gets its answer in
    in_grace, token8 = live["attempts"]["8"], live["tokens"]["8"]
    assert server.call("PUT", f"/attempts/{in_grace}/answers/1", token8, {"answer": {"choice": 0}})[0] == 200
    # deadline twenty minutes ago: refused, and the attempt is finished and graded on the way
    late, token9 = live["attempts"]["9"], live["tokens"]["9"]
    status, body = server.call("PUT", f"/attempts/{late}/answers/1", token9, {"answer": {"choice": 0}})
    assert status == 409 and "time ran out" in body["message"]
    status, body = server.call("GET", f"/attempts/{late}", token9)
    assert body["status"] == "finished" and body["slots"][0]["answer"] is None
    assert body["result"]["score"] == 0.0
    assert server.call("PUT", f"/attempts/{late}/answers/2", token9, {"answer": {"value": True}})[0] == 409
    assert _graded(live, late) == 1


def test_a_save_racing_a_finish_is_refused_not_lost(live):
    """A save while another transaction has finished the attempt but not committed. On
    PostgreSQL the save's guard reads the attempt FOR SHARE: it waits for that transaction,
    then sees the attempt finished and refuses. SQLite refuses the second writer at once
    ("database is locked"; the API reruns the request, which then answers 409). Either way
    nothing is saved behind the grader's back, and nothing refused is acknowledged."""
    done = subprocess.run([PYTHON, "-c", SAVE_WHILE_FINISHING, str(live["attempts"]["10"]), str(live["users"]["10"])],
                          cwd=ROOT, env=live["env"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["save"] != "saved" and out["answer"] is None, out
    if live["env"]["LMS_DATABASE_URL"].startswith("postgresql"):
        assert out["waited"] is True, out
        assert out["save"] == f"refused: attempt {live['attempts']['10']} was finished before this answer arrived;" \
                              " it was not saved"
    else:
        assert out["save"] == "locked: database is locked", out



def test_participants_starting_at_once_all_get_their_draw_and_every_draw_is_counted(live):
    """Twenty starts at one moment over a twelve-item bank: every one gets its six items (no
    deadlock between starts that share items), and each item's exposure is exactly the
    number of attempts showing it (no increment lost between simultaneous starts)."""
    server = live["server"]
    if server.process is None or server.process.poll() is not None:
        server.start()
    done = subprocess.run([PYTHON, "-c", START_SETUP, "20"], cwd=ROOT, env=live["env"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda token: server.call("POST", f"/tests/{seeded['test']}/attempts", token),
                                seeded["tokens"]))
    assert [(status, len(body.get("slots", []))) for status, body in results] == [(201, 6)] * 20, results
    with live["db"].connect() as conn:
        rows = conn.execute(text(
            "SELECT i.id, i.exposure, (SELECT count(*) FROM quizbank_attempt_slots s JOIN quizbank_item_versions v"
            " ON v.id = s.item_version_id WHERE v.item_id = i.id) FROM quizbank_items i WHERE i.bank_id = :b"),
            {"b": seeded["bank"]}).all()
    assert sum(shown for _i, _e, shown in rows) == 120
    assert all(exposure == shown for _i, exposure, shown in rows), rows
