"""Catalogue, programme pages and programme authoring."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.permissions import Context, has_capability, public, requires
from lms.core.services.errors import ServiceError
from lms.core.web import send_stored, upload_of
from lms.courses import services
from lms.courses.services import competences
from lms.courses.services import programmes as programme_service
from lms.courses.views.common import add_staff as add_staff_from
from lms.courses.views.common import remove_staff as remove_staff_button
from lms.courses.views.common import run_service
from lms.courses.forms import ConfirmForm, MaterialForm, ModuleForm, ProgrammeForm, StaffForm, TopicForm
from lms.courses.models import Material, Programme
from lms.db import db, db_int

bp = Blueprint("courses", __name__, template_folder="../templates", url_prefix="/programmes")


def _load(code: str, version: int | None = None) -> Programme:
    try:
        programme = services.get_programme(code, version)
    except ServiceError:
        abort(404)
    g.programme = programme
    return programme


def programme_context(code: str, version: int, **_kwargs) -> Context:
    return services.programme_context(_load(code, version))


def _visible(code: str, version: int | None = None) -> Programme:
    programme = _load(code, version)
    if not services.can_see(current_user, programme):
        abort(404)  # a draft's existence is nobody else's business
    return programme


def _topic(programme: Programme, topic_code: str):
    topic = next((t for t in programme.topics if t.code == topic_code), None)
    if topic is None:
        abort(404)
    return topic


def _programme_url(p: Programme, **kw) -> str:
    return url_for("courses.programme_version", code=p.code, version=p.version, **kw)


@bp.route("/")
@public
def catalogue():
    return render_template("courses/catalogue.html", programmes=services.catalogue(current_user))


@bp.route("/<code>")
@public
def programme(code):
    return _show(_visible(code))


@bp.route("/<code>/v<int:version>")
@public
def programme_version(code, version):
    return _show(_visible(code, version))


def _show(p: Programme, staff_form: StaffForm | None = None):
    plans = [services.hour_plan(p, f.code) for f in p.formats]
    managing = has_capability(current_user, "courses:approve_programmes", services.programme_context(p))
    return render_template("courses/programme.html", p=p, plans=plans, versions=services.versions(p.code),
                           framework=competences.framework_for(p.code), topics={t.code: t for t in p.topics},
                           confirm=ConfirmForm(), staff=programme_service.staff_by_role(p) if managing else None,
                           staff_form=staff_form or StaffForm(formdata=None)), 400 if staff_form and staff_form.errors \
        else 200


@bp.route("/<code>/v<int:version>/staff", methods=["POST"])
@requires("courses:approve_programmes", programme_context)
def add_staff(code, version):
    """Who works on the programme as a whole (a cohort's own staff are on its participants page)."""
    p = _load(code, version)
    form = StaffForm()
    done = add_staff_from(form, lambda user, role: programme_service.assign_staff(p, user, role, current_user),
                          _("Added to the programme's staff."), _programme_url(p, _anchor="staff"))
    if done:
        return done
    return _show(p, form)


@bp.route("/<code>/v<int:version>/staff/remove", methods=["POST"])
@requires("courses:approve_programmes", programme_context)
def remove_staff(code, version):
    p = _load(code, version)
    return remove_staff_button(lambda user, role: programme_service.remove_staff(p, user, role, current_user),
                               _("Removed from the programme's staff; what they did stays."),
                               _programme_url(p, _anchor="staff"))


@bp.route("/<code>/v<int:version>/topics/<topic_code>")
@public
def topic(code, version, topic_code):
    p = _visible(code, version)
    topic = _topic(p, topic_code)
    staff = services.reads_staff_materials(current_user, p)
    return render_template("courses/topic.html", p=p, topic=topic, materials=services.materials_for(topic, staff),
                           confirm=ConfirmForm())


# --- authoring ----------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@requires("courses:manage_programmes")
def create():
    form = ProgrammeForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: services.create_programme(form.data, current_user),
                        _("Programme created as a draft."), _programme_url)
        if done:
            return done
    return render_template("courses/programme_form.html", form=form, p=None)


@bp.route("/<code>/v<int:version>/edit", methods=["GET", "POST"])
@requires("courses:manage_programmes", programme_context)
def edit(code, version):
    p = g.programme
    form = ProgrammeForm(obj=p)
    if request.method == "GET":
        for lang in ("kk", "ru", "en"):
            getattr(form, f"goal_{lang}").data = (p.goal or {}).get(lang, "")
        form.formats.data = [f.code for f in p.formats]
    form.code.data = p.code
    if form.validate_on_submit():
        done = run_service(form, lambda: services.update_programme(p, form.data, current_user),
                        _("Saved."), _programme_url(p))
        if done:
            return done
    return render_template("courses/programme_form.html", form=form, p=p, confirm=ConfirmForm())


@bp.route("/<code>/v<int:version>/modules/new", methods=["GET", "POST"])
@bp.route("/<code>/v<int:version>/modules/<int:number>/edit", methods=["GET", "POST"])
@requires("courses:manage_programmes", programme_context)
def module_form(code, version, number=None):
    p = g.programme
    module = None
    if number is not None:
        module = next((m for m in p.modules if m.number == number), None) or abort(404)
    form = ModuleForm(obj=module)
    if module is None and request.method == "GET":
        form.number.data = max((m.number for m in p.modules), default=0) + 1
    if form.validate_on_submit():
        done = run_service(form, lambda: services.save_module(p, form.data, current_user, module),
                        _("Module saved."), _programme_url(p))
        if done:
            return done
    return render_template("courses/module_form.html", form=form, p=p, module=module, confirm=ConfirmForm())


@bp.route("/<code>/v<int:version>/topics/new", methods=["GET", "POST"])
@bp.route("/<code>/v<int:version>/topics/<topic_code>/edit", methods=["GET", "POST"])
@requires("courses:manage_programmes", programme_context)
def topic_form(code, version, topic_code=None):
    p = g.programme
    topic = _topic(p, topic_code) if topic_code else None
    module_number = request.args.get("module", type=db_int)
    module = topic.module if topic else next((m for m in p.modules if m.number == module_number), None)
    if topic is None and module is None:
        abort(404)
    form = TopicForm(obj=topic)
    if topic is None and request.method == "GET":
        form.code.data = f"{module.number}.{len(module.topics) + 1}"
    hours = topic.hours if topic else {}
    if request.method == "POST":
        hours = {}
        for f in p.formats:
            for kind in list(f.kinds) + ["total"]:
                raw = request.form.get(f"hours-{f.code}-{kind}", "").strip()
                if raw:
                    hours.setdefault(f.code, {})[kind] = raw
    if form.validate_on_submit():
        fields = {**form.data, **request.form.to_dict()}
        done = run_service(form, lambda: services.save_topic(p, module, fields, current_user, topic),
                        _("Topic saved."), _programme_url(p))
        if done:
            return done
    return render_template("courses/topic_form.html", form=form, p=p, module=module, topic=topic, hours=hours,
                           confirm=ConfirmForm())


@bp.route("/<code>/v<int:version>/topics/<topic_code>/delete", methods=["POST"])
@requires("courses:manage_programmes", programme_context)
def topic_delete(code, version, topic_code):
    p = g.programme
    topic = _topic(p, topic_code)
    if ConfirmForm().validate_on_submit():
        return run_service(None, lambda: services.delete_topic(p, topic, current_user),
                        _("Topic deleted."), _programme_url(p)) or redirect(_programme_url(p))
    abort(400)


@bp.route("/<code>/v<int:version>/topics/<topic_code>/materials/new", methods=["GET", "POST"])
@bp.route("/<code>/v<int:version>/topics/<topic_code>/materials/<int:material_id>/edit", methods=["GET", "POST"])
@requires("courses:manage_programmes", programme_context)
def material_form(code, version, topic_code, material_id=None):
    p = g.programme
    topic = _topic(p, topic_code)
    material = None
    if material_id is not None:
        material = db.session.get(Material, material_id)
        if material is None or material.topic_id != topic.id:
            abort(404)
    form = MaterialForm(obj=material)
    back = url_for("courses.topic", code=p.code, version=p.version, topic_code=topic.code)
    if form.validate_on_submit():
        done = run_service(form, lambda: services.save_material(topic, form.data, current_user, material,
                                                                upload_of(form.file)),
                        _("Material saved."), back)
        if done:
            return done
    return render_template("courses/material_form.html", form=form, p=p, topic=topic, material=material,
                           confirm=ConfirmForm())


@bp.route("/<code>/v<int:version>/topics/<topic_code>/materials/<int:material_id>/file")
@public
def material_file(code, version, topic_code, material_id):
    """A material's attached file, to whoever may read its topic page."""
    p = _visible(code, version)
    topic = _topic(p, topic_code)
    material = db.session.get(Material, material_id)
    if material is None or material.topic_id != topic.id or material not in services.materials_for(
            topic, services.reads_staff_materials(current_user, p)):
        abort(404)
    return send_stored(material.file)


@bp.route("/<code>/v<int:version>/topics/<topic_code>/materials/<int:material_id>/delete", methods=["POST"])
@requires("courses:manage_programmes", programme_context)
def material_delete(code, version, topic_code, material_id):
    p = g.programme
    topic = _topic(p, topic_code)
    material = db.session.get(Material, material_id)
    if material is None or material.topic_id != topic.id:
        abort(404)
    back = url_for("courses.topic", code=p.code, version=p.version, topic_code=topic.code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return run_service(None, lambda: services.delete_material(material, current_user),
                    _("Material deleted."), back) or redirect(back)


@bp.route("/<code>/v<int:version>/new-version", methods=["POST"])
@requires("courses:manage_programmes", programme_context)
def create_version(code, version):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = services.new_version(g.programme, current_user)
    db.session.commit()
    flash(_("Version %(version)s is a draft copy you can edit.", version=draft.version))
    return redirect(_programme_url(draft))


@bp.route("/<code>/v<int:version>/approve", methods=["POST"])
@requires("courses:approve_programmes", programme_context)
def approve(code, version):
    p = g.programme
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return run_service(None, lambda: services.approve(p, current_user),
                    _("Approved. The programme is now read-only."), _programme_url(p)) or redirect(_programme_url(p))


@bp.route("/<code>/v<int:version>/modules/<int:number>/pack.<fmt>")
@public
def module_pack(code, version, number, fmt):
    """A module's materials for reading offline: one PDF, or a ZIP with the PDF,
    Markdown sources and an HTML page."""
    from flask import Response

    from lms.core.i18n import current_language
    from lms.courses.services import offline_pack

    if fmt not in ("pdf", "zip"):
        abort(404)
    p = _visible(code, version)
    try:
        module = offline_pack.module_of(p, number)
    except ServiceError:
        abort(404)
    lang, staff = current_language(), services.reads_staff_materials(current_user, p)
    if fmt == "pdf":
        body, mime = offline_pack.module_pdf(p, module, lang, staff=staff), "application/pdf"
    else:
        body, mime = offline_pack.module_zip(p, module, lang, staff=staff), "application/zip"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{p.code}-module-{number}.{fmt}"'})
