"""Programme authoring and the content files, shared by the views, the CLI and the API.

Services validate, change, flush and signal; they never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.permissions import Context, has_capability
from lms.core.services import audit, files
from lms.core.services import users as user_service
from lms.core.services.errors import Conflict, NotFound, ReadOnly, ServiceError, about
from lms.core.services.markup import render_markdown
from lms.courses import content
from lms.courses.models import (
    AUDIENCES, FORMAT_CODES, MATERIAL_AUDIENCES, Material, Module, Programme, ProgrammeFormat, Topic,
)
from lms.db import db, utcnow
from lms.signals import content_loaded, programme_approved, programme_created, programme_versioned

LANGS = ("kk", "ru", "en")


# --- reading -----------------------------------------------------------------------------

def programme_context(programme: Programme) -> Context:
    return Context("programme", programme.id)


def can_see(user, programme: Programme) -> bool:
    return programme.status == "approved" or has_capability(user, "courses:view_drafts", programme_context(programme))


def reads_staff_materials(user, programme: Programme) -> bool:
    """A trainer's guide is for those who author and run the programme."""
    return has_capability(user, "courses:view_drafts", programme_context(programme))


def materials_for(topic: Topic, staff: bool) -> list[Material]:
    return [m for m in topic.materials if staff or m.audience == "all"]


def catalogue(user) -> list[Programme]:
    """The newest approved version of each programme; authors also see newer drafts."""
    rows = db.session.scalars(select(Programme).order_by(Programme.code, Programme.version.desc())).all()
    newest: dict[str, Programme] = {}
    drafts: list[Programme] = []
    for p in rows:
        if p.status == "approved" and p.code not in newest:
            newest[p.code] = p
        elif p.status == "draft" and can_see(user, p):
            drafts.append(p)
    return list(newest.values()) + [d for d in drafts if d.code not in newest or d.version > newest[d.code].version]


#: a programme's version that stands for it: the newest approved one, else the newest draft
NEWEST_FIRST = ((Programme.status == "approved").desc(), Programme.version.desc())


def newest(code: str) -> Programme | None:
    """The version that stands for programme `code` (its title, say), without its modules."""
    return db.session.scalars(select(Programme).where(Programme.code == code).order_by(*NEWEST_FIRST)
                              .limit(1)).first()


def get_programme(code: str, version: int | None = None) -> Programme:
    stmt = select(Programme).where(Programme.code == code).options(
        selectinload(Programme.formats), selectinload(Programme.modules), selectinload(Programme.topics))
    if version is None:
        stmt = stmt.order_by(*NEWEST_FIRST)
    else:
        stmt = stmt.where(Programme.version == version)
    programme = db.session.scalars(stmt.limit(1)).first()
    if programme is None:
        raise NotFound(_l("no programme %(code)s version %(version)s", code=code, version=version) if version else
                       _l("no programme %(code)s", code=code))
    return programme


def versions(code: str) -> list[Programme]:
    return list(db.session.scalars(select(Programme).where(Programme.code == code).order_by(Programme.version)))


@dataclass
class PlanRow:
    kind: str  # "module" | "topic" | "extra"
    code: str
    title: object
    cells: dict
    #: for module rows: the sum of the topics, where it differs from what is printed
    mismatch: dict = field(default_factory=dict)
    obj: object = None


@dataclass
class HourPlan:
    format: ProgrammeFormat
    rows: list[PlanRow]
    totals: dict


def hour_plan(programme: Programme, format_code: str) -> HourPlan:
    """The seed's table for one format: rows, columns and the printed «Барлығы» row."""
    fmt = programme.format(format_code)
    if fmt is None:
        raise NotFound(_l("programme %(code)s has no format %(format)s", code=programme.code, format=format_code))
    rows: list[PlanRow] = []

    def extra(position):
        for t in programme.topics:
            if t.module_id is None and t.position == position and t.hours.get(format_code):
                rows.append(PlanRow("extra", t.code, t, t.hours[format_code], obj=t))

    by_module: dict[int, list[Topic]] = {}
    for t in programme.topics:  # one loaded list, not a query per module
        if t.module_id is not None:
            by_module.setdefault(t.module_id, []).append(t)
    extra("start")
    for m in programme.modules:
        topics = by_module.get(m.id, [])
        printed = m.hours.get(format_code) or {}
        summed: dict = {}
        for t in topics:
            for k, v in (t.hours.get(format_code) or {}).items():
                summed[k] = summed.get(k, 0) + v
        mismatch = {k: v for k, v in summed.items() if printed and k in printed and printed[k] != v}
        rows.append(PlanRow("module", str(m.number), m, printed or summed, mismatch, obj=m))
        for t in topics:
            rows.append(PlanRow("topic", t.code, t, t.hours.get(format_code) or {}, obj=t))
    extra("end")
    return HourPlan(fmt, rows, fmt.totals)


# --- content files: data <-> rows --------------------------------------------------------

def _texts(obj, field_name: str) -> dict:
    return {lang: getattr(obj, f"{field_name}_{lang}") for lang in LANGS if getattr(obj, f"{field_name}_{lang}")}


def _set_texts(obj, field_name: str, texts: dict) -> None:
    for lang in LANGS:
        setattr(obj, f"{field_name}_{lang}", (texts or {}).get(lang) or None)


def _clean(d: dict) -> dict:
    """Drop optional fields that are empty, so equal content has one written form."""
    return {k: v for k, v in d.items() if v not in (None, {}, [], "")}


def normalize(data: dict) -> dict:
    """The canonical form of a content file: what export writes and load reads."""
    def hours(h):
        return {f: dict(c) for f, c in (h or {}).items() if c}

    out = _clean({
        "code": data["code"], "version": data["version"], "status": data["status"],
        "audience": data["audience"], "hours": data["hours"], "source": data.get("source"),
        "title": data["title"], "goal": data.get("goal"),
        "objectives": data.get("objectives"), "outcomes": data.get("outcomes"),
    })
    out["formats"] = [_clean({
        "code": f["code"], "title": f.get("title"), "kinds": list(f["kinds"]),
        "source_line": f.get("source_line"), "declared": f.get("declared"),
        "declared_line": f.get("declared_line"), "totals": f.get("totals"), "short_run": f.get("short_run"),
    }) for f in data["formats"]]
    out["modules"] = [_clean({
        "number": m["number"], "title": m["title"], "choose": m.get("choose"), "hours": hours(m.get("hours")),
        "topics": [_clean({"code": t["code"], "title": t["title"], "hours": hours(t.get("hours")),
                           "source_line": t.get("source_line")}) for t in m["topics"]],
    }) for m in data["modules"]]
    extras = [_clean({"code": r["code"], "position": r["position"], "title": r["title"],
                      "hours": hours(r.get("hours")), "source_line": r.get("source_line")})
              for r in data.get("extra_rows") or []]
    if extras:
        out["extra_rows"] = extras
    if data.get("seed_notes"):
        out["seed_notes"] = [_clean({"line": n.get("line"), "text": n["text"]}) for n in data["seed_notes"]]
    return out


def programme_to_data(p: Programme) -> dict:
    data = {
        "code": p.code, "version": p.version, "status": p.status, "audience": p.audience,
        "hours": p.nominal_hours, "source": p.source, "title": _texts(p, "title"), "goal": p.goal,
        "objectives": p.objectives, "outcomes": p.outcomes,
        "formats": [{"code": f.code, "title": f.title, "kinds": f.kinds, "source_line": f.source_line,
                     "declared": f.declared, "declared_line": f.declared_line, "totals": f.totals,
                     "short_run": f.short_run}
                    for f in p.formats],
        "modules": [{"number": m.number, "title": _texts(m, "title"), "choose": m.choose, "hours": m.hours,
                     "topics": [{"code": t.code, "title": _texts(t, "title"), "hours": t.hours,
                                 "source_line": t.source_line} for t in m.topics]}
                    for m in p.modules],
        "extra_rows": [{"code": t.code, "position": t.position, "title": _texts(t, "title"), "hours": t.hours,
                        "source_line": t.source_line} for t in p.topics if t.module_id is None],
        "seed_notes": p.seed_notes,
    }
    return normalize(data)


def apply_programme_data(p: Programme, data: dict) -> None:
    """Make `p` match the data, keeping rows (and so their ids) matched by format code,
    module number and topic code; rows no longer present are removed."""
    data = normalize(data)
    p.code, p.version, p.status, p.audience = data["code"], data["version"], data["status"], data["audience"]
    p.nominal_hours, p.source = data["hours"], data.get("source")
    _set_texts(p, "title", data["title"])
    p.goal, p.objectives, p.outcomes = data.get("goal", {}), data.get("objectives", []), data.get("outcomes", [])
    p.seed_notes = data.get("seed_notes", [])
    if p.status == "approved" and p.approved_at is None:
        p.approved_at = utcnow()

    formats = {f.code: f for f in p.formats}
    p.formats = []
    for i, fd in enumerate(data["formats"]):
        f = formats.get(fd["code"]) or ProgrammeFormat(code=fd["code"])
        f.sort_order, f.title, f.kinds = i, fd.get("title", {}), fd["kinds"]
        f.declared, f.declared_line = fd.get("declared", {}), fd.get("declared_line")
        f.totals, f.source_line = fd.get("totals", {}), fd.get("source_line")
        f.short_run = fd.get("short_run", {})
        p.formats.append(f)

    modules = {m.number: m for m in p.modules}
    topics = {t.code: t for t in p.topics}
    p.modules, p.topics = [], []
    order = 0

    def topic_row(td, module, position=None):
        nonlocal order
        t = topics.get(td["code"]) or Topic(code=td["code"])
        order += 1
        t.sort_order, t.position, t.module = order, position, module
        _set_texts(t, "title", td["title"])
        t.hours, t.source_line = td.get("hours", {}), td.get("source_line")
        p.topics.append(t)

    extras = data.get("extra_rows", [])
    for rd in extras:
        if rd["position"] == "start":
            topic_row(rd, None, "start")
    for md_ in data["modules"]:
        m = modules.get(md_["number"]) or Module(number=md_["number"])
        _set_texts(m, "title", md_["title"])
        m.choose, m.hours = md_.get("choose"), md_.get("hours", {})
        p.modules.append(m)
        for td in md_["topics"]:
            topic_row(td, m)
    for rd in extras:
        if rd["position"] == "end":
            topic_row(rd, None, "end")


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[content.Finding] = field(default_factory=list)


def load_content(root: Path | str, actor=None) -> LoadReport:
    """All or nothing: any error in any file raises ContentError before a row is written."""
    result = content.check(root)
    if result.errors:
        raise content.ContentError(result.errors)
    report = LoadReport(warnings=result.warnings)
    for data in result.programmes.values():
        label = f"{data['code']} v{data['version']}"
        existing = db.session.scalar(
            select(Programme).where(Programme.code == data["code"], Programme.version == data["version"]))
        if existing is None:
            p = Programme(code=data["code"], version=data["version"], audience=data["audience"], title_kk="")
            apply_programme_data(p, data)
            db.session.add(p)
            db.session.flush()
            report.created.append(label)
            audit.record(actor, "programme_loaded", p, label)
            programme_created.send(p, actor=actor)
        elif programme_to_data(existing) == normalize(data):
            report.unchanged.append(label)
        else:
            apply_programme_data(existing, data)
            db.session.flush()
            report.updated.append(label)
            audit.record(actor, "programme_reloaded", existing, label)
    db.session.flush()
    content_loaded.send(None, codes=report.created + report.updated)
    return report


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def export_programme(p: Programme) -> str:
    return yaml.dump(programme_to_data(p), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


# --- authoring ---------------------------------------------------------------------------

def _editable(p: Programme) -> None:
    if not p.is_editable:
        raise ReadOnly(_l("%(programme)s is no longer a draft (%(status)s): create a new version to change it",
                          programme=f"{p.code} v{p.version}", status=p.status))


def _texts_from(fields: dict, prefix: str) -> dict:
    return {lang: (fields.get(f"{prefix}_{lang}") or "").strip() for lang in LANGS
            if (fields.get(f"{prefix}_{lang}") or "").strip()}


def _required_titles(fields: dict) -> dict:
    title = _texts_from(fields, "title")
    if not title.get("kk"):
        raise ServiceError(_l("the Kazakh title is required"), field="title_kk")
    return title


def create_programme(fields: dict, actor) -> Programme:
    code = (fields.get("code") or "").strip().upper()
    if not content.CODE_RE.match(code):
        raise ServiceError(_l("the code takes capital Latin letters, digits and '-' (e.g. %(example)s)", example="LDR-SUS"),
                           field="code")
    if db.session.scalar(select(func.count()).select_from(Programme).where(Programme.code == code)):
        raise Conflict(_l("programme %(code)s already exists; open it and create a new version", code=code), field="code")
    p = Programme(code=code, version=1, status="draft", title_kk="", audience="leaders")
    _update_fields(p, fields)
    p.formats = [ProgrammeFormat(code=c, sort_order=i, kinds=list(_default_kinds(c)), title={})
                 for i, c in enumerate(fields.get("formats") or ["online"])]
    db.session.add(p)
    db.session.flush()
    audit.record(actor, "programme_created", p, code)
    programme_created.send(p, actor=actor)
    return p


def _default_kinds(format_code: str) -> tuple[str, ...]:
    return {"online": ("webinar", "defense", "testing", "self_study"),
            "full_time": ("lesson", "defense", "testing"),
            "blended": ("theory", "practical")}[format_code]


def _update_fields(p: Programme, fields: dict) -> None:
    title = _required_titles(fields)
    audience = fields.get("audience") or p.audience
    if audience not in AUDIENCES:
        raise ServiceError(_l("unknown audience %(value)s", value=repr(audience)), field="audience")
    hours = fields.get("nominal_hours", p.nominal_hours or 80)
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise ServiceError(_l("the length must be a whole number of academic hours"), field="nominal_hours") from None
    if not 1 <= hours <= 2000:
        raise ServiceError(_l("the length must be between %(low)s and %(high)s academic hours", low=1, high=2000),
                           field="nominal_hours")
    for fmt in fields.get("formats") or []:
        if fmt not in FORMAT_CODES:
            raise ServiceError(_l("unknown format %(value)s", value=repr(fmt)), field="formats")
    _set_texts(p, "title", title)
    p.audience, p.nominal_hours = audience, hours
    p.goal = _texts_from(fields, "goal")


def update_programme(p: Programme, fields: dict, actor) -> None:
    _editable(p)
    _update_fields(p, fields)
    audit.record(actor, "programme_updated", p, f"{p.code} v{p.version}")


def save_module(p: Programme, fields: dict, actor, module: Module | None = None) -> Module:
    _editable(p)
    try:
        number = int(fields.get("number"))
    except (TypeError, ValueError):
        raise ServiceError(_l("the module number must be a whole number"), field="number") from None
    if number < 1:
        raise ServiceError(_l("the module number must be 1 or more"), field="number")
    if any(m.number == number and m is not module for m in p.modules):
        raise Conflict(_l("module %(number)s already exists in this programme", number=number), field="number")
    title = _required_titles(fields)
    choose = fields.get("choose") or None
    if choose is not None:
        try:
            choose = int(choose)
        except (TypeError, ValueError):
            raise ServiceError(_l("'choose' must be a whole number"), field="choose") from None
    if module is None:
        module = Module(programme=p, hours={})
        db.session.add(module)
    module.number, module.choose = number, choose
    _set_texts(module, "title", title)
    db.session.flush()
    p.modules.sort(key=lambda m: m.number)
    _renumber(p)
    audit.record(actor, "module_saved", module, f"{p.code} v{p.version} module {number}")
    return module


def parse_hours(p: Programme, fields: dict) -> dict:
    """Form fields named hours-<format>-<kind> into {format: {kind: n}}; blank cells are omitted."""
    hours: dict = {}
    for fmt in p.formats:
        for kind in list(fmt.kinds) + ["total"]:
            raw = (fields.get(f"hours-{fmt.code}-{kind}") or "").strip().replace(",", ".")
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError:
                raise ServiceError(about(f"{fmt.code}, {kind}", _l("%(value)s is not a number of hours", value=repr(raw))),
                                   field=f"hours-{fmt.code}-{kind}") from None
            if value < 0 or value > 500:
                raise ServiceError(about(f"{fmt.code}, {kind}", _l("hours must be between 0 and %(max)s", max=500)),
                                   field=f"hours-{fmt.code}-{kind}")
            hours.setdefault(fmt.code, {})[kind] = int(value) if value.is_integer() else value
    return hours


def save_topic(p: Programme, module: Module | None, fields: dict, actor, topic: Topic | None = None) -> Topic:
    _editable(p)
    code = (fields.get("code") or "").strip()
    if not content.TOPIC_CODE_RE.match(code):
        raise ServiceError(_l("the topic code takes letters, digits and dots, e.g. %(example)s", example="2.3"), field="code")
    if any(t.code == code and t is not topic for t in p.topics):
        raise Conflict(_l("topic %(code)s already exists in this programme", code=code), field="code")
    title = _required_titles(fields)
    hours = parse_hours(p, fields)
    if topic is None:
        topic = Topic(programme=p, module=module)
        db.session.add(topic)
    topic.code, topic.hours = code, hours
    _set_texts(topic, "title", title)
    db.session.flush()
    _renumber(p)
    audit.record(actor, "topic_saved", topic, f"{p.code} v{p.version} topic {code}")
    return topic


def _renumber(p: Programme) -> None:
    """Keep the plan order: start rows, modules by number with topics by code, end rows."""
    def code_key(t):
        return [int(x) if x.isdigit() else x for x in t.code.replace("-", ".").split(".")]

    order = 0
    start = [t for t in p.topics if t.module is None and t.position == "start"]
    end = [t for t in p.topics if t.module is None and t.position != "start"]
    ordered = start + [t for m in sorted(p.modules, key=lambda m: m.number)
                       for t in sorted((t for t in p.topics if t.module is m), key=code_key)] + end
    for t in ordered:
        order += 1
        t.sort_order = order
    p.topics.sort(key=lambda t: t.sort_order)


def delete_topic(p: Programme, topic: Topic, actor) -> None:
    _editable(p)
    audit.record(actor, "topic_deleted", topic, f"{p.code} v{p.version} topic {topic.code}",
                 title=topic.title_kk, hours=topic.hours)
    p.topics.remove(topic)
    if topic.module is not None:
        topic.module.topics.remove(topic)
    db.session.delete(topic)
    db.session.flush()


def save_material(topic: Topic, fields: dict, actor, material: Material | None = None, upload=None) -> Material:
    """`upload` (bytes, name) attaches a file (a presentation, a lesson plan) checked as every
    upload is; `remove_file` takes the attached one off (the stored file stays for versions
    that share it)."""
    _editable(topic.programme)
    title = (fields.get("title") or "").strip()
    if not title:
        raise ServiceError(_l("the material needs a title"), field="title")
    body = fields.get("body") or ""
    if len(body) > 200_000:
        raise ServiceError(_l("the text is longer than %(count)s characters; split it", count="200,000"), field="body")
    language = fields.get("language") or "kk"
    if language not in LANGS:
        raise ServiceError(_l("unknown language %(value)s", value=repr(language)), field="language")
    audience = fields.get("audience") or "all"
    if audience not in MATERIAL_AUDIENCES:
        raise ServiceError(_l("unknown audience %(value)s", value=repr(audience)), field="audience")
    if material is None:
        material = Material(topic=topic, sort_order=len(topic.materials) + 1)
        db.session.add(material)
    material.title, material.body, material.language, material.audience = title, body, language, audience
    material.body_html = render_markdown(body)
    if upload is not None:
        material.file = files.store(upload[0], upload[1], actor, field="file")
    elif fields.get("remove_file"):
        material.file = None
    db.session.flush()
    audit.record(actor, "material_saved", material, title, file_id=material.file_id)
    return material


def delete_material(material: Material, actor) -> None:
    _editable(material.topic.programme)
    audit.record(actor, "material_deleted", material, material.title, body=material.body)
    material.topic.materials.remove(material)
    db.session.delete(material)
    db.session.flush()


def approve(p: Programme, actor) -> None:
    if p.status != "draft":
        raise Conflict(_l("only a draft can be approved; %(programme)s is not (%(status)s)", programme=f"{p.code} v{p.version}",
                          status=p.status))
    if not p.modules or not any(t.module_id for t in p.topics):
        raise ServiceError(_l("a programme needs at least one module with a topic before approval"))
    for older in versions(p.code):
        if older.status == "approved" and older.version < p.version:
            older.status = "archived"
            audit.record(actor, "programme_archived", older, f"{older.code} v{older.version}")
    p.status, p.approved_at = "approved", utcnow()
    db.session.flush()
    audit.record(actor, "programme_approved", p, f"{p.code} v{p.version}")
    programme_approved.send(p, actor=actor)


def new_version(p: Programme, actor) -> Programme:
    """An approved programme is read-only; changing it starts the next version as a draft copy
    (materials included). An existing draft of the same programme is returned instead."""
    existing = [v for v in versions(p.code) if v.status == "draft"]
    if existing:
        return existing[-1]
    data = programme_to_data(p)
    data["version"] = max(v.version for v in versions(p.code)) + 1
    data["status"] = "draft"
    draft = Programme(code=p.code, version=data["version"], audience=p.audience, title_kk="")
    apply_programme_data(draft, data)
    db.session.add(draft)
    db.session.flush()
    by_code = {t.code: t for t in draft.topics}
    for topic in p.topics:
        for m in topic.materials:
            copy = Material(topic=by_code[topic.code], sort_order=m.sort_order, title=m.title,
                            language=m.language, body=m.body, body_html=m.body_html, file_id=m.file_id,
                            audience=m.audience)
            db.session.add(copy)
    db.session.flush()
    for role, people in staff_by_role(p).items():  # the programme's staff stay its staff
        for user in people:
            user_service.assign_role(user, role, "programme", draft.id, actor=actor)
    audit.record(actor, "programme_versioned", draft, f"{p.code} v{p.version} -> v{draft.version}")
    programme_versioned.send(draft, previous=p, actor=actor)
    return draft





# --- a programme's own staff ---------------------------------------------------------------

#: the roles a programme gives; held here they hold in every cohort of this version
STAFF_ROLES = ("trainer", "curator", "assessor")


def staff_by_role(p: Programme) -> dict[str, list]:
    """Users holding each staff role on this programme version itself, by name; one statement."""
    return user_service.holders("programme", p.id, STAFF_ROLES)


def assign_staff(p: Programme, user, role: str, actor) -> None:
    """Idempotent. A trainer here edits the programme's drafts and teaches all its cohorts, an
    assessor sits on all its defense panels' lists, a curator follows all its graduates; the
    next version keeps them (`new_version`)."""
    user_service.check_staff(user, role, STAFF_ROLES)
    user_service.assign_role(user, role, "programme", p.id, actor=actor)


def remove_staff(p: Programme, user, role: str, actor) -> bool:
    """What they did stays (audited); they lose the role on this version only."""
    user_service.check_staff(user, role, STAFF_ROLES, giving=False)
    return user_service.remove_role(user, role, "programme", p.id, actor=actor)
