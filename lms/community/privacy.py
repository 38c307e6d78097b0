"""What the discussions hold about a person: the threads they opened, the posts they wrote (hidden
ones too: they are still theirs) with their files, in cohorts and programme networks ("network":
the programme's code), what they follow and how answers reach them."""
from __future__ import annotations

from sqlalchemy import delete, select

from lms.community.models import MailMode, Post, ReadMark, Subscription, Thread
from lms.community.services.digests import excerpt
from lms.community.services.discussions import title_for
from lms.core.models import User
from lms.core.services import audit
from lms.core.services.erasure import ERASED_TEXT
from lms.core.services.markup import render_markdown
from lms.core.services.privacy import PersonalData
from lms.courses.models import Cohort
from lms.db import db


def export(user: User) -> PersonalData:
    data = PersonalData()
    cohorts = {}

    def cohort_code(thread: Thread) -> str | None:
        if thread.cohort_id is None:
            return None
        if thread.cohort_id not in cohorts:
            cohorts[thread.cohort_id] = db.session.get(Cohort, thread.cohort_id).code
        return cohorts[thread.cohort_id]

    data.records["threads_opened"] = [
        {"id": t.id, "cohort": cohort_code(t), "network": t.programme_code, "title": t.title,
         "opened_at": t.created_at}
        for t in db.session.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))]
    posts = db.session.scalars(select(Post).join(Post.thread).where(Post.author_id == user.id).order_by(Post.id))
    data.records["posts"] = [
        {"thread_id": p.thread_id, "cohort": cohort_code(p.thread), "network": p.thread.programme_code,
         # a title another wrote, as the author of the post may read it
         "thread_title": title_for(p.thread, user, moderator=False), "text": p.body, "written_at": p.created_at,
         "edited_at": p.edited_at, "hidden_by_a_moderator_at": p.hidden_at,
         "file": data.add_file("posts", p.file)}
        for p in posts]
    data.records["following"] = [
        {"thread_id": s.thread_id, "following": s.following}
        for s in db.session.scalars(select(Subscription).where(Subscription.user_id == user.id)
                                    .order_by(Subscription.id))]
    mode = db.session.get(MailMode, user.id)
    data.records["answers_by_email"] = [{"daily_digest": bool(mode and mode.daily)}]
    return data


def erase(erasure) -> None:
    """The person's posts keep their place in each thread (the answers to them still read in
    order) but not their words or files; what they followed and how answers reached them go.
    The titles of threads they opened stay: others' posts answer them."""

    user = erasure.user
    posts = list(db.session.scalars(select(Post).where(Post.author_id == user.id)))
    for post in posts:
        # its words as notices quoted them (whole) and digests (the start), and as edits left them
        erasure.forget(post, post.body, excerpt(post.body).removesuffix(" …"),
                       *(e.details.get("old") for e in audit.entries_for(post, "discussion_post_edited")),
                       mail_key=f"community:post:{post.id}:")
        erasure.drop_file(post.file)
        post.file = None
        post.body, post.body_html = ERASED_TEXT, render_markdown(ERASED_TEXT)
    erasure.count("community.posts", len(posts))
    erasure.count("community.following", db.session.execute(
        delete(Subscription).where(Subscription.user_id == user.id)).rowcount)
    erasure.count("community.read_marks", db.session.execute(
        delete(ReadMark).where(ReadMark.user_id == user.id)).rowcount)
    erasure.count("community.mail_mode", db.session.execute(delete(MailMode).where(MailMode.user_id == user.id)).rowcount)
