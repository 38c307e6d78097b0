"""Reminders: the outbox queues once per key and delivers to files or over SMTP; `lms postcourse
remind` tells each graduate once per (activity, kind) in their language, sums up for the
cohort's trainer or curator, and a second run sends nothing twice."""
import email
import socketserver
import threading
from datetime import date
from email import policy

import pytest
from sqlalchemy import func, select

from lms.core.models import OutboxMessage, User
from lms.core.services import clock, mail
from lms.core.services.errors import ServiceError
from lms.courses.services import cohorts
from lms.db import db
from lms.postcourse.models import SupportPlan
from lms.postcourse.services import plans, reminders
from tests.postcourse.plan_helpers import at, complete_all, enrolments


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    return tmp_path / "outbox"


def _count(**where):
    stmt = select(func.count()).select_from(OutboxMessage)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, name) == value)
    return db.session.scalar(stmt)


# --- the outbox -----------------------------------------------------------------------------------------

def test_queue_is_idempotent_on_its_key_and_refuses_bad_addresses(db_session):
    first = mail.queue("test:one", "a@test.kz", "Тақырып", "Мәтін")
    assert first is not None and first.sent_at is None
    assert mail.queue("test:one", "b@test.kz", "Other", "Other") is None
    assert _count() == 1 and db_session.get(OutboxMessage, first.id).to_email == "a@test.kz"
    for key, to in [("", "a@test.kz"), ("k" * 201, "a@test.kz"), ("test:two", "not-an-address"),
                    ("test:two", "a@test.kz, b@test.kz"), ("test:two", "a@test.kz\nBcc: x@test.kz")]:
        with pytest.raises(ServiceError):
            mail.queue(key, to, "s", "b")
    assert _count() == 1


def test_deliver_writes_eml_files_without_a_mail_server(app, db_session, outbox):
    with app.app_context():
        m = mail.queue("test:file", "graduate@test.kz", "Қолдау жоспары", "Сәлеметсіз бе!\nЖоспарыңыз дайын.")
        assert mail.deliver(10) == 1
        assert m.sent_at is not None and m.attempts == 1
        parsed = email.message_from_bytes((outbox / f"{m.id}.eml").read_bytes(), policy=policy.default)
        assert parsed["To"] == "graduate@test.kz" and parsed["Subject"] == "Қолдау жоспары"
        assert "Жоспарыңыз дайын." in parsed.get_content()
        assert mail.deliver(10) == 0  # nothing is sent twice
        db_session.commit()
    assert len(list(outbox.glob("*.eml"))) == 1


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.received.append(b"".join(lines))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_deliver_sends_over_smtp_when_a_host_is_configured(app, db_session, outbox, smtp_server, monkeypatch):
    config = app.config["LMS"]
    monkeypatch.setattr(config, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(config, "smtp_port", smtp_server.server_address[1])
    monkeypatch.setattr(config, "smtp_sender", "ustaz@orleu.kz")
    with app.app_context():
        mail.queue("test:smtp:1", "one@test.kz", "Бірінші", "Бір")
        mail.queue("test:smtp:2", "two@test.kz", "Екінші", "Екі")
        assert mail.deliver(10) == 2
        assert _count(sent_at=None) == 0
        db_session.commit()
    assert len(smtp_server.received) == 2
    parsed = email.message_from_bytes(smtp_server.received[0], policy=policy.default)
    assert (parsed["From"], parsed["To"], parsed["Subject"]) == ("ustaz@orleu.kz", "one@test.kz", "Бірінші")
    assert not outbox.exists()


def test_an_unreachable_server_keeps_the_message_for_the_next_run(app, db_session, outbox, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(app.config["LMS"], "smtp_host", "127.0.0.1")
    monkeypatch.setattr(app.config["LMS"], "smtp_port", port)
    with app.app_context():
        m = mail.queue("test:down", "one@test.kz", "s", "b")
        assert mail.deliver(10) == 0
        assert m.sent_at is None and m.attempts == 1 and "cannot reach 127.0.0.1" in m.last_error
        db_session.commit()


# --- `lms postcourse remind` --------------------------------------------------------------------------------

@pytest.fixture
def due(make, db_session):
    """A TCH-SUS cohort of three completed on 2027-03-01 (the trajectory plan is due 2027-03-31;
    participant 2 reads Russian, participant 3 withdrew after completing), with a trainer; an
    LDR-SUS cohort of one with a curator and a trainer, a seminar due 2027-06-30."""
    trainer = make.user(email="rm-trainer@test.kz", full_name="Тренер Бір")
    tch = make.cohort(code="RM-TCH", programme="TCH-SUS", participants=3, trainer=trainer)
    people = enrolments(tch)
    people[1].user.language = "ru"
    complete_all(tch, date(2027, 3, 1))
    people[2].status = "withdrawn"
    curator = make.user(email="rm-curator@test.kz", full_name="Куратор", language="ru")
    ldr = make.cohort(code="RM-LDR", programme="LDR-SUS", participants=1, trainer=trainer)
    cohorts.assign_staff(ldr, curator, "curator", None)
    (ldr_plan,) = complete_all(ldr, date(2027, 3, 1))
    with clock.frozen(at(date(2027, 3, 2))):
        plans.add_activity(ldr_plan, {"activity_type": "seminar"}, curator)
    db_session.commit()
    return tch, ldr, trainer, curator


def _messages(prefix: str = "postcourse:"):
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like(prefix + "%"))
                                   .order_by(OutboxMessage.id)))


def test_remind_tells_each_graduate_once_in_their_language(runner, due, outbox, db_session):
    tch, ldr, trainer, curator = due
    with clock.frozen(at(date(2027, 3, 26), 8)):
        first = runner.invoke(args=["postcourse", "remind"])
        assert first.exit_code == 0, first.output
        assert "queued 2 reminder(s) to graduates and 1 summary(ies) to staff; delivered 3 message(s)" in first.output
        again = runner.invoke(args=["postcourse", "remind"])
        assert "queued 0 reminder(s) to graduates and 0 summary(ies) to staff; delivered 0 message(s)" in again.output
    graduate_messages = _messages("postcourse:activity:")
    assert [m.to_email for m in graduate_messages] == ["rm-tch-p01@test.kz", "rm-tch-p02@test.kz"]
    kk, ru = graduate_messages
    assert "Курстан кейінгі тәжірибеде" in kk.subject and "2027-03-31" in kk.subject  # the menu's Kazakh title
    assert "Индивидуальный план траектории" in ru.subject  # and its Russian one
    assert "/cohorts/RM-TCH/me/support" in kk.body
    (summary,) = _messages("postcourse:summary:")
    assert summary.to_email == trainer.email and "Қатысушы 01" in summary.body and "Қатысушы 02" in summary.body
    assert len(list(outbox.glob("*.eml"))) == 3 and _count(sent_at=None) == 0

    # five days later the plan is overdue: one more reminder each, as overdue; then nothing
    with clock.frozen(at(date(2027, 4, 2), 8)):
        assert "queued 2 reminder(s)" in runner.invoke(args=["postcourse", "remind"]).output
        assert "queued 0 reminder(s)" in runner.invoke(args=["postcourse", "remind"]).output
    keys = [m.key for m in _messages("postcourse:activity:")]
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["due_soon", "due_soon", "overdue", "overdue"]
    assert len(list(outbox.glob("*.eml"))) == 6


def test_done_and_closed_are_not_reminded_and_the_curator_gets_the_summary(due, app, outbox, db_session):
    tch, ldr, trainer, curator = due
    tch_plans = db_session.scalars(select(SupportPlan).join(SupportPlan.activities).where(
        SupportPlan.model_code == "TCH-SUS").order_by(SupportPlan.id)).unique().all()
    with app.app_context(), clock.frozen(at(date(2027, 6, 25), 8)):
        plans.mark_activity(tch_plans[0], tch_plans[0].activities[0], "done", trainer, date(2027, 3, 20))
        plans.close_plan(tch_plans[1], trainer)
        report = reminders.remind()
        assert (report.graduates, report.staff) == (1, 1)  # only LDR-SUS's seminar, due 2027-06-30
        (to_graduate,) = _messages("postcourse:activity:")
        assert to_graduate.to_email == "rm-ldr-p01@test.kz"
        (summary,) = _messages("postcourse:summary:")
        assert summary.to_email == curator.email  # LDR-SUS is supported by the group curator
        assert reminders.remind().graduates == 0
        db_session.rollback()


def test_a_graduate_or_supporter_who_turned_the_kind_off_is_not_reminded(runner, due, outbox, db_session):
    tch, ldr, trainer, curator = due
    quiet = db_session.scalar(select(User).where(User.email == "rm-tch-p02@test.kz"))
    quiet.notices_off = ["postcourse:reminder"]
    db_session.get(User, trainer.id).notices_off = ["postcourse:summary"]
    db_session.commit()
    with clock.frozen(at(date(2027, 3, 26), 8)):
        done = runner.invoke(args=["postcourse", "remind"])
    assert "queued 1 reminder(s) to graduates and 0 summary(ies) to staff" in done.output, done.output
    assert [m.to_email for m in _messages("postcourse:activity:")] == ["rm-tch-p01@test.kz"]
