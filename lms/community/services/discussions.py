"""Discussions of a cohort (Moodle's forum; Canvas's discussions), kept for the support year
after the course too, and of a programme's network (services/places.py): participants and
graduates ask, answer and share; trainers and curators answer and moderate. Moodle's lessons
kept here: a moderator hides a post instead of deleting it (and can show it again), an author's
edit keeps the replaced text in the audit log, a reply is e-mailed only to those who follow the
thread, and what is new to each reader is marked."""
from __future__ import annotations

from datetime import datetime, timedelta

import nh3
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from lms.core.i18n import language_of
from lms.core.models import User
from lms.core.permissions import Context, contexts_with, has_capability, remember_parent
from lms.core.services import audit, clock, files, mail
from lms.core.services.errors import NotFound, ServiceError
from lms.community.models import MailMode, Post, ReadMark, Subscription, Thread
from lms.community.services.places import Access, Place, as_place, networks_of, place_of
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.core.services.markup import render_markdown
from lms.db import db
from lms.signals import discussion_post_written

MAX_TITLE, MAX_BODY = 200, 20_000
#: an author may change their own post this long after writing it (Moodle's maxeditingtime)
EDIT_MINUTES = 30
#: at most this many posts a participant in this many seconds (a stuck form resent, a flood)
FLOOD_POSTS, FLOOD_SECONDS = 6, 60
THREADS_PER_PAGE, POSTS_PER_PAGE = 20, 30
#: a post older than this many days is not marked new (Moodle's forum_oldpostdays, 14 by default)
OLD_POST_DAYS = 14


def context_of(cohort: Cohort) -> Context:
    return cohort_service.cohort_context(cohort)


def may_moderate(cohort: Cohort, user) -> bool:
    return has_capability(user, "community:moderate", context_of(cohort))


def _writable(place: Place, actor, access: Access) -> None:
    if place.read_only:
        raise ServiceError(_l("the cohort is cancelled: its discussions are read-only"))
    if access.moderates:
        return
    if not access.reads:
        if place.is_network:
            raise ServiceError(_l("only those who take or took %(code)s, and its staff, write in its network",
                                  code=place.code))
        raise ServiceError(_l("your enrolment in %(code)s was withdrawn", code=place.code))
    if not access.posts:
        raise ServiceError(_l("you may read these discussions but not write in them"))
    since = clock.now() - timedelta(seconds=FLOOD_SECONDS)
    recent = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.author_id == actor.id, Post.created_at >= since))
    if recent >= FLOOD_POSTS:
        raise ServiceError(_l("you have written %(count)s posts within a minute; wait a moment and send it again",
                              count=recent), field="body")


def _checked_body(body: str | None, problems: list) -> str:
    body = (body or "").strip()
    if not body:
        problems.append(("body", _l("write the post's text")))
    elif len(body) > MAX_BODY:
        problems.append(("body", _l("the text takes at most %(count)s characters", count=f"{MAX_BODY:,}")))
    return body


def start_thread(where: Place | Cohort, fields: dict, actor, upload: tuple[bytes, str] | None = None) -> Thread:
    """Every problem is named at once; nothing is saved on refusal. The author follows it.
    `upload` (bytes, name) shares a file with the opening post."""
    place = as_place(where)
    problems: list = []
    title = " ".join((fields.get("title") or "").split())
    if not title:
        problems.append(("title", _l("give the discussion a title")))
    elif len(title) > MAX_TITLE:
        problems.append(("title", _l("the title takes at most %(count)s characters", count=MAX_TITLE)))
    body = _checked_body(fields.get("body"), problems)
    if problems:
        raise ServiceError.listing(problems)
    _writable(place, actor, place.access(actor))
    now = clock.now()
    thread = place.new_thread(author_id=actor.id, title=title, created_at=now, last_post_at=now, post_count=0)
    db.session.add(thread)
    db.session.flush()
    _add_post(thread, body, actor, now, upload, opening=True)
    audit.record(actor, "discussion_started", thread, f"{place.code}: {title}")
    return thread


def reply(thread: Thread, fields: dict, actor, upload: tuple[bytes, str] | None = None) -> Post:
    problems: list = []
    body = _checked_body(fields.get("body"), problems)
    if problems:
        raise ServiceError.listing(problems)
    place = place_of(thread)
    access = place.access(actor)
    if thread.locked and not access.moderates:
        raise ServiceError(_l("the discussion is closed to replies"), field="body")
    _writable(place, actor, access)
    post = _add_post(thread, body, actor, clock.now(), upload, opening=False)
    audit.record(actor, "discussion_replied", post, thread.title)
    return post


#: what a post's Markdown may become: the sanitizer's tags less images and image maps, since an
#: image from another site tells that site every reader's address and reading time; a picture is
#: shared as the post's file instead
POST_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"img", "map", "area"}


def _html(body: str) -> str:
    return render_markdown(body, tags=set(POST_TAGS))


def _add_post(thread: Thread, body: str, actor, now: datetime, upload: tuple[bytes, str] | None,
              opening: bool) -> Post:
    stored = files.store(*upload, actor, field="file") if upload else None
    post = Post(thread_id=thread.id, author_id=actor.id, body=body, body_html=_html(body), created_at=now,
                file_id=stored.id if stored else None)
    db.session.add(post)
    thread.post_count += 1
    thread.last_post_at = now
    db.session.flush()
    follow(thread, actor, True, only_if_new=True)
    mark_read(thread, actor, post.id)
    discussion_post_written.send(post, thread=thread, actor=actor, opening=opening)
    return post


def may_edit(post: Post, user, where: Place | Cohort, moderator: bool | None = None) -> bool:
    """`moderator`: whether `user` moderates there, when the caller knows already."""
    place = as_place(where)
    if place.access(user).moderates if moderator is None else moderator:
        return True
    return (post.author_id == getattr(user, "id", None) and post.hidden_at is None and not place.read_only
            and clock.now() - post.created_at <= timedelta(minutes=EDIT_MINUTES))


def edit_refusal():
    return _l("a post can be changed by its author within %(minutes)s minutes of writing it, and by a moderator",
              minutes=EDIT_MINUTES)


def edit(post: Post, body: str, actor) -> Post:
    """The text it replaces goes to the audit log, so an edit never loses what was written."""
    thread = post.thread
    if not may_edit(post, actor, place_of(thread)):
        raise ServiceError(edit_refusal(), field="body")
    problems: list = []
    body = _checked_body(body, problems)
    if problems:
        raise ServiceError.listing(problems)
    if body == post.body:
        return post
    audit.record(actor, "discussion_post_edited", post, thread.title, old=post.body)
    post.body, post.body_html, post.edited_at = body, _html(body), clock.now()
    db.session.flush()
    return post


def set_hidden(post: Post, hidden: bool, actor) -> None:
    """A moderator's act: a hidden post stays, its text shown to its author and the moderators
    only; the thread's count and order follow what is shown. Hiding the opening post hides the
    thread's title too (a title can say what the post said)."""
    if (post.hidden_at is not None) == hidden:
        return
    thread = post.thread
    post.hidden_at, post.hidden_by_id = (clock.now(), actor.id) if hidden else (None, None)
    thread.post_count += -1 if hidden else 1
    if post.id == db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread.id)):
        thread.title_hidden = hidden  # the title is the opening post's: hidden with it
    db.session.flush()
    newest = db.session.scalar(select(func.max(Post.created_at)).where(
        Post.thread_id == thread.id, Post.hidden_at.is_(None)))
    thread.last_post_at = newest or thread.created_at
    audit.record(actor, "discussion_post_hidden" if hidden else "discussion_post_shown", post, thread.title)


def set_flag(thread: Thread, flag: str, value: bool, actor) -> None:
    """Pin a thread to the top of the list or lock it against replies (moderators)."""
    if flag not in ("pinned", "locked"):
        raise ServiceError(_l("unknown setting %(value)s", value=repr(flag)), field="flag")
    if getattr(thread, flag) == value:
        return
    setattr(thread, flag, value)
    audit.record(actor, f"discussion_{flag}" if value else f"discussion_un{flag}", thread, thread.title)


def follow(thread: Thread, user, following: bool, *, only_if_new: bool = False) -> None:
    row = db.session.scalar(select(Subscription).where(Subscription.thread_id == thread.id,
                                                       Subscription.user_id == user.id))
    if row is None:
        db.session.add(Subscription(thread_id=thread.id, user_id=user.id, following=following))
    elif not only_if_new:
        row.following = following
    db.session.flush()


def follows(thread: Thread, user) -> bool:
    return bool(db.session.scalar(select(Subscription.following).where(
        Subscription.thread_id == thread.id, Subscription.user_id == user.id)))


def mark_read(thread: Thread, user, post_id: int) -> None:
    """Only ever forward: reading an older page does not make newer posts new again."""
    row = db.session.scalar(select(ReadMark).where(ReadMark.thread_id == thread.id, ReadMark.user_id == user.id))
    if row is None:
        db.session.add(ReadMark(thread_id=thread.id, user_id=user.id, seen_post_id=post_id))
    elif post_id > row.seen_post_id:
        row.seen_post_id = post_id
    db.session.flush()


def get_thread(where: Place | Cohort, thread_id: int) -> Thread:
    place = as_place(where)
    thread = db.session.get(Thread, thread_id)
    if thread is None or not place.owns(thread):
        raise NotFound(_l("no discussion %(id)s in %(code)s", id=thread_id, code=place.code))
    return thread


def get_post(thread: Thread, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.thread_id != thread.id:
        raise NotFound(_l("no post %(id)s in this discussion", id=post_id))
    return post


def threads_of(where: Place | Cohort, *, unanswered: bool = False):
    """Pinned first, then by their newest post (a statement to paginate). `unanswered`: only
    those nobody has answered yet (one shown post; a pinned thread is the staff's notice, not a
    question), for a trainer's round of replies."""
    stmt = select(Thread).where(as_place(where).threads_where())
    if unanswered:
        stmt = stmt.where(Thread.post_count <= 1, Thread.pinned.is_(False))
    return (stmt.options(selectinload(Thread.author))
            .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()))


def readable_cohorts(user):
    """The ids of the cohorts whose discussions `user` reads (a statement): where their roles grant
    community:read, filtered in SQL as the cohorts list is, less those they were withdrawn from
    and do not moderate."""
    where = contexts_with(user, "community:read")
    stmt = select(Cohort.id)
    if "system" not in where:
        stmt = stmt.where(or_(Cohort.id.in_(sorted(where.get("cohort", ()))),
                              Cohort.programme_id.in_(sorted(where.get("programme", ())))))
    left = [c for c in db.session.scalars(select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id).where(
        Enrolment.user_id == user.id, Enrolment.status == "withdrawn")) if not may_moderate(c, user)]
    if left:
        stmt = stmt.where(Cohort.id.not_in([c.id for c in left]))
    return stmt


def _new_to(user):
    """A condition on Post: shown, newer than the newest the reader has seen in its thread, and
    written within OLD_POST_DAYS (Moodle's forum_oldpostdays): a programme's network holds years
    of talk, which is not news to this year's participants."""
    seen = (select(ReadMark.seen_post_id).where(ReadMark.thread_id == Post.thread_id, ReadMark.user_id == user.id)
            .scalar_subquery())
    return and_(Post.hidden_at.is_(None), Post.id > func.coalesce(seen, 0),
                Post.created_at >= clock.now() - timedelta(days=OLD_POST_DAYS))


def threads_for(user, *, new_only: bool = False, networks: list[str] | None = None):
    """Every discussion of every cohort and programme network the reader reads, newest activity
    first (a statement to paginate): Moodle's "recent forum posts", for a curator's or a
    graduate's daily round. `new_only`: those with something new to the reader. `networks`: the
    reader's `networks_of`, when the caller has them already."""
    networks = networks_of(user) if networks is None else networks
    stmt = select(Thread).where(or_(Thread.cohort_id.in_(readable_cohorts(user)),
                                    Thread.programme_code.in_(networks)))
    if new_only:
        stmt = stmt.where(select(Post.id).where(Post.thread_id == Thread.id, _new_to(user)).exists())
    return stmt.options(selectinload(Thread.author)).order_by(Thread.last_post_at.desc(), Thread.id.desc())


def unread_counts(threads: list[Thread], user) -> dict[int, int]:
    """thread id -> shown posts newer than the newest the reader has seen, in one query."""
    ids = [t.id for t in threads]
    if not ids:
        return {}
    rows = db.session.execute(select(Post.thread_id, func.count(Post.id))
                              .where(Post.thread_id.in_(ids), _new_to(user)).group_by(Post.thread_id))
    return {thread_id: count for thread_id, count in rows}


def unread_in(cohort: Cohort, user) -> int:
    """Discussions of the cohort with something new to the reader (for its tab and the course page)."""
    return db.session.scalar(
        select(func.count(func.distinct(Post.thread_id))).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.cohort_id == cohort.id, _new_to(user))) or 0


def posts_of(thread: Thread):
    """In the order written. A hidden post is listed for everyone (its place in the talk),
    its text for its author and the moderators only (`shows_text`)."""
    return (select(Post).where(Post.thread_id == thread.id).options(selectinload(Post.author), selectinload(Post.file))
            .order_by(Post.created_at, Post.id))


def shows_text(post: Post, reader, moderator: bool) -> bool:
    return post.hidden_at is None or moderator or post.author_id == getattr(reader, "id", None)


def shows_title(thread: Thread, reader, moderator: bool) -> bool:
    """Whether `reader` sees the thread's title (see `set_hidden`); others read HIDDEN_TITLE."""
    return not thread.title_hidden or moderator or thread.author_id == getattr(reader, "id", None)


#: what a thread whose title is hidden is called, for those who may not read the title
HIDDEN_TITLE = _l("A discussion hidden by a moderator")


def title_for(thread: Thread, reader, moderator: bool) -> str:
    """The thread's title as `reader` may read it: its own, or HIDDEN_TITLE."""
    return thread.title if shows_title(thread, reader, moderator) else str(HIDDEN_TITLE)


def shown_titles(threads: list[Thread], reader) -> dict[int, str | None]:
    """Each listed thread's title as `reader` may read it (None: hidden from them); asks who
    moderates only for the cohorts of threads whose title is hidden."""
    hidden = [t for t in threads if t.title_hidden and t.author_id != getattr(reader, "id", None)]
    cohort_ids = {t.cohort_id for t in hidden if t.cohort_id is not None}
    moderated = set()
    for cohort in (db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids))) if cohort_ids else ()):
        ctx = context_of(cohort)
        remember_parent(ctx, Context("programme", cohort.programme_id))  # known: no query per cohort
        if has_capability(reader, "community:moderate", ctx):
            moderated.add(cohort.id)
    for code in {t.programme_code for t in hidden if t.programme_code is not None}:
        if Place(programme_code=code).access(reader).moderates:
            moderated.add(code)
    return {t.id: t.title if shows_title(t, reader, (t.cohort_id or t.programme_code) in moderated) else None
            for t in threads}


def page_of(thread: Thread, post: Post) -> int:
    """The page of the thread that holds `post`, to land on it after writing."""
    before = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.thread_id == thread.id,
        or_(Post.created_at < post.created_at, and_(Post.created_at == post.created_at, Post.id < post.id))))
    return before // POSTS_PER_PAGE + 1


def notify_followers(post: Post, thread: Thread, actor, opening: bool = False, **_kw) -> int:
    """A reply is e-mailed to each follower of the thread but its author: those who still read
    the cohort's discussions and have not turned course news off, each in their language (a
    reader who chose one e-mail a day gets it in their digest instead, services/digests.py). A
    thread's opening post is mailed to nobody (its only follower is its author)."""
    if opening:
        return 0
    place = place_of(thread)
    if place.read_only:
        return 0
    daily = select(MailMode.user_id).where(MailMode.user_id == User.id, MailMode.daily.is_(True)).exists()
    followers = db.session.scalars(
        select(User).join(Subscription, Subscription.user_id == User.id)
        .where(Subscription.thread_id == thread.id, Subscription.following.is_(True), User.id != actor.id,
               User.is_active_account.is_(True), User.email_notices.is_(True), ~daily)
        .options(selectinload(User.role_assignments)).order_by(User.id))
    check = place.checker()
    link = mail.link(f"{place.path(thread.id)}?page={page_of(thread, post)}#post-{post.id}")
    told = 0
    for user in followers:
        if not mail.wants(user, "community:answer"):
            continue
        access = check(user)
        if not access.reads:
            continue
        with force_locale(language_of(user)):
            title = title_for(thread, user, access.moderates)
            subject = f"{place.code}: {title}"
            body = mail.letter(
                user, _("%(name)s answered in the discussion \"%(title)s\":", name=actor.full_name, title=title),
                post.body, _("Read and answer: %(url)s", url=link),
                _("You receive this because you follow the discussion; you can stop following it on its page."))
        if mail.queue(f"community:post:{post.id}:{user.id}", user.email, subject, body):
            told += 1
    return told

