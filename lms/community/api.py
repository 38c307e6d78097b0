"""JSON API of the community plugin (in /api/v1/openapi.json): a cohort's discussions, a thread's
posts, an answer. The same services and rules as the pages: a withdrawn participant is refused,
a hidden post's text goes to its author and the moderators only, reading marks the posts read."""
from __future__ import annotations

from flask import g, jsonify, request

from lms.community.models import Thread
from lms.community.services import discussions as service
from lms.community.services.places import cohort_place
from lms.core.api import ApiError, api_blueprint, api_endpoint, current_api_user, json_body, path_parameter
from lms.core.api import query_parameter
from lms.core.pagination import paginate
from lms.core.permissions import Context
from lms.core.services import mail
from lms.core.services.errors import NotFound
from lms.courses.api import cohort_api_context
from lms.courses.models import Cohort
from lms.courses.services import cohorts as cohort_service
from lms.db import db

bp = api_blueprint("community_api")
TAGS = ("discussions",)
THREAD = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "title": {"type": ["string", "null"], "description": "null: hidden by a moderator with its opening post"},
    "author": {"type": ["string", "null"]},
    "posts": {"type": "integer"}, "new": {"type": "integer"}, "pinned": {"type": "boolean"},
    "locked": {"type": "boolean"}, "last_post_at": {"type": "string", "format": "date-time"}}}
POST = {"type": "object", "properties": {
    "id": {"type": "integer"}, "author": {"type": ["string", "null"]}, "created_at": {"type": "string"},
    "edited_at": {"type": ["string", "null"]}, "hidden": {"type": "boolean"},
    "body": {"type": ["string", "null"], "description": "Markdown as written; null for a hidden post"},
    "body_html": {"type": ["string", "null"], "description": "sanitized HTML; null for a hidden post"},
    "file": {"type": ["string", "null"], "description": "the shared file's name"}}}


_cohort_ctx = cohort_api_context


def _thread_ctx(thread_id: int, **_kw) -> Context:
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.cohort_id is None:  # the API serves cohorts' discussions, not the networks'
        raise ApiError(404, f"no discussion {thread_id}")
    g.thread, g.cohort = thread, db.session.get(Cohort, thread.cohort_id)
    return cohort_service.cohort_context(g.cohort)


def _member(user):
    """A withdrawn participant no longer takes part (places.py); `g.access` says what the caller may do."""
    g.access = cohort_place(g.cohort).access(user)
    if not g.access.reads:
        raise ApiError(403, f"your enrolment in {g.cohort.code} was withdrawn")


def _thread_json(t, new: int, title: str | None) -> dict:
    return {"id": t.id, "title": title, "author": t.author.full_name if t.author else None, "posts": t.post_count,
            "new": new, "pinned": t.pinned, "locked": t.locked, "last_post_at": t.last_post_at.isoformat()}


@bp.route("/cohorts/<code>/discussions")
@api_endpoint("community:read", _cohort_ctx, summary="A cohort's discussions, pinned first, then by latest post",
              tags=TAGS, parameters=[path_parameter("code"), query_parameter("page", "integer")],
              response={"type": "array", "items": THREAD})
def threads(code):
    user = current_api_user()
    _member(user)
    page = paginate(service.threads_of(g.cohort), request.args.get("page", 1, type=int),
                    per_page=service.THREADS_PER_PAGE)
    new, titles = service.unread_counts(page.items, user), service.shown_titles(page.items, user)
    return jsonify([_thread_json(t, new.get(t.id, 0), titles[t.id]) for t in page.items])


@bp.route("/discussions/<int:thread_id>")
@api_endpoint("community:read", _thread_ctx, summary="A discussion's posts, in the order written (marks them read)",
              tags=TAGS, parameters=[path_parameter("thread_id", "integer"), query_parameter("page", "integer")],
              response={"type": "object", "properties": {"thread": THREAD, "posts": {"type": "array",
                                                                                      "items": POST}}})
def thread(thread_id):
    user = current_api_user()
    _member(user)
    moderator = g.access.moderates
    page = paginate(service.posts_of(g.thread), request.args.get("page", 1, type=int),
                    per_page=service.POSTS_PER_PAGE)
    posts = []
    for p in page.items:
        shown = service.shows_text(p, user, moderator)
        posts.append({"id": p.id, "author": p.author.full_name if p.author else None,
                      "created_at": p.created_at.isoformat(),
                      "edited_at": p.edited_at.isoformat() if p.edited_at else None, "hidden": p.hidden_at is not None,
                      "body": p.body if shown else None, "body_html": p.body_html if shown else None,
                      "file": p.file.original_name if p.file and shown else None})
    if page.items:
        service.mark_read(g.thread, user, max(p.id for p in page.items))
        db.session.commit()
    title = g.thread.title if service.shows_title(g.thread, user, moderator) else None
    return jsonify(thread=_thread_json(g.thread, 0, title), posts=posts)


@bp.route("/discussions/<int:thread_id>/posts", methods=["POST"])
@api_endpoint("community:post", _thread_ctx, summary="Answer in a discussion (Markdown); followers are e-mailed",
              tags=TAGS, parameters=[path_parameter("thread_id", "integer")],
              request_body={"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}},
              response=POST, status=201)
def reply(thread_id):
    user = current_api_user()
    _member(user)
    body = json_body().get("body")
    if not isinstance(body, str):
        raise ApiError(400, "body is the answer's text (a string)", field="body")
    try:
        post = service.reply(g.thread, {"body": body}, user)
    except NotFound as exc:
        db.session.rollback()
        raise ApiError(404, str(exc)) from None
    db.session.commit()
    response = jsonify({"id": post.id, "author": user.full_name, "created_at": post.created_at.isoformat(),
                        "edited_at": None, "hidden": False, "body": post.body, "body_html": post.body_html,
                        "file": None})
    response.status_code = 201
    return mail.send_after_response(response)  # the followers' notices go once the answer is out
