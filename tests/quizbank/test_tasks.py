"""Scheduled tasks on RQ with a real Redis (DESIGN §5): the scheduler queues the quiz sweep
(every minute) but not the daily reminders before their hour, the worker runs it in the
application and the overdue attempt is finished; without LMS_REDIS_URL the commands say so."""
import pytest
from redis import Redis
from rq import Queue

from lms.core import tasks
from lms.quizbank.models import Attempt
from tests.quizbank.test_attempts import overdue_attempt, quiz  # noqa: F401 - the fixture

#: a database of its own on the machine's Redis, emptied by each test
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis():
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_the_scheduler_queues_the_sweep_and_the_worker_finishes_the_overdue_attempt(
        app, quiz, db_session, redis):  # noqa: F811
    attempt_id = overdue_attempt(quiz, db_session)

    cron = tasks.scheduler(redis, app)
    assert {job.name: (job.interval, job.cron) for job in cron.get_jobs()} == {
        "site-backup": (None, "15 2 * * *"), "mail-deliver": (300, None), "quiz-sweep": (60, None),
        "quiz-remind": (None, "0 3 * * *"), "postcourse-remind": (None, "0 3 * * *"),
        "portfolio-remind-due": (None, "0 3 * * *"), "community-digest": (None, "0 3 * * *"),
        "selfstudy-remind": (None, "0 3 * * *"), "portfolio-notify-lapsed": (None, "0 3 * * *"),
        "xapi-send": (None, "*/10 * * * *")}
    cron.enqueue_jobs()
    queue = Queue(tasks.QUEUE, connection=redis)
    # the tasks that repeat start at once; the reminders wait for 03:00 UTC
    assert sorted(job.args for job in queue.get_jobs()) == [("mail-deliver",), ("quiz-sweep",)]

    with app.app_context():
        tasks.worker(redis).work(burst=True)
    db_session.expire_all()
    assert db_session.get(Attempt, attempt_id).status == "finished"
    returns = {job.args: job.return_value() for job in map(queue.fetch_job, queue.finished_job_registry.get_job_ids())}
    assert returns == {("quiz-sweep",): "1 overdue attempt(s) finished and graded", ("mail-deliver",): 0}


def test_without_redis_the_worker_and_the_scheduler_say_what_to_set(app, runner):
    assert app.config["LMS"].redis_url is None  # the suite runs without one
    for command in (["worker", "--burst"], ["scheduler", "--once"]):
        result = runner.invoke(args=command)
        assert result.exit_code != 0 and "set LMS_REDIS_URL" in result.output, result.output
