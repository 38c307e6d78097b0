"""Erasing a person's personal data on their request (Moodle's data deletion request, carried
out by the privacy officer; the RK Law on Personal Data lets a person ask for their data to be
destroyed, seed 002 §5).

The account stays as a pseudonym, so that what the centre must keep still adds up: the marks,
test attempts, defenses, hours and gradebook that issued grades and certificates rest on, and
the register of certificates under the name they were issued to. Everything that says who the
person is goes: the name, e-mail, school and position, the password, API tokens and roles, the
e-mails sent to them, and their name and e-mail wherever the audit log's summaries and values
wrote them. What the person wrote or uploaded outside their assessed work goes too: each plugin
names it in its privacy module's `erase(erasure)` (portfolio items, share links, posts, the files
of their support year's evidence...). The whole is one transaction: all of it or nothing; the
file store's bytes that no record holds any more are deleted after the commit."""
from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.core.i18n import language_of
from lms.core.models import ApiToken, AuditEntry, ErasureRequest, OutboxMessage, StoredFile, User
from lms.core.permissions import SYSTEM, capability_holders
from lms.core.services import audit, files, mail
from lms.core.services.errors import Conflict, ServiceError
from lms.db import db, utcnow

#: the name an erased account shows, in the site's two languages (lists, gradebooks, posts)
ERASED_NAME = "Өшірілген / Удалён №{id}"
ERASED_EMAIL = "erased-{id}@erased.invalid"
#: what stands in for a text the person wrote where the record stays (a post in a discussion)
ERASED_TEXT = "—"
REASON_MAX = 500
#: words of an e-mailed record this long or longer are taken out of every e-mail sent to others
#: (shorter ones, a title like "Сабақ жоспары", could be anyone's)
WORDS_MIN = 20


@dataclass
class Erasure:
    """What one erasure has done so far: a plugin's `erase(erasure)` counts what it erased
    (`count`) and hands over the stored files no record of it holds any more (`drop_file`)."""

    user: User
    #: who erases (None: the command line)
    actor: User | None = None
    #: "plugin.what" -> rows erased
    counts: dict[str, int] = field(default_factory=dict)
    dropped: list[StoredFile] = field(default_factory=list)
    #: the dropped files' contents, for `remove_unheld_files` after the commit
    hashes: set[str] = field(default_factory=set)
    #: what the person wrote that a plugin erased (`forget`), and the records it was in
    words: set[str] = field(default_factory=set)
    records: set[tuple[str, str]] = field(default_factory=set)
    mail_keys: set[str] = field(default_factory=set)
    #: the words of records the site e-mailed (`forget` with a mail_key): digests may quote them too
    mailed_words: set[str] = field(default_factory=set)

    def count(self, what: str, n: int) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    def forget(self, record, *texts: str | None, mail_key: str | None = None) -> None:
        """Words the person wrote in `record` (a mapped object or a (type, id) pair, as the audit
        log names it) that the plugin erases: core takes them out of the log's entries about the
        record; with `mail_key` (the site e-mailed the record: the keys of those e-mails begin so)
        out of those e-mails, and, when long enough to be the person's alone, out of any e-mail
        that quoted them (a digest). Without it no e-mail is touched: a link or a short title may
        be anyone's."""
        object_type, object_id = record if isinstance(record, tuple) else (type(record).__name__, record.id)
        self.records.add((object_type, str(object_id)))
        words = {t.strip() for t in texts if isinstance(t, str) and t.strip() and t.strip() != ERASED_TEXT}
        self.words |= words
        if mail_key:
            self.mail_keys.add(mail_key)
            self.mailed_words |= words

    def drop_file(self, stored: StoredFile | None) -> None:
        if stored is not None and stored not in self.dropped:
            self.dropped.append(stored)


# --- requests -------------------------------------------------------------------------------

NOTE_MAX = 2000


def pending_request(user: User) -> ErasureRequest | None:
    return db.session.scalar(select(ErasureRequest).where(ErasureRequest.user_id == user.id,
                                                          ErasureRequest.status == "pending"))


def latest_request(user: User) -> ErasureRequest | None:
    return db.session.scalar(select(ErasureRequest).where(ErasureRequest.user_id == user.id)
                             .order_by(ErasureRequest.asked_at.desc(), ErasureRequest.id.desc()).limit(1))


def ask(user: User, note: str | None) -> ErasureRequest:
    """The person's own request; each administrator who may erase is told by e-mail."""
    if user.erased_at is not None:
        raise Conflict(_l("this account's personal data was already erased"))
    waiting = pending_request(user)
    if waiting is not None:
        raise Conflict(_l("you asked already, on %(date)s; an administrator has not answered yet",
                          date=waiting.asked_at.date().isoformat()))
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise ServiceError(_l("the note is longer than %(n)s characters", n=NOTE_MAX), field="note")
    request = ErasureRequest(user_id=user.id, note=note, asked_at=utcnow())
    db.session.add(request)
    db.session.flush()
    audit.record(user, "erasure_requested", request, f"#{user.id}")
    for officer in capability_holders("core:erase_personal_data", SYSTEM):
        if officer.id == user.id:
            continue  # another administrator answers an administrator's request
        with force_locale(language_of(officer)):
            mail.queue(f"erasure-request:{request.id}:{officer.id}", officer.email,
                       _("A request to erase personal data"),
                       mail.letter(officer, _("%(name)s (%(email)s) asks for their personal data to be erased.",
                                              name=user.full_name, email=user.email),
                                   _("Their account: %(url)s", url=mail.link(f"/admin/users/{user.id}"))))
    return request


def withdraw(request: ErasureRequest, user: User) -> None:
    if request.user_id != user.id or request.status != "pending":
        raise Conflict(_l("this request is no longer waiting"))
    request.status, request.decided_at = "withdrawn", utcnow()
    audit.record(user, "erasure_request_withdrawn", request, f"#{user.id}")


def refuse(request: ErasureRequest, actor, answer: str) -> None:
    """An administrator refuses, saying why (the person reads it on their profile and by e-mail)."""
    if request.status != "pending":
        raise Conflict(_l("this request is no longer waiting"))
    answer = (answer or "").strip()
    if not answer:
        raise ServiceError(_l("say why, for the person to read"), field="answer")
    if len(answer) > NOTE_MAX:
        raise ServiceError(_l("the answer is longer than %(n)s characters", n=NOTE_MAX), field="answer")
    request.status, request.decided_at, request.answer = "refused", utcnow(), answer
    request.decided_by_id = getattr(actor, "id", None)
    audit.record(actor, "erasure_request_refused", request, f"#{request.user_id}")
    user = request.user
    with force_locale(language_of(user)):
        mail.queue(f"erasure-refused:{request.id}", user.email, _("Your request to erase your data"),
                   mail.letter(user, _("Your request of %(date)s to erase your personal data was not carried out.",
                                       date=request.asked_at.date().isoformat()), answer,
                               _("Your profile: %(url)s", url=mail.link("/profile"))))


def requests_page(page: int, per_page: int = 25):
    """Waiting requests first (oldest first), then the answered ones, newest first."""
    from lms.core.pagination import paginate

    stmt = (select(ErasureRequest).options(selectinload(ErasureRequest.user))
            .order_by((ErasureRequest.status != "pending"), case((ErasureRequest.status == "pending",
                                                                  ErasureRequest.asked_at)),
                      ErasureRequest.asked_at.desc(), ErasureRequest.id.desc()))
    return paginate(stmt, page, per_page)


def waiting_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ErasureRequest)
                             .where(ErasureRequest.status == "pending"))


# --- erasing --------------------------------------------------------------------------------

def erasers():
    """(plugin, erase) for each enabled plugin whose privacy module erases something."""
    found = []
    for name, module in current_app.extensions["lms_privacy"].items():
        erase = getattr(importlib.import_module(module), "erase", None)
        if erase is not None:
            found.append((name, erase))
    return found


def check(user: User, actor, reason: str) -> str:
    """Refuses, changing nothing: one's own account, an account already erased, an
    administrator's account by someone who is not one, and a missing reason."""
    from lms.core.services.users import check_may_change

    if user.erased_at is not None:
        raise Conflict(_l("this account's personal data was already erased"))
    if actor is not None and getattr(actor, "id", None) == user.id:
        raise Conflict(_l("you cannot erase your own account: another administrator does it"))
    check_may_change(user, actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(_l("say why: the person's request, its date or reference"), field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("the reason is longer than %(n)s characters", n=REASON_MAX), field="reason")
    return reason


def erase(user: User, actor, reason: str) -> Erasure:
    """Erases inside the caller's transaction; the caller commits, then calls
    `remove_unheld_files(erasure)`. A refusal raises before anything changed."""
    reason = check(user, actor, reason)
    erasure = Erasure(user, actor)
    name, email = user.full_name, user.email
    for plugin, plugin_erase in erasers():
        plugin_erase(erasure)
    db.session.flush()
    _erase_core(erasure)
    new_name, new_email = ERASED_NAME.format(id=user.id), ERASED_EMAIL.format(id=user.id)
    # a name another account shares stays where it is written: it may be the other person's
    shared = db.session.scalar(select(func.count()).select_from(User).where(User.full_name == name,
                                                                            User.id != user.id))
    needles = [(email, new_email)] + ([(name, new_name)] if len(name) >= 3 and not shared else [])
    entries, messages = _forget_words(erasure)  # first: the words may hold the name
    named_entries, named_messages = _scrub(needles)
    erasure.count("core.audit_entries", len(entries | named_entries))
    erasure.count("core.emails_to_others", len(messages | named_messages))
    user.full_name, user.email = new_name, new_email
    user.school_id = user.position = user.password_hash = None
    user.is_active_account, user.email_notices, user.notices_off = False, False, None
    user.erased_at = utcnow()
    for request in db.session.scalars(select(ErasureRequest).where(ErasureRequest.user_id == user.id)):
        request.note = None  # the person's words
        if request.status == "pending":
            request.status, request.decided_at, request.decided_by_id = "done", user.erased_at, getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "personal_data_erased", user, f"#{user.id}: {reason}", rows=erasure.counts)
    return erasure


def _erase_core(erasure: Erasure) -> None:
    user = erasure.user
    erasure.count("core.api_tokens", db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount)
    erasure.count("core.roles", len(user.role_assignments))
    user.role_assignments.clear()
    erasure.count("core.emails", db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.to_email == user.email)).rowcount)
    kept = []
    for stored in erasure.dropped:
        try:
            with db.session.begin_nested():  # a record that stays may name the same file
                db.session.delete(stored)
        except IntegrityError:
            kept.append(stored)
    erasure.dropped = [f for f in erasure.dropped if f not in kept]
    erasure.hashes = {f.sha256 for f in erasure.dropped}  # read now: the rows are gone after the commit
    erasure.count("core.files", len(erasure.dropped))


def _like(column, text: str):
    return column.like("%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                       escape="\\")


def _scrub(needles: list[tuple[str, str]]) -> tuple[set[int], set[int]]:
    """Replaces the person's name and e-mail in the audit log's summaries and values and in the
    e-mails the site sent to others (a notice of their post names its author): the entries and
    messages themselves stay, as the log and the mail record must. Returns the ids of the
    entries and of the messages changed."""
    found = []
    for old, _new in needles:
        for form in {old, json.dumps(old)[1:-1]}:  # JSON may keep non-ASCII letters escaped
            found += [_like(AuditEntry.summary, form), _like(cast(AuditEntry.details, String), form)]
    return (_replace_in_entries(select(AuditEntry).where(or_(*found)), needles),
            _replace_in_messages([_like(column, old) for old, _new in needles
                                  for column in (OutboxMessage.subject, OutboxMessage.body)], needles))


def _forget_words(erasure: Erasure) -> tuple[set[int], set[int]]:
    """The words a plugin erased (`Erasure.forget`) go from the audit log's entries about the
    records they were in, from the e-mails about those records (a post's notice quotes it), and,
    of the records e-mailed, when long enough to be the person's alone (WORDS_MIN), from any
    e-mail the site sent (a digest quotes a post's start)."""
    if not erasure.words:
        return set(), set()
    needles = [(text, ERASED_TEXT) for text in sorted(erasure.words, key=len, reverse=True)]
    by_type: dict[str, set[str]] = {}
    for object_type, object_id in erasure.records:
        by_type.setdefault(object_type, set()).add(object_id)
    entries = _replace_in_entries(select(AuditEntry).where(or_(*(
        (AuditEntry.object_type == object_type) & AuditEntry.object_id.in_(sorted(ids))
        for object_type, ids in by_type.items()))), needles)
    long = sorted((text for text in erasure.mailed_words if len(text) >= WORDS_MIN), key=len, reverse=True)
    keys = sorted(erasure.mail_keys)
    messages: set[int] = set()
    for start in range(0, max(len(long), len(keys)), 100):  # a prolific writer's posts: LIKEs in bounded batches
        messages |= _replace_in_messages(
            [_like(column, text) for text in long[start:start + 100] for column in (OutboxMessage.subject,
                                                                                     OutboxMessage.body)]
            + [OutboxMessage.key.startswith(key, autoescape=True) for key in keys[start:start + 100]], needles)
    return entries, messages


def _swap(text: str | None, needles: list[tuple[str, str]]) -> str | None:
    for old, new in needles:
        text = text.replace(old, new) if text else text
    return text


def _replace_in_entries(query, needles: list[tuple[str, str]]) -> set[int]:
    def swap_json(value):
        text = json.dumps(value, ensure_ascii=False)
        for old, new in needles:
            text = text.replace(json.dumps(old, ensure_ascii=False)[1:-1], json.dumps(new, ensure_ascii=False)[1:-1])
        return json.loads(text)

    changed = set()
    for entry in db.session.scalars(query):
        summary, details = _swap(entry.summary, needles), swap_json(entry.details)
        if (summary, details) != (entry.summary, entry.details):
            entry.summary, entry.details = summary, details
            changed.add(entry.id)
    return changed


def _replace_in_messages(conditions: list, needles: list[tuple[str, str]]) -> set[int]:
    changed = set()
    for m in db.session.scalars(select(OutboxMessage).where(or_(*conditions))):
        subject, body = _swap(m.subject, needles)[:300], _swap(m.body, needles)
        if (subject, body) != (m.subject, m.body):
            m.subject, m.body = subject, body
            changed.add(m.id)
    return changed


def after_commit(erasure: Erasure) -> int:
    """What follows an erasure's commit (the page and the command line call it): the account
    goes into the ledger of erased accounts, and the store's bytes no record holds are
    deleted. Returns how many files were deleted."""
    note_in_ledger(erasure.user)
    return remove_unheld_files(erasure)


def remove_unheld_files(erasure: Erasure) -> int:
    """After the commit: deletes the bytes of each dropped file that no stored file still
    names (the store keeps one copy per content). Returns how many were deleted."""
    removed = 0
    for sha256 in erasure.hashes:
        if db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.sha256 == sha256)):
            continue
        path = files.path_in(files.files_dir(), sha256)
        if path.exists():
            path.unlink()
            removed += 1
    return removed


# --- the ledger: erasures outlive a restore ------------------------------------------------
#
# A backup made before an erasure still holds the person (the site's own are kept
# LMS_BACKUP_KEEP nights). The ledger beside the backups names each erased account by its id
# and the second it was created, nothing personal, and `lms restore` erases again every account
# of the restored site it names that the backup still holds whole.

LEDGER = "erased-accounts.jsonl"


def ledger_path() -> Path:
    from lms.core.services.backup import backup_dir

    return backup_dir() / LEDGER


def _second(at: datetime) -> str:
    """To the second, in UTC: what both engines keep of a time alike."""
    aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def note_in_ledger(user: User) -> None:
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"account": user.id, "created": _second(user.created_at), "erased": _second(user.erased_at)})
    with path.open("a", encoding="utf-8") as ledger:
        ledger.write(line + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())


def read_ledger(*paths: Path) -> dict[int, dict]:
    """The ledger's entries by account, from each path that exists (the site's backup
    directory, the directory an archive was copied from); a line that is not an entry is
    named, not skipped silently."""
    entries: dict[int, dict] = {}
    for path in dict.fromkeys(p.resolve() for p in paths):
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                entries[int(entry["account"])] = {"created": str(entry["created"]), "erased": str(entry["erased"])}
            except (ValueError, KeyError, TypeError):
                raise ServiceError(f"{path}, line {number}: not an entry of the ledger of erased accounts") from None
    return entries


@dataclass
class Reapplied:
    """What `erase_again` did after a restore."""

    #: accounts erased again
    erased: list[int] = field(default_factory=list)
    #: accounts the ledger names that the restored site holds under another creation time:
    #: another site's accounts (its ids are not this ledger's), left alone
    other_site: list[int] = field(default_factory=list)
    files_removed: int = 0


def ledgers_for(archive: Path) -> tuple[Path, Path]:
    """Where a restore of `archive` looks for the ledger: the site's backup directory, and the
    directory the archive was copied from (or with)."""
    return ledger_path(), archive.parent / LEDGER


def to_erase_again(entries: dict[int, dict], accounts) -> tuple[list[int], list[int]]:
    """Of a site's accounts, (id, created_at, erased_at) each, those the ledger's `entries` name
    that are to be erased again (the same account, not erased), and those of another site (the
    same id, created at another time); each list in id order."""
    again, other = [], []
    for account_id, created_at, erased_at in sorted(accounts, key=lambda a: a[0]):
        if account_id not in entries:
            continue
        if _second(created_at) != entries[account_id]["created"]:
            other.append(account_id)
        elif erased_at is None:
            again.append(account_id)
    return again, other


def erase_again(*ledgers: Path, made_at: str = "") -> Reapplied:
    """After a restore: erases again, in one transaction, each account the ledgers name that
    the restored site holds unerased (created the same second: the same account). Accounts
    created after the backup are not in it; accounts it holds erased already stay as they are."""
    entries = read_ledger(*(ledgers or (ledger_path(),)))
    done = Reapplied()
    if not entries:
        return done
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(entries))))}
    done.erased, done.other_site = to_erase_again(entries, ((u.id, u.created_at, u.erased_at) for u in users.values()))
    erasures = []
    for user_id in done.erased:
        entry = entries[user_id]
        reason = (f"erased on {entry['erased'][:10]}; again after a restore of a backup made"
                  f" {made_at[:19] or 'before'}")
        erasures.append(erase(users[user_id], None, reason))
    db.session.commit()
    noted = read_ledger(ledger_path())
    for erasure in erasures:
        if erasure.user.id not in noted:  # the entry came with the archive: the site's ledger keeps it from now on
            note_in_ledger(erasure.user)
        done.files_removed += remove_unheld_files(erasure)
    return done
