"""Sign-in, language, profile and the admin pages of the core."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from lms.core.extensions import limiter
from lms.core.forms import (
    AcceptPoliciesForm, AccountForm, ChangePasswordForm, ConfirmForm, ErasureForm, ErasureRequestForm,
    ForgotPasswordForm, LanguageForm, LoginForm, RefuseErasureForm,
    NoticesForm, PolicyForm, SchoolForm, SchoolImportForm, SetPasswordForm, UserEditForm,
)
from lms.core.i18n import localized, localtime
from lms.core.models import District, ErasureRequest, Policy, School, User
from lms.core.pagination import paginate
from lms.core.capabilities import ROLE_NAMES, SYSTEM_ROLES
from lms.core.permissions import Context, has_capability, public, registry, requires
from lms.core import tasks
from lms.core.services import audit, backup, erasure, mail, passwords, policies, privacy
from lms.core.services.exports import table_download
from lms.core.services import schools as school_service
from lms.core.services import users as user_service
from lms.core.services.errors import FileRefused, ServiceError
from lms.core.web import run_button, run_service
from lms.db import db, utcnow
from lms.signals import user_logged_in

bp = Blueprint("core", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


@bp.route("/")
@public
def home():
    if "courses.catalogue" in current_app.view_functions:
        return redirect(url_for("courses.catalogue"))
    return render_template("core/home.html")


def _login_limit() -> str:
    return current_app.config["LMS"].login_rate_limit


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = user_service.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            chosen = session.get("lang")
            if chosen and chosen != user.language:  # a choice made before signing in wins
                user_service.set_language(user, chosen)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            user_logged_in.send(user)
            return redirect(safe_next(form.next.data, url_for("core.home")))
    return render_template("core/login.html", form=form), 200 if request.method == "GET" or not form.errors else 400


@bp.route("/logout", methods=["POST"])
@requires("core:view_profile")
def logout():
    logout_user()
    return redirect(url_for("core.home"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        user_service.set_language(current_user, form.language.data)
        db.session.commit()
    return redirect(safe_next(form.next.data, url_for("core.home")))


@bp.route("/profile")
@requires("core:view_profile")
def profile():
    return _profile_page()


def _profile_page(erasure_form: ErasureRequestForm | None = None):
    """The profile, its notices form showing the choices as they are saved."""
    off = current_user.notices_off or ()
    notices = _notices_form(formdata=None, email_notices=current_user.email_notices,
                            kinds=[k for k in mail.notice_kinds_for(current_user) if k not in off])
    return render_template("core/profile.html", user=current_user, roles=_roles_held(current_user.role_assignments),
                           notices=notices, confirm=ConfirmForm(),
                           erasure_request=erasure.latest_request(current_user),
                           erasure_form=erasure_form or ErasureRequestForm(formdata=None))


def _notices_form(**data) -> NoticesForm:
    form = NoticesForm(**data)
    form.kinds.choices = [(code, str(words)) for code, words in mail.notice_kinds_for(current_user).items()]
    return form


@bp.route("/profile/notices", methods=["POST"])
@requires("core:view_profile")
def profile_notices():
    form = _notices_form()
    if not form.validate_on_submit():
        abort(400)
    on = bool(form.email_notices.data)
    kinds = list(form.kinds.data or []) if form.kinds_shown.data == "1" else None
    return run_service(form, lambda: user_service.set_email_notices(current_user._get_current_object(), on, kinds),
                       _("Course news comes by e-mail.") if on else _("No more course news by e-mail; sign-in links"
                                                                       " still come."),
                       url_for("core.profile"))


@bp.route("/profile/my-data.zip", methods=["POST"])
@requires("core:view_profile")
@limiter.limit("5 per hour", key_func=lambda: f"my-data:{current_user.id}")
def my_data():
    """Everything the site holds about the reader, as a ZIP (Moodle's "Export all of my personal
    data"); a POST, since it leaves an entry in the audit log."""
    return _personal_data_zip(current_user._get_current_object(), url_for("core.profile"))


@bp.route("/profile/erasure-request", methods=["POST"])
@requires("core:view_profile")
def erasure_request():
    """The person asks for their data to be erased; an administrator answers (Moodle's data
    deletion request)."""
    form = ErasureRequestForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: erasure.ask(current_user._get_current_object(), form.note.data),
                           _("Your request is sent. An administrator of the centre will answer it."),
                           url_for("core.profile", _anchor="erasure"))
        if done:
            return done
    return _profile_page(form), 400  # not ticked, or refused: nothing asked


@bp.route("/profile/erasure-request/withdraw", methods=["POST"])
@requires("core:view_profile")
def erasure_request_withdraw():
    request_ = erasure.pending_request(current_user) or abort(404)
    return run_button(lambda: erasure.withdraw(request_, current_user._get_current_object()),
                      _("Your request is withdrawn."), url_for("core.profile", _anchor="erasure"))


@bp.route("/admin/erasure-requests")
@requires("core:erase_personal_data")
def erasure_requests():
    page = erasure.requests_page(request.args.get("page", 1, type=int))
    return render_template("core/erasure_requests.html", page=page)


@bp.route("/admin/erasure-requests/<int:request_id>/refuse", methods=["POST"])
@requires("core:erase_personal_data")
def erasure_request_refuse(request_id):
    asked = db.session.get(ErasureRequest, request_id) or abort(404)
    form = RefuseErasureForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: erasure.refuse(asked, current_user, form.answer.data),
                           _("The request is refused; the person is told why."),
                           url_for("core.erasure_requests"))
        if done:
            return done
    return _user_page(asked.user, _edit_form(asked.user, True), refuse_form=form, status=400)


@bp.route("/admin/users/<int:user_id>/data.zip", methods=["POST"])
@requires("core:export_personal_data")
def user_data(user_id):
    """The same ZIP of another person's data, for the administrator who answers their request."""
    user = db.session.get(User, user_id) or abort(404)
    return _personal_data_zip(user, url_for("core.user_edit", user_id=user.id))


def _personal_data_zip(user: User, back: str):
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    privacy.export_zip(user, out, current_user)
    db.session.commit()
    out.seek(0)
    response = send_file(out, mimetype="application/zip", as_attachment=True, max_age=0,
                         download_name=f"personal-data-{user.id}-{utcnow():%Y%m%d}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


bp.add_app_template_global(policies.html, "policy_html")


@bp.route("/policies")
@public
def policies_page():
    """The current policies, for anyone to read, signed in or not (the footer links here)."""
    return render_template("core/policies.html", policies=policies.current())


@bp.route("/policies/accept", methods=["GET", "POST"])
@requires("core:view_profile")
def policies_accept():
    """Where pages send a signed-in person while a current policy waits for their acceptance."""
    user = current_user._get_current_object()
    waiting = policies.pending_for(user)
    form = AcceptPoliciesForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = safe_next(form.next.data, url_for("core.home"))
    if not waiting:
        return redirect(target)
    form.accepted.choices = [SelectChoice(p.id, localized(p, "title")) for p in waiting]
    if form.validate_on_submit():
        done = run_service(form, lambda: policies.accept(user, set(form.accepted.data or ())),
                           _("Thank you. Your acceptance is recorded."), target)
        if done:
            return done
    return render_template("core/policies_accept.html", form=form, policies=waiting), 400 if form.errors else 200


@bp.route("/admin/policies", methods=["GET", "POST"])
@requires("core:manage_policies")
def policies_admin():
    form = PolicyForm()
    form.kind.choices = [SelectChoice(kind, str(words)) for kind, words in policies.KIND_NAMES.items()]
    current = policies.current()
    if request.method == "GET" and request.args.get("kind") in policies.KIND_NAMES:
        form.kind.data = request.args["kind"]
        newest = next((p for p in current if p.kind == form.kind.data), None)
        if newest is not None:  # the next version starts from the current text
            form.process(obj=newest, kind=newest.kind)
    if form.validate_on_submit():
        done = run_service(form, lambda: policies.publish(form.kind.data, form.data, current_user),
                           _("Published. Everyone it applies to is asked to accept it on their next page."),
                           url_for("core.policies_admin"))
        if done:
            return done
    current_ids = {p.id for p in current}
    rows = [(p, n, policies.asked_count(p) if p.id in current_ids else None) for p, n in policies.versions()]
    return render_template("core/policies_admin.html", form=form, rows=rows, kind_names=policies.KIND_NAMES), \
        400 if form.errors else 200


@bp.route("/admin/policies/<int:policy_id>/acceptances.<fmt>")
@requires("core:manage_policies")
def policy_acceptances(policy_id, fmt):
    """Who accepted a version and when (and, of the current one, who has not yet), as a table."""
    policy = db.session.get(Policy, policy_id) or abort(404)
    current = policy in policies.current()
    rows = [[user.full_name, user.email, localtime(at, fmt="yyyy-MM-dd HH:mm") if at else _("not yet")]
            for user, at in policies.acceptance_rows(policy, current)]
    return table_download(fmt, [_("Name"), _("E-mail"), _("Accepted")], rows,
                          f"policy-{policy.kind}-v{policy.version}", sheet=_("Accepted"))


def _roles_held(assignments) -> list[tuple[str, tuple[str, str | None] | None]]:
    """(role's name, (where, its page) or None for the whole system), system roles first: the
    plugins name their contexts in one call per level."""
    names = registry().names([Context(ra.context_level, ra.context_id) for ra in assignments])
    return sorted(((ROLE_NAMES.get(ra.role, ra.role), names.get(Context(ra.context_level, ra.context_id)))
                   for ra in assignments), key=lambda r: (r[1] is not None, str(r[0]), r[1] or ()))


@bp.route("/profile/password", methods=["GET", "POST"])
@requires("core:view_profile")
@limiter.limit(_login_limit, methods=["POST"])  # the current password must not be guessable here either
def password_change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()

        def change():
            passwords.change(user, form.current_password.data, form.password.data)
            login_user(user)  # this session goes on; every other one ends with the old password

        done = run_service(form, change, _("Your password is changed. Other browsers signed in as you are signed"
                                           " out."), url_for("core.profile"))
        if done:
            return done
    return render_template("core/password_change.html", form=form), 400 if form.errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def password_forgot():
    form = ForgotPasswordForm()
    if request.method == "GET":
        form.email.data = request.args.get("email", "")
    if form.validate_on_submit():
        message = passwords.request_reset(form.email.data)
        db.session.commit()
        # the same answer, as soon, whether or not the address has an account
        flash(_("If an account has this e-mail, a link to choose a new password is on its way. The link works for"
                " 2 hours. No message? Look in the spam folder, or ask your course's organiser."))
        response = redirect(url_for("core.login"))
        return mail.send_after_response(response, message) if message is not None else response
    return render_template("core/password_forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def password_set(token):
    try:
        user, _kind = passwords.user_for(token)
    except ServiceError as exc:
        return render_template("core/password_set.html", problem=exc.message, form=None), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: passwords.set_by_link(token, form.password.data),
                           _("Your password is set. You are signed in."), url_for("core.home"))
        if done:
            login_user(user)
            return done
    return render_template("core/password_set.html", form=form, user=user, problem=None), \
        400 if form.errors else 200


@bp.route("/admin/users")
@requires("core:manage_users")
def users():
    q = request.args.get("q", "").strip()
    stmt = select(User).order_by(User.sort_key)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.full_name).like(like)))
    page = paginate(stmt.options(selectinload(User.role_assignments)), request.args.get("page", 1, type=int))
    waiting = erasure.waiting_count() if has_capability(current_user, "core:erase_personal_data") else None
    return render_template("core/users.html", page=page, q=q, role_names=ROLE_NAMES, confirm=ConfirmForm(),
                           erasure_waiting=waiting)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires("core:manage_users")
def user_new():
    form = AccountForm()
    form.role.choices = [("", "—")] + [(r, ROLE_NAMES[r]) for r in _roles_to_give()]
    if form.validate_on_submit():
        def create():
            user = user_service.create_user(form.email.data, form.full_name.data, language=form.language.data,
                                            actor=current_user)
            if form.role.data:
                user_service.assign_role(user, form.role.data, actor=current_user)
            return user, passwords.send_link(user, current_user) if form.send_link.data else None

        def created(result) -> str:  # after the commit: the link now
            user, message = result
            if message is not None and mail.send_now(message):
                flash(_("Account %(email)s opened; a link to choose the password was sent.", email=user.email))
            else:
                flash(_("Account %(email)s opened. It has no password until a sign-in link is used.", email=user.email))
            return url_for("core.users", q=user.email)

        done = run_service(form, create, None, created)
        if done:
            return done
    return render_template("core/user_form.html", form=form), 400 if form.errors else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("core:manage_users")
def user_edit(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = _edit_form(user, request.method == "GET")
    if form.validate_on_submit():
        def save():
            user_service.update_user(user, form.email.data, form.full_name.data, form.language.data, current_user)
            user_service.set_system_roles(user, set(form.roles.data or ()), current_user)

        done = run_service(form, save, _("Saved."), url_for("core.user_edit", user_id=user.id))
        if done:
            return done
    return _user_page(user, form)


def _edit_form(user: User, filled: bool) -> UserEditForm:
    system = {ra.role for ra in user.role_assignments if ra.context_level == "system"}
    # filled: the account as it is (a GET, or under a refused erasure); else the POST's fields
    form = (UserEditForm(formdata=None, obj=user, roles=sorted(system)) if filled
            else UserEditForm(roles=sorted(system)))
    form.roles.choices = [(r, ROLE_NAMES[r]) for r in _roles_to_give() + (["admin"] if "admin" in system else [])]
    return form


def _user_page(user: User, form, erase_form=None, refuse_form=None, status: int | None = None):
    elsewhere = _roles_held([ra for ra in user.role_assignments if ra.context_level != "system"])
    asked = erasure.pending_request(user)
    if erase_form is None:  # a waiting request names itself as the reason
        erase_form = ErasureForm(formdata=None, reason=_("Request of %(date)s", date=localtime(
            asked.asked_at, fmt="d MMMM yyyy")) if asked else None)
    return render_template("core/user_edit.html", form=form, user=user, elsewhere=elsewhere,
                           confirm=ConfirmForm(), acceptances=policies.acceptances_of(user),
                           kind_names=policies.KIND_NAMES, erase_form=erase_form, asked=asked,
                           refuse_form=refuse_form or RefuseErasureForm(formdata=None)), \
        status or (400 if form.errors or erase_form.errors else 200)


@bp.route("/admin/users/<int:user_id>/erase", methods=["POST"])
@requires("core:erase_personal_data")
def user_erase(user_id):
    """Erase the person's data on their request (core/services/erasure.py): the e-mail typed
    again confirms it; the file store's bytes go once the erasure is committed."""
    user = db.session.get(User, user_id) or abort(404)
    form = ErasureForm()
    if form.validate_on_submit():
        def erase():
            if (form.confirm_email.data or "").strip().casefold() != user.email.casefold():
                raise ServiceError(_("Type the account's e-mail, %(email)s, exactly.", email=user.email),
                                   field="confirm_email")
            return erasure.erase(user, current_user, form.reason.data)

        def erased(done: erasure.Erasure) -> str:
            erasure.after_commit(done)
            return url_for("core.user_edit", user_id=user_id)

        name = user.full_name
        done = run_service(form, erase, _("The personal data of %(name)s is erased.", name=name), erased)
        if done:
            return done
    return _user_page(user, _edit_form(user, True), form, status=400)  # refused or not valid: nothing changed


def _roles_to_give() -> list[str]:
    """The system roles the reader may give: the administrator role only by an administrator."""
    return [r for r in SYSTEM_ROLES if r != "admin" or has_capability(current_user, "core:manage_admins")]


def _users_page_action(user_id: int) -> tuple[User, str]:
    """The account a users-page button acts on, and the page (its search and page) to go back to."""
    user = db.session.get(User, user_id) or abort(404)
    return user, url_for("core.users", q=request.form.get("q") or None, page=request.form.get("page", type=int))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires("core:manage_users")
def user_active(user_id):
    user, target = _users_page_action(user_id)
    active = request.form.get("active") == "1"
    return run_button(lambda: user_service.set_active(user, active, current_user),
                      _("%(email)s can sign in again.", email=user.email) if active else
                      _("%(email)s is disabled: signed out everywhere, and cannot sign in.", email=user.email),
                      target)


@bp.route("/admin/users/<int:user_id>/sign-in-link", methods=["POST"])
@requires("core:manage_users")
def user_sign_in_link(user_id):
    user, target = _users_page_action(user_id)

    def sent(message) -> None:
        if message is None:
            flash(_("A link went to %(email)s a moment ago; it was not sent again.", email=user.email), "warning")
        elif mail.send_now(message):
            flash(_("A sign-in link was sent to %(email)s.", email=user.email))
        else:
            flash(_("The link to %(email)s is queued; the mail server has not taken it yet.", email=user.email),
                  "warning")

    return run_button(lambda: passwords.send_link(user, current_user), None, target, sent)


@bp.route("/admin/schools", methods=["GET", "POST"])
@requires("core:manage_schools")
def schools():
    """The register, and its import (all or nothing: every bad row listed by line)."""
    form, errors, filename = SchoolImportForm(), [], None
    if form.validate_on_submit():
        filename = form.file.data.filename or "schools.csv"
        try:
            report = school_service.import_schools(form.file.data.read(), filename, current_user)
        except FileRefused as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("%(file)s: %(created)s schools added, %(updated)s updated, %(unchanged)s unchanged.",
                    file=filename, created=len(report.created), updated=len(report.updated),
                    unchanged=report.unchanged))
            return redirect(url_for("core.schools"))
    q = (request.args.get("q") or "").strip()
    stmt = select(School).options(selectinload(School.district)).order_by(School.name_kk)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(School.code.ilike(like), School.name_kk.ilike(like), School.name_ru.ilike(like)))
    page = paginate(stmt, request.args.get("page", 1, type=int))
    return render_template("core/schools.html", page=page, form=form, errors=errors, filename=filename, q=q), \
        400 if errors or form.errors else 200


@bp.route("/admin/schools/<int:school_id>", methods=["GET", "POST"])
@requires("core:manage_schools")
def school_edit(school_id):
    """One school corrected by hand; its code stays (files and participant lists know it by it)."""
    school = db.session.get(School, school_id) or abort(404)
    form = SchoolForm(obj=school if request.method == "GET" else None, district=school.district_id)
    if request.method == "GET" and school.internet_mbps is not None:
        form.internet_mbps.data = f"{school.internet_mbps:g}"
    districts = db.session.scalars(select(District).options(selectinload(District.region))
                                   .order_by(District.region_id, District.name_kk)).all()
    form.district.choices = [SelectChoice(d.id, f"{localized(d.region, 'name')} · {localized(d, 'name')}")
                             for d in districts]
    if form.validate_on_submit():
        chosen = next((d for d in districts if d.id == form.district.data), None)
        values = {k: getattr(form, k).data for k in school_service.FIELDS}
        done = run_service(form, lambda: school_service.update_school(school, values, chosen, current_user),
                           _("Saved."), url_for("core.schools", q=school.code))
        if done:
            return done
    return render_template("core/school_edit.html", form=form, school=school), 400 if form.errors else 200


@bp.route("/admin/backups")
@requires("core:manage_backups")
def backups():
    """The site's backups: whether the nightly one runs, each one to download or check."""
    entries = backup.listed()
    sound = [e for e in entries if e.problem is None]
    newest = sound[0].made_at if sound else None
    stale = newest is None or utcnow() - newest > BACKUP_STALE_AFTER
    ledger, ledger_problem = erasure.ledger_path(), None
    try:
        erased = len(erasure.read_ledger(ledger))
    except ServiceError as exc:  # a line that is not an entry: said here, mended by hand
        erased, ledger_problem = 0, exc.message
    return render_template("core/backups.html", entries=entries, newest=newest, stale=stale,
                           directory=backup.backup_dir(), keep=current_app.config["LMS"].backup_keep,
                           queued=bool(current_app.config["LMS"].redis_url), confirm=ConfirmForm(),
                           ledger=ledger, erased=erased, ledger_problem=ledger_problem)


#: a nightly backup older than this has missed a night: the page says so
BACKUP_STALE_AFTER = timedelta(hours=36)


@bp.route("/admin/backups/new", methods=["POST"])
@requires("core:manage_backups")
def backup_now():
    """With Redis, the worker makes it (a large site takes minutes); without, this request does."""
    target = url_for("core.backups")
    if current_app.config["LMS"].redis_url:
        return run_button(lambda: tasks.enqueue("site-backup"),
                          _("The backup is queued: it appears here when the worker has made it."), target)

    def made(report):
        flash(_("Backup %(file)s made: %(rows)s rows, %(files)s stored files.", file=report.path.name,
                rows=report.rows, files=report.files))
        if report.missing_files:
            flash(_("%(count)s stored files are missing or damaged in the file store and are not in the backup.",
                    count=len(report.missing_files)), "warning")

    return run_button(lambda: backup.back_up_site(actor=current_user), None, target, made)


@bp.route("/admin/backups/<name>")
@requires("core:manage_backups")
def backup_download(name):
    """Everyone's data leaves with a download: the audit log names who took which copy."""
    path = backup.find(name)
    if path is None:
        abort(404)
    audit.record(current_user, "site_backup_downloaded", ("Site", None), name, file=name)
    db.session.commit()
    return send_file(path, as_attachment=True, download_name=name, mimetype="application/zip")


@bp.route("/admin/backups/<name>/check", methods=["POST"])
@requires("core:manage_backups")
def backup_check(name):
    path = backup.find(name)
    if path is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            backup.check(path)
        except backup.BackupRefused as exc:
            flash(_("%(file)s is not sound; it cannot be restored: %(problems)s", file=name,
                    problems="; ".join(exc.reasons[:5]) + (" …" if len(exc.reasons) > 5 else "")), "error")
        else:
            flash(_("%(file)s is sound: every table and file reads back as it was written.", file=name))
    return redirect(url_for("core.backups"))


@bp.route("/admin/audit")
@requires("core:view_audit_log")
def audit_log():
    """Who did what, newest first, narrowed by action, person and object."""
    chosen = {k: (request.args.get(k) or "").strip() for k in ("action", "who", "object_type", "object_id")}
    page = paginate(audit.search(**{k: v or None for k, v in chosen.items()}), request.args.get("page", 1, type=int),
                    per_page=50)
    actions, types = audit.choices()
    words, type_words = current_app.extensions["lms_audit_actions"], current_app.extensions["lms_audit_types"]
    return render_template("core/audit.html", page=page, chosen=chosen,
                           types=sorted(types, key=lambda t: str(type_words.get(t, t)).casefold()),
                           actions=sorted(actions, key=lambda a: str(words.get(a, a)).casefold()),
                           action_words=lambda a: words.get(a, a), type_words=lambda t: type_words.get(t, t),
                           filters={k: v for k, v in chosen.items() if v})
