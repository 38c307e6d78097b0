#!/usr/bin/env python
"""Final test day: gunicorn on PostgreSQL, N participants each starting the LDR-SUS final test
(24 items), answering every item and submitting, at 50, 100 and 200 concurrent clients.

At each level the N participants start together (behind a barrier), then the same client
alternates bursts of answer saves with bursts of a baseline route (bench/baseline_app.py:
one INSERT and COMMIT on the same stack and database, the floor of a write here), so both
meet the same machine, and finally every participant submits:

    start     POST /api/v1/tests/{id}/attempts            (draws the 24 items)
    save      PUT  /api/v1/attempts/{id}/answers/{slot}   x 24 per participant and burst
    baseline  PUT  /baseline                              as many, same clients
    submit    POST /api/v1/attempts/{id}/submit           (grades)

It prints, per route: requests, throughput, p50/p95/p99 latency, the ratio of its throughput
to the baseline's, SQL statements per request (counted by bench/sqlcount.py in the servers,
COMMIT included), worker RSS (from /proc) and where the CPU went (app workers, baseline
workers, PostgreSQL, the client, other processes, idle), then checks the bars of issue 4.

Clients are closed loops without think time (each sends its next request when the last one
is answered; `--think MS` adds a pause), on keep-alive connections, spread over a few
processes running asyncio; so the latency at N clients is mostly the queue in front of the
server (Little's law: mean latency = N / throughput).

gunicorn runs gthread workers, 4 processes x 2 threads by default: the work is CPU-bound
Python under one GIL per process, so at least one process per core, and a second thread
per process runs while the first waits on PostgreSQL (five round trips per save, the COMMIT
waiting for its fsync); on this 2-core machine 4 x 2 kept both cores busy with the fewest
threads (see docs/performance.md). Each worker binds its own socket (--reuse-port), so the kernel
spreads the keep-alive connections over the workers.

    .venv/bin/python bench/final_test_day.py            # 50, 100, 200 clients (about 2 minutes)
    .venv/bin/python bench/final_test_day.py --quick    # 100 clients, one burst (under a minute)

The database (default ustaz_bench on 127.0.0.1:5432, user postgres, trust auth) is dropped
and created again by every run, migrated, loaded with the programmes and the LDR-SUS bank."""
from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ITEMS = 24
HZ = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


# --- arguments ---------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", default="50,100,200", help="concurrency levels (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=1,
                   help="participants per client at each level: each client takes them one after another"
                        " (default: %(default)s)")
    p.add_argument("--bursts", type=int, default=3,
                   help="baseline and save bursts alternated at each level (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="a short run: 100 clients, one round, one burst")
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="gthread threads per worker (default: %(default)s)")
    p.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                   help="gunicorn worker class (default: %(default)s; sync has no keep-alive)")
    p.add_argument("--client-procs", type=int, default=2, help="load client processes (default: %(default)s)")
    p.add_argument("--pg", default="postgres@127.0.0.1:5432", help="PostgreSQL user@host:port (default: %(default)s)")
    p.add_argument("--db", default="ustaz_bench", help="database dropped and created for the run (default: %(default)s)")
    p.add_argument("--think", type=float, default=0.0, metavar="MS",
                   help="each client pauses this long after every answer (default 0: closed loop, the server"
                        " saturated); with a pause the latency is the server's at less than full load")
    p.add_argument("--paced-share", type=float, default=0.6, metavar="SHARE",
                   help="after the closed-loop bursts, the same clients pace their requests to offer together"
                        " this share of the baseline's measured throughput, to the baseline and to the save"
                        " (default: %(default)s, the throughput bar; 0: no paced phase)")
    p.add_argument("--paced-rate", type=float, default=0.0, metavar="REQ_S",
                   help="pace at this many requests a second instead of a share of the baseline: to compare"
                        " server settings at one offered load, whatever their own baseline gives")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    if args.quick:
        args.clients, args.rounds, args.bursts = "100", 1, 1
    args.levels = [int(x) for x in args.clients.split(",") if x.strip()]
    if args.worker_class == "sync":
        args.threads = 1  # gunicorn turns a sync worker with threads into gthread
    return args


# --- database and seeding ----------------------------------------------------------------------

def run(cmd: list[str], env: dict, what: str) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(args, env: dict, participants: int) -> dict:
    import psycopg

    user_host = args.pg
    with psycopg.connect(f"postgresql://{user_host}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    lms = str(BIN / "lms")
    run([lms, "db", "upgrade"], env, "lms db upgrade")
    run([lms, "content", "load", "content/", "--quiet"], env, "lms content load")
    run([lms, "bank", "import", "content/banks/LDR-SUS.gift", "--bank", "LDR", "--programme", "LDR-SUS"], env,
        "lms bank import")
    with psycopg.connect(f"postgresql://{user_host}/{args.db}", autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_baseline (id serial PRIMARY KEY, created_at timestamptz NOT NULL,"
                     " payload json)")
    out = run([sys.executable, "-m", "bench.setup_test_day", str(participants)], env, "seeding")
    return json.loads(out.strip().splitlines()[-1])


# --- servers and /proc -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return [raw[:raw.index(" ")], raw[raw.index("(") + 1:raw.rindex(")")]] + raw[raw.rindex(")") + 2:].split()


def cpu_ticks(pid: int) -> int:
    f = proc_stat(pid)
    return int(f[13]) + int(f[14]) if f else 0  # utime + stime


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


class Gunicorn:
    def __init__(self, name: str, module: str, args, env: dict, logdir: Path):
        self.name, self.port = name, free_port()
        self.log = open(logdir / f"{name}.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-k", args.worker_class, "-w", str(args.workers), "--threads", str(args.threads),
             "-b", f"127.0.0.1:{self.port}", "--backlog", "2048", "--keep-alive", "30", "--reuse-port",
             "--graceful-timeout", "5", "--log-level", "warning", module],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                sys.exit(f"{self.name} server exited; see its log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1.1"):
                        return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"{self.name} server did not answer in {timeout} s")

    def workers(self) -> list[int]:
        return [pid for pid in all_pids() if (f := proc_stat(pid)) and int(f[3]) == self.process.pid]

    def cpu(self) -> int:
        return sum(cpu_ticks(pid) for pid in self.workers())

    def rss(self) -> list[float]:
        return [rss_mb(pid) for pid in self.workers()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def postgres_pids() -> list[int]:
    return [pid for pid in all_pids() if (f := proc_stat(pid)) and f[1] == "postgres"]


# --- the load client -----------------------------------------------------------------------------

@dataclass
class Job:
    """One request: label (the route in the table), method, path, token, JSON body, and a tag
    naming the participant (its start answer is turned into the answers to save)."""

    label: str
    method: str
    path: str
    token: str | None = None
    body: bytes = b""
    tag: int | None = None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    sql: list[int] = field(default_factory=list)
    pids: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def answer_for(slot: dict, rng: random.Random) -> dict:
    """Some answer of the right shape for a slot as the API shows it (right or wrong alike)."""
    kind = slot["type"]
    options = slot.get("options") or []
    if kind == "single":
        return {"choice": rng.choice(options)["value"]}
    if kind == "multiple":
        return {"choices": [o["value"] for o in rng.sample(options, k=min(2, len(options)))]}
    if kind == "truefalse":
        return {"value": rng.random() < 0.5}
    if kind == "matching":
        return {"pairs": {q["value"]: rng.choice(slot["answers"]) for q in slot["questions"]}}
    if kind == "numerical":
        return {"value": rng.randint(0, 100)}
    return {"text": "жауап"}  # short, essay


async def _open(host: str, port: int):
    reader, writer = await asyncio.open_connection(host, port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def _exchange(conn, host: str, job: Job):
    reader, writer = conn
    head = [f"{job.method} {job.path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
            f"Content-Length: {len(job.body)}"]
    if job.token:
        head.append(f"Authorization: Bearer {job.token}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + job.body)
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, sql, pid, close = 0, None, None, False
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"x-sql-statements":
            sql = int(value)
        elif key == b"x-bench-pid":
            pid = value.strip().decode()
        elif key == b"connection" and value.strip().lower() == b"close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, sql, pid, close, body


async def _client(host, port, conn, jobs: list[Job], stats: dict, attempts: dict, rng: random.Random,
                  think: float = 0.0, pace: float = 0.0):
    """Closed loop (the next request when the last is answered, after `think` if given), or
    paced: one request every `pace` seconds from a random phase, the latency counted from
    the time it was due, so a request sent late because the last one was slow counts its
    wait (no coordinated omission)."""
    due = time.perf_counter() + rng.uniform(0, pace)
    for job in jobs:
        if pace:
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        elif think and job.label in ("save", "baseline"):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        for retry in range(3):
            if conn is None:
                conn = await _open(host, port)
            t0 = due if pace else time.perf_counter()
            try:
                status, sql, pid, close, body = await _exchange(conn, host, job)
            except (asyncio.IncompleteReadError, ConnectionError):
                conn[1].close()
                conn = None  # the server closed an idle keep-alive connection: open another, send again
                if retry == 2:
                    raise
                continue
            ms = (time.perf_counter() - t0) * 1000
            break
        due += pace
        s = stats.setdefault(job.label, Stats())
        s.latencies.append(ms)
        s.statuses[status] += 1
        if sql is not None:
            s.sql.append(sql)
        if pid:
            s.pids[pid] += 1
        if status >= 300 and len(s.errors) < 5:
            s.errors.append(f"{job.method} {job.path}: {status} {body[:200]!r}")
        if job.label == "start" and status < 300:
            attempt = json.loads(body)
            attempts[job.tag] = (attempt["id"], [(slot["slot"], json.dumps(
                {"answer": answer_for(slot, rng)}).encode()) for slot in attempt["slots"]])
        if close:
            conn[1].close()
            conn = None
    if conn is not None:
        conn[1].close()


def _client_process(host, port, clients: list[list[Job]], barrier, queue, seed: int, think: float,
                    pace: float) -> None:
    try:
        try:  # the clients stand for browsers on other machines: their own scheduling delays on
            os.nice(-10)  # this shared CPU should not be counted as the server's latency
        except PermissionError:
            pass
        rng = random.Random(seed)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        conns = loop.run_until_complete(asyncio.gather(*[_open(host, port) for _ in clients]))
        stats: dict[str, Stats] = {}
        attempts: dict = {}
        barrier.wait(timeout=120)
        cpu0, t0 = os.times(), time.monotonic()
        loop.run_until_complete(asyncio.gather(*[_client(host, port, c, jobs, stats, attempts, rng, think, pace)
                                                 for c, jobs in zip(conns, clients)]))
        t1, cpu1 = time.monotonic(), os.times()
        loop.close()
        queue.put({"t0": t0, "t1": t1, "cpu": (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system),
                   "stats": {k: vars(v) for k, v in stats.items()}, "attempts": attempts})
    except BaseException as exc:  # told to the parent, which stops the run naming it
        import traceback

        queue.put({"error": "".join(traceback.format_exception(exc))})


@dataclass
class Phase:
    label: str
    clients: int
    requests: int
    seconds: float
    latencies: list[float]
    statuses: Counter
    sql: list[int]
    pids: Counter
    errors: list[str]
    cpu: dict
    rss: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, int(round(q / 100 * len(xs))) - 1))] if xs else 0.0

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 300)


class Machine:
    """CPU shares of a phase: app workers, baseline workers, PostgreSQL, the client, the rest."""

    def __init__(self, servers: dict[str, Gunicorn]):
        self.servers = servers

    def snapshot(self) -> dict:
        busy, total = machine_ticks()
        return {"busy": busy, "total": total, "pg": sum(cpu_ticks(p) for p in postgres_pids()),
                **{name: s.cpu() for name, s in self.servers.items()}}

    @staticmethod
    def shares(a: dict, b: dict, client_seconds: float) -> dict:
        total = b["total"] - a["total"] or 1
        out = {k: 100 * (b[k] - a[k]) / total for k in a if k not in ("busy", "total")}
        out["client"] = 100 * client_seconds * HZ / total
        out["other"] = max(0.0, 100 * (b["busy"] - a["busy"]) / total - sum(out.values()))
        out["idle"] = 100 - 100 * (b["busy"] - a["busy"]) / total
        return out


THINK = 0.0  # seconds; set from --think


def run_phase(label: str, port: int, clients: list[list[Job]], procs: int, machine: Machine,
              attempts_out: dict | None = None, pace: float = 0.0) -> Phase:
    ctx = get_context("fork")
    procs = max(1, min(procs, len(clients)))
    barrier, queue = ctx.Barrier(procs), ctx.Queue()
    shares = [clients[k::procs] for k in range(procs)]
    children = [ctx.Process(target=_client_process,
                            args=("127.0.0.1", port, share, barrier, queue, k, 0.0 if pace else THINK, pace))
                for k, share in enumerate(shares)]
    for c in children:
        c.start()
    before = machine.snapshot()
    results = [queue.get(timeout=1800) for _ in children]
    after = machine.snapshot()
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        sys.exit(f"a client process of phase {label} failed:\n{failed[0]}")
    for c in children:
        c.join()
        if c.exitcode != 0:
            sys.exit(f"a client process of phase {label} failed (exit {c.exitcode})")
    stats = Stats()
    for r in results:
        for s in r["stats"].values():
            stats.latencies += s["latencies"]
            stats.statuses.update(s["statuses"])
            stats.sql += s["sql"]
            stats.pids.update(s["pids"])
            stats.errors += s["errors"]
        if attempts_out is not None:
            attempts_out.update(r["attempts"])
    seconds = max(r["t1"] for r in results) - min(r["t0"] for r in results)
    return Phase(label, len(clients), len(stats.latencies), seconds, stats.latencies, stats.statuses, stats.sql,
                 stats.pids, stats.errors[:5], Machine.shares(before, after, sum(r["cpu"] for r in results)))


def merge(phases: list[Phase]) -> Phase:
    """Bursts of one route as one phase: their requests over their summed durations."""
    seconds = sum(p.seconds for p in phases)
    cpu = {k: sum(p.cpu[k] * p.seconds for p in phases) / (seconds or 1) for k in phases[0].cpu}
    out = Phase(phases[0].label, phases[0].clients, 0, seconds, [], Counter(), [], Counter(), [], cpu)
    for p in phases:
        out.requests += p.requests
        out.latencies += p.latencies
        out.statuses.update(p.statuses)
        out.sql += p.sql
        out.pids.update(p.pids)
        out.errors += p.errors[:5 - len(out.errors)]
    return out


# --- the day -------------------------------------------------------------------------------------

def day_jobs(test_id: int, tokens: list[str], clients: int, rounds: int, offset: int):
    """Participants offset .. offset+clients*rounds: client c takes c, c+clients, ..."""
    mine = [[offset + c + r * clients for r in range(rounds)] for c in range(clients)]
    start = [[Job("start", "POST", f"/api/v1/tests/{test_id}/attempts", tokens[p], tag=p) for p in ps] for ps in mine]
    return mine, start


def save_jobs(mine, tokens, attempts):
    out = []
    for ps in mine:
        jobs = []
        for p in ps:
            attempt_id, answers = attempts[p]
            jobs += [Job("save", "PUT", f"/api/v1/attempts/{attempt_id}/answers/{slot}", tokens[p], body)
                     for slot, body in answers]
        out.append(jobs)
    return out


def submit_jobs(mine, tokens, attempts):
    return [[Job("submit", "POST", f"/api/v1/attempts/{attempts[p][0]}/submit", tokens[p]) for p in ps]
            for ps in mine]


def baseline_jobs(clients: int, per_client: int):
    body = json.dumps({"answer": {"choice": 1}}).encode()
    return [[Job("baseline", "PUT", "/baseline", body=body) for _ in range(per_client)] for _ in range(clients)]


def fmt_row(p: Phase, base: Phase | None) -> str:
    ratio = f"{p.rps / base.rps:5.2f}" if base and base.rps else "    -"
    sql = (f"{sum(p.sql) / len(p.sql):5.2f} (max {max(p.sql)})" if p.sql else "-").ljust(14)
    rss = f"{max(p.rss):5.0f} / {sum(p.rss):4.0f}" if p.rss else "-"
    c = p.cpu
    cpu = (f"app {c.get('app', 0):3.0f} base {c.get('baseline', 0):3.0f} pg {c['pg']:3.0f}"
           f" client {c['client']:3.0f} other {c['other']:3.0f} idle {c['idle']:3.0f}")
    return (f"{p.label:<9}{p.clients:>7}{p.requests:>9}{p.failed:>6}{p.rps:>9.0f}{p.pct(50):>8.1f}"
            f"{p.pct(95):>8.1f}{p.pct(99):>8.1f}{ratio:>8}  {sql} {rss:>12}   {cpu}")


HEADER = (f"{'route':<9}{'clients':>7}{'requests':>9}{'fail':>6}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'p99 ms':>8}{'÷ base':>8}  {'SQL/request':<14} {'RSS MB max/Σ':>12}   CPU % of {CORES} cores")


def main(argv=None) -> int:
    global THINK
    args = parse_args(argv)
    THINK = args.think / 1000
    participants = sum(args.levels) * args.rounds
    warm = 2 * args.workers * args.threads
    # two runs on one database would drop it under each other: the second one waits its turn
    lock = open(Path(tempfile.gettempdir()) / f"ustaz-bench-{args.db}.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"# another run uses database {args.db}: waiting for it to finish", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    instance = Path(tempfile.mkdtemp(prefix="ustaz-bench-"))
    url = f"postgresql+psycopg://{args.pg}/{args.db}"
    env = {**os.environ, "LMS_DATABASE_URL": url, "LMS_INSTANCE_DIR": str(instance),
           "LMS_FILES_DIR": str(instance / "files"), "LMS_SECRET_KEY": "bench", "BENCH_COUNT_SQL": "1",
           "PYTHONPATH": str(ROOT)}
    for k in ("LMS_PLUGINS", "LMS_REDIS_URL", "BENCH_SQL_LOG"):
        env.pop(k, None)

    print(f"# final test day: {CORES} cores, {os.uname().release}, Python {sys.version.split()[0]}; "
          f"gunicorn {args.worker_class} {args.workers} workers x {args.threads} threads; clients {args.levels},"
          f" {args.rounds} participant(s) per client; {args.client_procs} client processes"
          + (f"; {args.think:g} ms pause after each answer" if args.think else ""), flush=True)
    t = time.monotonic()
    seed = prepare(args, env, participants + warm)
    tokens, test_id = seed["tokens"], seed["test_id"]
    print(f"# database {args.db}: migrated, programmes loaded, LDR bank imported, test {test_id},"
          f" {len(tokens)} participants with tokens ({time.monotonic() - t:.0f} s)", flush=True)

    servers = {"app": Gunicorn("app", "bench.app_wsgi:app", args, env, instance),
               "baseline": Gunicorn("baseline", "bench.baseline_app:app", args, env, instance)}
    results: list[Phase] = []
    try:
        servers["app"].wait_ready("/api/v1/openapi.json")
        servers["baseline"].wait_ready("/baseline")
        machine = Machine(servers)
        app_port, base_port = servers["app"].port, servers["baseline"].port

        # warm-up: every worker imports, connects and compiles its statements before any figure counts
        attempts: dict = {}
        mine, start = day_jobs(test_id, tokens, warm, 1, participants)
        run_phase("start", app_port, start, args.client_procs, machine, attempts)
        run_phase("save", app_port, save_jobs(mine, tokens, attempts), args.client_procs, machine)
        run_phase("submit", app_port, submit_jobs(mine, tokens, attempts), args.client_procs, machine)
        run_phase("baseline", base_port, baseline_jobs(warm, 50), args.client_procs, machine)

        print(HEADER, flush=True)
        offset = 0
        for n in args.levels:
            attempts = {}
            mine, start = day_jobs(test_id, tokens, n, args.rounds, offset)
            offset += n * args.rounds
            first = run_phase("start", app_port, start, args.client_procs, machine, attempts)
            missing = [p for ps in mine for p in ps if p not in attempts]
            if missing:
                sys.exit(f"{len(missing)} participants could not start: {first.errors}")
            # the baseline and the saves alternate in bursts, so that both meet the same machine;
            # the first burst writes every answer, the later ones write them again
            bases, saves = [], []
            for _burst in range(args.bursts):
                bases.append(run_phase("baseline", base_port, baseline_jobs(n, ITEMS * args.rounds),
                                       args.client_procs, machine))
                saves.append(run_phase("save", app_port, save_jobs(mine, tokens, attempts), args.client_procs,
                                       machine))
            base, save = merge(bases), merge(saves)
            paced = []
            if (args.paced_share > 0 or args.paced_rate > 0) and not args.think:
                # the same clients, each sending on a schedule, together offering a fixed rate
                rate = args.paced_rate or args.paced_share * base.rps
                period = n / rate
                tag = f"@{rate:.0f}/s" if args.paced_rate else f"@{args.paced_share:.0%}"
                paced = [run_phase("base" + tag, base_port, baseline_jobs(n, ITEMS * args.rounds), args.client_procs,
                                   machine, pace=period),
                         run_phase("save" + tag, app_port, save_jobs(mine, tokens, attempts), args.client_procs,
                                   machine, pace=period)]
            last = run_phase("submit", app_port, submit_jobs(mine, tokens, attempts), args.client_procs, machine)
            base.rss = servers["baseline"].rss()
            rss = servers["app"].rss()
            print(fmt_row(base, None), flush=True)
            for p in (first, save, *paced, last):
                p.rss = base.rss if p.label.startswith("base") else rss
                print(fmt_row(p, base), flush=True)
            if args.bursts > 1:
                print("  bursts (req/s): baseline " + " ".join(f"{b.rps:.0f}" for b in bases) +
                      "; save " + " ".join(f"{b.rps:.0f}" for b in saves) +
                      "; save / the baseline burst before it " +
                      " ".join(f"{s.rps / b.rps:.2f}" for b, s in zip(bases, saves)), flush=True)
            results += [base, first, save, *paced, last]
            for p in (base, first, save, *paced, last):
                for e in p.errors:
                    print(f"  ! {p.label}: {e}", flush=True)
            busy = max(p.cpu["other"] for p in (*bases, *saves, *paced, first, last))
            if busy > 10:
                print(f"  ! other processes took up to {busy:.0f} % of the CPU during these phases:"
                      " the figures are disturbed; run again on a quiet machine", flush=True)
    except BaseException:
        print(f"# the servers' logs are kept in {instance}", flush=True)
        raise
    finally:
        for s in servers.values():
            s.stop()
    shutil.rmtree(instance, ignore_errors=True)

    print()
    saves = [p for p in results if p.label == "save"]
    bases = {p.clients: p for p in results if p.label == "baseline"}
    for p in saves:
        b = bases[p.clients]
        per_worker = ", ".join(f"{n * 100 / p.requests:.0f} %" for _pid, n in p.pids.most_common())
        print(f"# {p.clients:>3} clients: save {p.rps:.0f} req/s = {p.rps / b.rps:.0%} of baseline {b.rps:.0f};"
              f" p95 {p.pct(95):.0f} ms; SQL/save max {max(p.sql) if p.sql else '?'}; saves per worker {per_worker}")
    at100 = next((p for p in saves if p.clients == 100), None)
    paced100 = next((p for p in results if p.label.startswith("save@") and p.clients == 100), None)
    for p in (p for p in results if p.label.startswith("save@")):
        b = next(q for q in results if q.label == "base" + p.label[4:] and q.clients == p.clients)
        offer = p.label[5:] + ("" if args.paced_rate else " of the baseline's throughput")
        print(f"# {p.clients:>3} clients offering {offer} ({p.rps:.0f} req/s):"
              f" save p95 {p.pct(95):.0f} ms, baseline p95 {b.pct(95):.0f} ms")
    if at100 is not None:
        # in a closed loop without pauses the server is saturated and the mean latency is
        # clients / throughput (Little's law): reported, and judged on the paced phase
        print(f"# 100 clients in a closed loop (saturated): save p95 {at100.pct(95):.0f} ms, baseline p95"
              f" {bases[100].pct(95):.0f} ms; at saturation latency only restates throughput")
    offer = f"{args.paced_rate:.0f} req/s" if args.paced_rate else f"{args.paced_share:.0%} of the baseline's throughput"
    p95_bar = (f"save p95 < 150 ms at 100 clients offering {offer}"
               if paced100 is not None else "save p95 < 150 ms at 100 clients")
    bars = [("save >= 60 % of baseline throughput", all(p.rps >= 0.6 * bases[p.clients].rps for p in saves)),
            (p95_bar, (paced100 or at100) is not None and (paced100 or at100).pct(95) < 150),
            ("<= 4 SQL statements per save", all(p.sql and max(p.sql) <= 4 for p in saves)),
            ("no failed request", all(p.failed == 0 for p in results))]
    if args.think:
        # paced clients offer less than the server can take: throughput follows the offer
        bars = [(name, ok) for name, ok in bars if "baseline" not in name]
        print("# with --think the throughputs are the load offered, not the server's: the ratio to the"
              " baseline is judged on a closed-loop run")
    for name, ok in bars:
        print(f"# {'PASS' if ok else 'FAIL'}  {name}" + ("" if at100 or "100" not in name else " (not run)"))
    if args.json:
        args.json.write_text(json.dumps([{
            "route": p.label, "clients": p.clients, "requests": p.requests, "failed": p.failed,
            "seconds": round(p.seconds, 3), "rps": round(p.rps, 1), "p50_ms": round(p.pct(50), 1),
            "p95_ms": round(p.pct(95), 1), "p99_ms": round(p.pct(99), 1),
            "sql_mean": round(sum(p.sql) / len(p.sql), 2) if p.sql else None, "sql_max": max(p.sql, default=None),
            "rss_mb": [round(r) for r in p.rss], "cpu_percent": {k: round(v, 1) for k, v in p.cpu.items()}}
            for p in results], indent=1))
    return 0 if all(ok for _n, ok in bars) else 1


if __name__ == "__main__":
    sys.exit(main())
