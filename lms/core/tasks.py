"""Scheduled tasks on RQ (DESIGN §5: Redis carries the background job queue).

Each plugin declares its own tasks (`Plugin.tasks`), as a Moodle plugin does in db/tasks.php:
the quiz sweep every minute, the post-course reminders once a day; the core's is the nightly
backup. `lms scheduler` enqueues
each when it is due (RQ's CronScheduler) and `lms worker` runs them, in the application's
context, one at a time. Where there is no Redis, cron running the same CLI commands
(`lms quiz sweep`, `lms postcourse remind`, `lms backup`) does the same work: every task is safe to run
twice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import click
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.db import db

#: the one queue: a few short database tasks do not need priorities
QUEUE = "lms"


@dataclass(frozen=True)
class ScheduledTask:
    """A plugin's recurring task: `run` takes no argument and returns a short report."""

    name: str
    run: Callable[[], object]
    #: every this many seconds, or at the times of `cron` (crontab, UTC)
    interval: int | None = None
    cron: str | None = None


def _nightly_backup():
    from lms.core.services import backup

    return backup.nightly()


def _deliver_mail():
    from lms.core.services import mail

    return mail.deliver_all()


#: the core's own: the site's backup, nightly at 02:15 UTC (Almaty 07:15, before the day's work),
#: and the outbox every five minutes (what a page queued and could not send, what SMTP refused)
CORE_TASKS = [ScheduledTask("site-backup", _nightly_backup, cron="15 2 * * *"),
              ScheduledTask("mail-deliver", _deliver_mail, interval=300)]


def scheduled_tasks(app=None) -> dict[str, ScheduledTask]:
    """The core's and the enabled plugins' tasks, by name."""
    app = app or current_app
    plugin_tasks = [t for plugin in app.extensions["lms_plugins"].values() for t in plugin.tasks]
    return {t.name: t for t in CORE_TASKS + plugin_tasks}


def run_task(name: str) -> object:
    """What the worker runs (the job's function): one task, committed, or rolled back whole."""
    task = scheduled_tasks().get(name)
    if task is None:
        raise LookupError(f"no scheduled task {name!r} (its plugin is not enabled here)")
    try:
        report = task.run()
        db.session.commit()
        return report
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def enqueue(name: str):
    """Run one task now, on the worker (an administrator's "back up now")."""
    from redis.exceptions import RedisError
    from rq import Queue

    from lms.core.services.errors import ServiceError

    if name not in scheduled_tasks():
        raise LookupError(f"no scheduled task {name!r}")
    try:
        return Queue(QUEUE, connection=connection()).enqueue(run_task, name)
    except RedisError as exc:
        raise ServiceError(_l("the task queue (Redis) did not answer: %(error)s", error=str(exc))) from None


def connection():
    """Redis from LMS_REDIS_URL; the scheduler and the worker need it."""
    from redis import Redis

    url = current_app.config["LMS"].redis_url
    if not url:
        raise click.ClickException("set LMS_REDIS_URL (e.g. redis://127.0.0.1:6379/0): the task queue lives in Redis")
    return Redis.from_url(url)


def scheduler(redis, app=None):
    """RQ's CronScheduler with every enabled task registered on the queue."""
    from rq.cron import CronScheduler

    cron = CronScheduler(connection=redis, name="lms")
    for task in scheduled_tasks(app).values():
        cron.register(run_task, QUEUE, args=(task.name,), interval=task.interval, cron=task.cron, name=task.name)
    return cron


def worker(redis):
    """A worker that runs jobs in this process, inside the CLI's application context (no fork:
    the tasks are short, and the engine's pooled connections stay in one process)."""
    from rq import Queue, SimpleWorker

    return SimpleWorker([Queue(QUEUE, connection=redis)], connection=redis)
