"""Discussions: a cohort's (its tab joins the cohort's tab bar, courses' COHORT_TABS) and a
programme's network (/network/<code>/discussions), with the same pages: the list, a thread,
writing, and the moderators' buttons. Each route puts its `Place` in `g.place`; the pages ask it
who may do what and where its addresses are."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.community.forms import EditForm, MailModeForm, PostForm, ThreadForm
from lms.community.services import digests
from lms.community.services import discussions as service
from lms.community.services.places import Access, Place, cohort_place, network_place, networks_of
from lms.core.forms import ConfirmForm
from lms.core.pagination import paginate
from lms.core.permissions import requires
from lms.core.services import mail
from lms.core.services.errors import NotFound
from lms.core.web import run_button, run_service, send_stored, upload_of
from lms.courses.models import Cohort
from lms.courses.views.common import COHORT_TABS, TAB_COUNTS, cohort_context, cohort_template_helpers
from lms.db import db

bp = Blueprint("community", __name__, template_folder="../templates")
bp.context_processor(cohort_template_helpers)
COHORT_TABS.append(("community.threads", _l("Discussions")))
TAB_COUNTS["community.threads"] = lambda cohort: (  # a withdrawn participant reads nothing there: 0
    service.unread_in(cohort, current_user) if cohort_place(cohort).access(current_user).reads else 0)


@bp.route("/discussions")
@requires("community:read", anywhere=True)
def mine():
    """The discussions of every cohort and programme network one reads, newest activity first;
    by default only those with something new."""
    new_only = request.args.get("show") != "all"
    networks = networks_of(current_user)
    page = paginate(service.threads_for(current_user, new_only=new_only, networks=networks),
                    request.args.get("page", 1, type=int), per_page=service.THREADS_PER_PAGE)
    cohort_ids = {t.cohort_id for t in page.items if t.cohort_id is not None}
    cohorts = {c.id: c for c in db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))} \
        if cohort_ids else {}
    places = {t.id: Place(cohort=cohorts[t.cohort_id]) if t.cohort_id is not None
              else Place(programme_code=t.programme_code) for t in page.items}
    return render_template("community/mine.html", page=page, new_only=new_only, places=places,
                           networks=networks,
                           unread=service.unread_counts(page.items, current_user),
                           titles=service.shown_titles(page.items, current_user),
                           mail_form=MailModeForm(formdata=None,
                                                  mode="daily" if digests.is_daily(current_user) else "each"))


@bp.route("/discussions/mail", methods=["POST"])
@requires("community:read", anywhere=True)
def mail_mode():
    """The reader's choice: an e-mail per answer, or one a day (Moodle's forum digest)."""
    form = MailModeForm()
    if not form.validate_on_submit():
        abort(400)
    daily = form.mode.data == "daily"
    return run_service(form, lambda: digests.set_daily(current_user._get_current_object(), daily),
                       _("Answers will come together, in one e-mail each morning.") if daily else
                       _("Each answer will come by e-mail as it is written."), url_for("community.mine"))


# --- the place of a page ------------------------------------------------------------------

def _in_cohort() -> Access:
    """A cohort's discussions are its present people's: a withdrawn participant is refused."""
    g.place = cohort_place(g.cohort)
    g.access = g.place.access(current_user)
    if not g.access.reads:
        abort(403)
    return g.access


def _in_network(code: str, *, needs: str = "reads") -> Access:
    """A programme's network: those who take or took it, and its staff (places.py)."""
    try:
        g.place = network_place(code)
    except NotFound:
        abort(404)
    g.access = g.place.access(current_user)
    if not getattr(g.access, needs):
        abort(403)
    return g.access


def _thread(thread_id: int):
    try:
        return service.get_thread(g.place, thread_id)
    except NotFound:
        abort(404)


def _post(thread, post_id: int):
    try:
        return service.get_post(thread, post_id)
    except NotFound:
        abort(404)


def _back(thread, post=None) -> str:
    if post is None:
        return g.place.url("thread", thread_id=thread.id)
    return g.place.url("thread", thread_id=thread.id, page=service.page_of(thread, post), _anchor=f"post-{post.id}")


# --- the pages, for either place ----------------------------------------------------------

def _list_page(form: ThreadForm, status: int = 200):
    place = g.place
    unanswered = request.args.get("show") == "unanswered"
    page = paginate(service.threads_of(place, unanswered=unanswered), request.args.get("page", 1, type=int),
                    per_page=service.THREADS_PER_PAGE)
    return render_template("community/threads.html", place=place, cohort=place.cohort, page=page, form=form,
                           unanswered=unanswered, unread=service.unread_counts(page.items, current_user),
                           titles=service.shown_titles(page.items, current_user),
                           can_post=g.access.posts and not place.read_only), \
        400 if form.errors else status


def _new_thread():
    form = ThreadForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: service.start_thread(g.place, form.data, current_user, upload_of(form.file)),
                           _("The discussion is open."), lambda thread: g.place.url("thread", thread_id=thread.id))
        if done:
            return done
    return _list_page(form, 400 if request.method == "POST" else 200)  # a refusal keeps the typed text


def _thread_page(thread, form: PostForm, status: int = 200):
    place, moderator = g.place, g.access.moderates
    page = paginate(service.posts_of(thread), request.args.get("page", 1, type=int),
                    per_page=service.POSTS_PER_PAGE)
    if page.items:
        service.mark_read(thread, current_user, max(p.id for p in page.items))
        db.session.commit()
    can_reply = g.access.posts and not place.read_only and (not thread.locked or moderator)
    title_shown = service.shows_title(thread, current_user, moderator)
    return render_template("community/thread.html", place=place, cohort=place.cohort, thread=thread, page=page,
                           form=form, moderator=moderator, can_reply=can_reply,
                           following=service.follows(thread, current_user),
                           title_shown=title_shown, title=thread.title if title_shown else service.HIDDEN_TITLE,
                           shows_text=lambda p: service.shows_text(p, current_user, moderator),
                           may_edit=lambda p: service.may_edit(p, current_user, place, moderator),
                           confirm=ConfirmForm()), status


def _reply(thread_id):
    thread = _thread(thread_id)
    form = PostForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: service.reply(thread, form.data, current_user, upload_of(form.file)),
                           _("Your answer is posted."), lambda post: _back(thread, post))
        if done:
            return mail.send_after_response(done)
    return _thread_page(thread, form, 400)


def _edit(thread_id, post_id):
    thread = _thread(thread_id)
    post = _post(thread, post_id)
    allowed = service.may_edit(post, current_user, g.place, g.access.moderates)
    if not allowed and request.method == "GET":
        abort(403)
    form = EditForm(data={"body": post.body}) if request.method == "GET" else EditForm()
    title = service.title_for(thread, current_user, g.access.moderates)
    if not allowed:  # the time ran out (or the post was hidden) while they wrote: their text stays on the page
        form.validate_on_submit()
        form.body.errors = list(form.body.errors) + [str(service.edit_refusal())]
        return render_template("community/edit.html", place=g.place, thread=thread, post=post, form=form,
                               minutes=service.EDIT_MINUTES, allowed=False, title=title), 403
    if form.validate_on_submit():
        done = run_service(form, lambda: service.edit(post, form.body.data, current_user), _("The post is changed."),
                           _back(thread, post))
        if done:
            return done
    return render_template("community/edit.html", place=g.place, thread=thread, post=post, form=form,
                           minutes=service.EDIT_MINUTES, allowed=True, title=title), 400 if form.errors else 200


def _post_file(thread_id, post_id):
    """A post's file, to whoever reads the post's text (a hidden post's: its author and the
    moderators)."""
    thread = _thread(thread_id)
    post = _post(thread, post_id)
    if post.file is None or not service.shows_text(post, current_user, g.access.moderates):
        abort(404)
    return send_stored(post.file)


def _hide(thread_id, post_id):
    if not g.access.moderates:
        abort(403)
    thread = _thread(thread_id)
    post = _post(thread, post_id)
    hidden = request.form.get("hidden", "1") == "1"
    return run_button(lambda: service.set_hidden(post, hidden, current_user),
                      _("The post is hidden.") if hidden else _("The post is shown again."), _back(thread, post))


def _flag(thread_id):
    if not g.access.moderates:
        abort(403)
    thread = _thread(thread_id)
    name, value = request.form.get("flag", ""), request.form.get("value") == "1"
    said = {("pinned", True): _("The discussion is pinned to the top."),
            ("pinned", False): _("The discussion is no longer pinned."),
            ("locked", True): _("The discussion is closed to replies."),
            ("locked", False): _("The discussion is open to replies again.")}.get((name, value))
    return run_button(lambda: service.set_flag(thread, name, value, current_user), said, _back(thread))


def _follow(thread_id):
    thread = _thread(thread_id)
    following = request.form.get("following") == "1"
    return run_button(lambda: service.follow(thread, current_user, following),
                      _("You follow the discussion: new answers come by e-mail.") if following
                      else _("You no longer follow the discussion."), _back(thread))


# --- a cohort's discussions ---------------------------------------------------------------

@bp.route("/cohorts/<code>/discussions")
@requires("community:read", cohort_context)
def threads(code):
    _in_cohort()
    return _list_page(ThreadForm(formdata=None))


@bp.route("/cohorts/<code>/discussions", methods=["POST"])
@requires("community:post", cohort_context)
def thread_new(code):
    _in_cohort()
    return _new_thread()


@bp.route("/cohorts/<code>/discussions/<int:thread_id>")
@requires("community:read", cohort_context)
def thread(code, thread_id):
    _in_cohort()
    return _thread_page(_thread(thread_id), PostForm(formdata=None))


@bp.route("/cohorts/<code>/discussions/<int:thread_id>", methods=["POST"])
@requires("community:post", cohort_context)
def reply(code, thread_id):
    _in_cohort()
    return _reply(thread_id)


@bp.route("/cohorts/<code>/discussions/<int:thread_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@requires("community:post", cohort_context)
def edit(code, thread_id, post_id):
    _in_cohort()
    return _edit(thread_id, post_id)


@bp.route("/cohorts/<code>/discussions/<int:thread_id>/posts/<int:post_id>/file")
@requires("community:read", cohort_context)
def post_file(code, thread_id, post_id):
    _in_cohort()
    return _post_file(thread_id, post_id)


@bp.route("/cohorts/<code>/discussions/<int:thread_id>/posts/<int:post_id>/hide", methods=["POST"])
@requires("community:moderate", cohort_context)
def hide(code, thread_id, post_id):
    _in_cohort()
    return _hide(thread_id, post_id)


@bp.route("/cohorts/<code>/discussions/<int:thread_id>/flag", methods=["POST"])
@requires("community:moderate", cohort_context)
def flag(code, thread_id):
    _in_cohort()
    return _flag(thread_id)


@bp.route("/cohorts/<code>/discussions/<int:thread_id>/follow", methods=["POST"])
@requires("community:read", cohort_context)
def follow(code, thread_id):
    _in_cohort()
    return _follow(thread_id)


# --- a programme's network ----------------------------------------------------------------

@bp.route("/network/<code>/discussions")
@requires("community:read", anywhere=True)
def network_threads(code):
    _in_network(code)
    return _list_page(ThreadForm(formdata=None))


@bp.route("/network/<code>/discussions", methods=["POST"])
@requires("community:post", anywhere=True)
def network_thread_new(code):
    _in_network(code, needs="posts")
    return _new_thread()


@bp.route("/network/<code>/discussions/<int:thread_id>")
@requires("community:read", anywhere=True)
def network_thread(code, thread_id):
    _in_network(code)
    return _thread_page(_thread(thread_id), PostForm(formdata=None))


@bp.route("/network/<code>/discussions/<int:thread_id>", methods=["POST"])
@requires("community:post", anywhere=True)
def network_reply(code, thread_id):
    _in_network(code, needs="posts")
    return _reply(thread_id)


@bp.route("/network/<code>/discussions/<int:thread_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@requires("community:post", anywhere=True)
def network_edit(code, thread_id, post_id):
    _in_network(code, needs="posts")
    return _edit(thread_id, post_id)


@bp.route("/network/<code>/discussions/<int:thread_id>/posts/<int:post_id>/file")
@requires("community:read", anywhere=True)
def network_post_file(code, thread_id, post_id):
    _in_network(code)
    return _post_file(thread_id, post_id)


@bp.route("/network/<code>/discussions/<int:thread_id>/posts/<int:post_id>/hide", methods=["POST"])
@requires("community:moderate", anywhere=True)
def network_hide(code, thread_id, post_id):
    _in_network(code, needs="moderates")
    return _hide(thread_id, post_id)


@bp.route("/network/<code>/discussions/<int:thread_id>/flag", methods=["POST"])
@requires("community:moderate", anywhere=True)
def network_flag(code, thread_id):
    _in_network(code, needs="moderates")
    return _flag(thread_id)


@bp.route("/network/<code>/discussions/<int:thread_id>/follow", methods=["POST"])
@requires("community:read", anywhere=True)
def network_follow(code, thread_id):
    _in_network(code)
    return _follow(thread_id)
