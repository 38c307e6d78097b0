"""The trainer's bank pages: the banks, a bank's items (filters, counts per topic, import and
export), one item (its versions, status, a revision), and the bank's blueprints.

A bank is checked in its programme's context; the list shows only the banks the user may
manage. Nothing here edits an item version: a revision adds one, so attempts keep theirs."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from lms.core.models import User
from lms.core.pagination import paginate
from lms.core.permissions import Context, has_capability, requires
from lms.core.services.errors import ServiceError
from lms.core.views import safe_next
from lms.db import db, db_int
from lms.courses.forms import ConfirmForm
from lms.quizbank.formats import ItemFileError, parse
from lms.quizbank.forms.banks import (
    ANY, BankCreateForm, BankImportForm, BlueprintForm, ItemFilterForm, ItemRevisionForm, ItemStatusForm,
    ItemsWriteForm, ItemTextForm,
)
from lms.quizbank.models import LEVELS, Bank, Blueprint
from lms.quizbank.services import banks as bank_service
from lms.quizbank.services import blueprints as blueprint_service
from lms.quizbank.services import draw as draw_service
from lms.quizbank.services import preview as preview_service
from lms.quizbank.views.attempts import shown_answer, slot_view
from lms.quizbank.views.common import bp, load_bank, run_service

MANAGE = "quizbank:manage"
PER_PAGE = 25
EXPORTS = {"gift": ("text/plain", "gift.txt"), "xml": ("application/xml", "moodle.xml")}


def bank_context(bank_code: str, **_kw) -> Context:
    """For `requires`: the bank from the URL (404), checked in its programme's context."""
    bank = load_bank(bank_code)
    return bank_service.bank_contexts([bank])[bank.id]


def item_context(bank_code: str, item_id: int, **_kw) -> Context:
    ctx = bank_context(bank_code)
    try:
        g.item = bank_service.get_item(g.bank, item_id)
    except ServiceError:
        abort(404)
    return ctx


def blueprint_context(bank_code: str, blueprint_id: int | None = None, **_kw) -> Context:
    ctx = bank_context(bank_code)
    g.blueprint = None
    if blueprint_id is not None:
        g.blueprint = db.session.get(Blueprint, blueprint_id)
        if g.blueprint is None or g.blueprint.bank_id != g.bank.id:
            abort(404)
    return ctx


# --- the banks ---------------------------------------------------------------------------------

def _manageable_programmes() -> list[str]:
    from lms.courses.models import Programme

    codes = db.session.scalars(select(Programme.code).distinct().order_by(Programme.code)).all()
    contexts = bank_service.programme_contexts(codes)
    return [c for c in codes if c in contexts and has_capability(current_user, MANAGE, contexts[c])]


def _banks_page(form: BankCreateForm):
    rows = bank_service.bank_overview()
    contexts = bank_service.bank_contexts([r["bank"] for r in rows])
    rows = [r for r in rows if has_capability(current_user, MANAGE, contexts[r["bank"].id])]
    return render_template("quizbank/banks.html", rows=rows, form=form)


def _create_form() -> BankCreateForm:
    form = BankCreateForm()
    form.programme.choices = [SelectChoice("", "—")] + [SelectChoice(c, c) for c in _manageable_programmes()]
    return form


@bp.route("/banks")
@requires(MANAGE, anywhere=True)
def banks():
    return _banks_page(_create_form())


@bp.route("/banks/new", methods=["POST"])
@requires(MANAGE, anywhere=True)
def bank_create():
    """A bank for a programme the user manages (the choices hold only those)."""
    form = _create_form()
    if form.validate_on_submit():
        done = run_service(form, lambda: bank_service.create_bank(form.code.data, form.programme.data, form.title.data,
                                                             current_user),
                      _("Bank created. Import its items from a GIFT or Moodle XML file."),
                      lambda bank: url_for("quizbank.bank", bank_code=bank.code))
        if done:
            return done
    return _banks_page(form)


# --- one bank: its items, import, export -------------------------------------------------------

def _filters(topics: list[dict]) -> tuple[ItemFilterForm, dict, dict]:
    """The item filters of the query string: the form, the values chosen (for links) and the
    same as `items_query` arguments."""
    topic_choices = [*ANY, *(SelectChoice(t["topic"], t["topic"]) for t in topics)]
    filters = ItemFilterForm(request.args)
    filters.topic.choices = topic_choices
    if not filters.validate():
        filters = ItemFilterForm()  # a hand-made URL with a bad value shows everything
        filters.topic.choices = topic_choices
    chosen = {name: value for name, value in filters.data.items() if value}
    return filters, chosen, {("text" if name == "q" else name): value for name, value in chosen.items()}


def _bank_page(bank: Bank, import_form: BankImportForm, import_errors=None, filename: str | None = None):
    topics = bank_service.topic_counts(bank)
    filters, chosen, query = _filters(topics)
    page = paginate(bank_service.items_query(bank, **query), request.args.get("page", 1, type=int), PER_PAGE)
    blueprints = db.session.scalar(select(func.count()).select_from(Blueprint).where(Blueprint.bank_id == bank.id))
    return render_template("quizbank/bank.html", bank=bank, topics=topics, filters=filters, chosen=chosen,
                           page=page, import_form=import_form, import_errors=import_errors or [],
                           filename=filename, blueprints=blueprints, status_form=ItemStatusForm(formdata=None, status="ready"))


@bp.route("/banks/<bank_code>")
@requires(MANAGE, bank_context)
def bank(bank_code):
    return _bank_page(g.bank, BankImportForm(formdata=None))


@bp.route("/banks/<bank_code>/import", methods=["POST"])
@requires(MANAGE, bank_context)
def bank_import(bank_code):
    """All or nothing: a file with any problem imports nothing and the page lists every one by line."""
    bank = g.bank
    form = BankImportForm()
    if not form.validate_on_submit():
        return _bank_page(bank, form)
    upload = form.file.data
    filename = upload.filename or "items"
    try:
        report = bank_service.import_items(bank, parse(upload.read(), filename), current_user, filename)
    except ItemFileError as exc:
        db.session.rollback()
        return _bank_page(bank, form, exc.errors, filename)
    except ServiceError as exc:
        db.session.rollback()
        form.file.errors = list(form.file.errors) + [exc.message]
        return _bank_page(bank, form)
    db.session.commit()
    _flash_report(report, filename)
    return redirect(url_for("quizbank.bank", bank_code=bank.code))


def _flash_report(report: bank_service.BankImportReport, filename: str) -> None:
    flash(_("%(file)s imported: %(created)s new items, %(versions)s new versions, %(unchanged)s unchanged,"
            " %(skipped)s skipped.", file=filename, created=len(report.created),
            versions=len(report.new_versions), unchanged=len(report.unchanged), skipped=len(report.skipped)))
    if report.generated:
        given = [_("line %(line)s → %(code)s", line=line, code=code) for line, code in report.generated]
        flash(_("Codes given to items that had none: %(codes)s.", codes=", ".join(given)))
    for skipped in report.skipped:
        flash(_("Line %(line)s skipped: %(reason)s", line=skipped.line, reason=skipped.reason), "warning")


@bp.route("/banks/<bank_code>/items/new", methods=["GET", "POST"])
@requires(MANAGE, bank_context)
def items_write(bank_code):
    """New questions written on the page in GIFT (Moodle's "create a new question", for every
    type at once); checked as a file is: any problem, nothing saved, every one named by line."""
    form = ItemsWriteForm(topic=request.args.get("topic"))
    model = request.args.get("like", type=db_int)  # "write a similar question": this item's text to start from
    if request.method == "GET" and model:
        try:
            like = bank_service.get_item(g.bank, model)
        except ServiceError:
            abort(404)
        form = ItemsWriteForm(topic=like.topic_code, level=like.level, text=bank_service.item_as_text(like.current))
    form.topic.choices = [SelectChoice(t["topic"], t["topic"]) for t in bank_service.topic_counts(g.bank)]
    errors, checked = [], None
    if form.validate_on_submit():
        source = _("the text")
        done, report, errors = _from_text(form, lambda: bank_service.write_items(
            g.bank, form.text.data, form.topic.data, form.level.data, form.draft.data, current_user, source))
        if done:
            if request.form.get("action") == "check":  # the same checks, then nothing kept
                db.session.rollback()
                checked = report
            else:
                db.session.commit()
                _flash_report(report, source)
                return redirect(url_for("quizbank.bank", bank_code=g.bank.code, topic=form.topic.data))
    return render_template("quizbank/items_write.html", bank=g.bank, form=form, errors=errors, checked=checked)


@bp.route("/banks/<bank_code>/items/status", methods=["POST"])
@requires(MANAGE, bank_context)
def items_status(bank_code):
    """The status of the items ticked on a page of the bank (all or nothing); back to that page."""
    form = ItemStatusForm()
    back = safe_next(request.form.get("back"), url_for("quizbank.bank", bank_code=g.bank.code))
    if not form.validate_on_submit():
        flash(_("Choose draft, ready or retired."), "error")
        return redirect(back)
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit()]
    status = {c.value: c.label for c in form.status.choices}[form.status.data]
    return run_service(None, lambda: bank_service.set_status_many(g.bank, ids, form.status.data, current_user),
                       ngettext("%(num)s item is now %(status)s.", "%(num)s items are now %(status)s.",
                                len(set(ids)), status=status), back) or redirect(back)


@bp.route("/banks/<bank_code>/export.<fmt>")
@requires(MANAGE, bank_context)
def bank_export(bank_code, fmt):
    """Every non-retired item's current version, or the items the bank page's filters show;
    importing the file back gives the same items."""
    if fmt not in EXPORTS:
        abort(404)
    mimetype, suffix = EXPORTS[fmt]
    _form, _chosen, query = _filters(bank_service.topic_counts(g.bank))
    body = bank_service.export_items(g.bank, fmt, **query)
    name = "-".join([g.bank.code, *(str(query[k]) for k in ("topic", "level", "status", "qtype") if k in query),
                     *(["selection"] if "text" in query else []), suffix])
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- one item ----------------------------------------------------------------------------------

def feedback_slots(qtype: str, data: dict) -> list[tuple[str, str | None]]:
    """(label, feedback) of every place the type gives feedback, in data order."""
    if qtype in ("single", "multiple"):
        return [(o.get("text", ""), o.get("feedback")) for o in data.get("options", [])]
    if qtype in ("short", "numerical"):
        key = "text" if qtype == "short" else "value"
        return [(_("Answer %(answer)s", answer=a.get(key)), a.get("feedback")) for a in data.get("answers", [])]
    if qtype == "truefalse":
        return [(_("Feedback for “true”"), data.get("feedback_true")),
                (_("Feedback for “false”"), data.get("feedback_false"))]
    if qtype == "essay":
        return [(_("Information for graders"), data.get("grader_info"))]
    return []


def with_feedback(qtype: str, data: dict, values: list[str]) -> dict:
    """A copy of `data` with the feedback of `feedback_slots` replaced (empty text: none)."""
    import copy

    data = copy.deepcopy(data)
    values = [(v or "").strip() or None for v in values]
    if qtype in ("single", "multiple", "short", "numerical"):
        rows = data.get("options" if qtype in ("single", "multiple") else "answers", [])
        for row, value in zip(rows, values):
            row["feedback"] = value
    elif qtype == "truefalse":
        for key, value in zip(("feedback_true", "feedback_false"), values):
            data[key] = value
    elif qtype == "essay" and values:
        data["grader_info"] = values[0]
    return data


@bp.route("/banks/<bank_code>/items/<int:item_id>")
@requires(MANAGE, item_context)
def item(bank_code, item_id):
    item = g.item
    author_ids = {v.created_by_id for v in item.versions if v.created_by_id}
    authors = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(author_ids))).all()) \
        if author_ids else {}
    status_form = ItemStatusForm(formdata=None, status=item.status)
    changes = {v.number: bank_service.version_changes(v, after) for v, after in zip(item.versions, item.versions[1:])}
    return render_template("quizbank/item.html", bank=g.bank, item=item, current=item.current,
                           older=list(reversed(item.versions[:-1])), uses=bank_service.version_uses(item),
                           authors=authors, status_form=status_form, changes=changes)


def _from_text(form, action) -> tuple[bool, object, list]:
    """Run `action` on a page's GIFT text: (True, its result, []) or, refused and rolled back,
    (False, None, the problems by line) with any other refusal shown under the text field."""
    try:
        return True, action(), []
    except ItemFileError as exc:
        db.session.rollback()
        return False, None, exc.errors
    except ServiceError as exc:
        db.session.rollback()
        form.text.errors = [*form.text.errors, exc.message]
        return False, None, []


def _saved_as(number: int) -> str:
    return _("Saved as version %(n)s; attempts keep the version they showed. If it corrects a key or a mark,"
             " regrade the tests that showed it from their results page.", n=number)


@bp.route("/banks/<bank_code>/items/<int:item_id>/edit-text", methods=["GET", "POST"])
@requires(MANAGE, item_context)
def item_edit_text(bank_code, item_id):
    """Everything of an item as GIFT, right answers and marks included, saved as a new version."""
    item, current = g.item, g.item.current
    form = ItemTextForm() if request.method == "POST" else \
        ItemTextForm(data={"base_version": current.number, "text": bank_service.item_as_text(current)})
    errors = []
    if form.validate_on_submit():
        done, _version, errors = _from_text(form, lambda: bank_service.revise_from_text(
            item, form.text.data, form.base_version.data, current_user, item.code))
        if done:
            db.session.commit()
            flash(_saved_as(current.number + 1))
            return redirect(url_for("quizbank.item", bank_code=g.bank.code, item_id=item.id))
    return render_template("quizbank/item_text.html", bank=g.bank, item=item, current=current, form=form,
                           errors=errors)


@bp.route("/banks/<bank_code>/items/<int:item_id>/preview", methods=["GET", "POST"])
@requires(MANAGE, item_context)
def item_preview(bank_code, item_id):
    """The item as a participant meets it, answered and scored here; nothing is stored.
    `?version=N` previews an earlier version."""
    item = g.item
    number = request.values.get("version", type=db_int)
    version = next((v for v in item.versions if v.number == number), None) if number else item.current
    if version is None:
        abort(404)
    form = ConfirmForm()
    seed = draw_service.seed_or_new(request.form.get("seed", type=int) if request.method == "POST" else None)
    slot = preview_service.slot_for(version, seed)
    checked, problem = None, None
    if request.method == "POST" and form.validate_on_submit():
        q = slot_view(slot)
        try:
            checked = preview_service.check(slot, shown_answer(slot.slot, version.qtype, q["view"], request.form))
        except ServiceError as exc:
            problem = exc.message
    return render_template("quizbank/item_preview.html", bank=g.bank, item=item, version=version, seed=seed,
                           q=slot_view(slot), form=form, checked=checked, problem=problem), 400 if problem else 200


@bp.route("/banks/<bank_code>/items/<int:item_id>/status", methods=["POST"])
@requires(MANAGE, item_context)
def item_status(bank_code, item_id):
    item = g.item
    form = ItemStatusForm()
    back = url_for("quizbank.item", bank_code=g.bank.code, item_id=item.id)
    if not form.validate_on_submit():
        flash(_("Choose draft, ready or retired."), "error")
        return redirect(back)
    return run_service(None, lambda: bank_service.set_status(item, form.status.data, current_user),
                  _("%(code)s is now %(status)s.", code=item.code,
                    status={c.value: c.label for c in form.status.choices}[form.status.data]),
                  back) or redirect(back)


@bp.route("/banks/<bank_code>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(MANAGE, item_context)
def item_edit(bank_code, item_id):
    """Saving makes a new version; attempts that showed the current one keep it."""
    item, current = g.item, g.item.current
    slots = feedback_slots(current.qtype, current.data or {})
    if request.method == "POST":
        form = ItemRevisionForm()
    else:
        form = ItemRevisionForm(data={"base_version": current.number, "title": current.title or "",
                                      "text": current.text, "general_feedback": current.general_feedback or "",
                                      "feedback": [value or "" for _label, value in slots]})
    if form.validate_on_submit():
        fields = {"base_version": form.base_version.data, "title": form.title.data, "text": form.text.data,
                  "general_feedback": form.general_feedback.data,
                  "data": with_feedback(current.qtype, current.data or {}, [e.data for e in form.feedback.entries])}
        done = run_service(form, lambda: bank_service.revise_item(item, fields, current_user),
                           _saved_as(current.number + 1),
                           url_for("quizbank.item", bank_code=g.bank.code, item_id=item.id))
        if done:
            return done
    labels = [label for label, _value in slots]
    return render_template("quizbank/item_form.html", bank=g.bank, item=item, current=current, form=form,
                           labels=labels)


# --- blueprints --------------------------------------------------------------------------------

@bp.route("/banks/<bank_code>/blueprints")
@requires(MANAGE, bank_context)
def blueprints(bank_code):
    """Each blueprint with what keeps it from being published (one statement per blueprint)."""
    rows = db.session.scalars(select(Blueprint).where(Blueprint.bank_id == g.bank.id).order_by(Blueprint.code)).all()
    return render_template("quizbank/blueprints.html", bank=g.bank,
                           rows=[(b, blueprint_service.check_publishable(b)) for b in rows],
                           format_rules=blueprint_service.format_rules, format_quotas=format_quotas)


def format_quotas(quotas: dict) -> str:
    """The form's text for level quotas, read back by `parse_quotas`."""
    return ", ".join(f"{lv} {quotas[lv]}" for lv in LEVELS if quotas.get(lv))


@bp.route("/banks/<bank_code>/blueprints/new", methods=["GET", "POST"])
@bp.route("/banks/<bank_code>/blueprints/<int:blueprint_id>/edit", methods=["GET", "POST"])
@requires(MANAGE, blueprint_context)
def blueprint_edit(bank_code, blueprint_id=None):
    bank, blueprint = g.bank, g.blueprint
    if request.method == "POST":
        form = BlueprintForm()
    elif blueprint is not None:
        form = BlueprintForm(data={"code": blueprint.code, "title": blueprint.title, "total": blueprint.total,
                                   "rules": blueprint_service.format_rules(blueprint.rules),
                                   "level_quotas": format_quotas(blueprint.level_quotas or {})})
    else:
        form = BlueprintForm(data={"code": f"{bank.code}-"})
    if form.validate_on_submit():
        fields = {name: form[name].data for name in ("code", "title", "total", "rules", "level_quotas")}
        done = run_service(form, lambda: blueprint_service.save_blueprint(bank, fields, current_user, blueprint),
                      _("Blueprint saved."),
                      lambda saved: url_for("quizbank.blueprint_edit", bank_code=bank.code, blueprint_id=saved.id))
        if done:
            return done
    problems = blueprint_service.check_publishable(blueprint) if blueprint is not None else []
    return render_template("quizbank/blueprint_form.html", bank=bank, blueprint=blueprint, form=form,
                           problems=problems, topics=bank_service.topic_counts(bank))
