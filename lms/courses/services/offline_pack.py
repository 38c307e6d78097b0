"""Offline packs: a module's materials as one PDF and as a ZIP, for schools whose line is
too slow to read them page by page."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from markupsafe import escape

from lms.core.i18n import localized
from lms.core.pdf import html_flowables, styles
from lms.core.services import files
from lms.core.services.errors import NotFound
from lms.courses.models import Module, Programme, Topic
from lms.courses.services.programmes import materials_for


def module_of(programme: Programme, number: int) -> Module:
    module = next((m for m in programme.modules if m.number == number), None)
    if module is None:
        raise NotFound(_l("%(programme)s has no module %(number)s", programme=programme.code, number=number))
    return module


def _topics(programme: Programme, module: Module) -> list[Topic]:
    return [t for t in programme.topics if t.module_id == module.id]


def _hours_line(topic: Topic) -> str:
    parts = []
    for fmt, cells in topic.hours.items():
        items = ", ".join(f"{k} {int(v) if float(v).is_integer() else v}" for k, v in cells.items() if k != "total")
        if items:
            parts.append(f"{fmt}: {items}")
    return "; ".join(parts)


def module_pdf(programme: Programme, module: Module, lang: str = "kk", *, staff: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    s = styles()
    out = io.BytesIO()
    title = f"{programme.code} · {localized(module, 'title', lang)}"
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                            bottomMargin=2 * cm, title=title, author="Ustaz LMS")
    story = [Paragraph(localized(programme, "title", lang), s["title"]),
             Paragraph(localized(module, "title", lang), s["h1"]),
             Paragraph(f"{programme.code} v{programme.version} · "
                       f"{datetime.now(timezone.utc).strftime('%Y-%m-%d')}", s["small"]), Spacer(1, 12)]
    for topic in _topics(programme, module):
        story.append(Paragraph(f"{topic.code}. {localized(topic, 'title', lang)}", s["h1"]))
        line = _hours_line(topic)
        if line:
            story.append(Paragraph(line, s["small"]))
        materials = materials_for(topic, staff)
        if not materials:
            story.append(Paragraph("—", s["body"]))
        for material in materials:
            story.append(Paragraph(material.title, s["h2"]))
            story.extend(html_flowables(material.body_html))
        story.append(Spacer(1, 10))

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 8)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"{programme.code} · {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-")[:60] or "material"


def module_zip(programme: Programme, module: Module, lang: str = "kk", *, staff: bool = False) -> bytes:
    """The PDF, plus each material as Markdown (to edit) and as one HTML page (to read), and
    the files attached to them (presentations, lesson plans), linked from that page."""
    out = io.BytesIO()
    base = f"{programme.code}-module-{module.number}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{base}/{base}.pdf", module_pdf(programme, module, lang, staff=staff))
        html = [f"<!doctype html><meta charset='utf-8'><title>{base}</title>",
                f"<h1>{localized(module, 'title', lang)}</h1>"]
        for topic in _topics(programme, module):
            html.append(f"<h2>{topic.code}. {localized(topic, 'title', lang)}</h2>")
            for i, material in enumerate(materials_for(topic, staff), 1):
                name = f"{base}/{topic.code}-{i:02d}-{_slug(material.title)}.md"
                z.writestr(name, f"# {material.title}\n\n{material.body}\n")
                html.append(f"<h3>{material.title}</h3>{material.body_html}")
                if material.file is not None and files.path_of(material.file).exists():
                    attached = f"{topic.code}-{i:02d}-{_slug(material.file.original_name)}"
                    z.write(files.path_of(material.file), f"{base}/{attached}")
                    html.append(f"<p><a href='{escape(attached)}'>{escape(material.file.original_name)}</a></p>")
        z.writestr(f"{base}/index.html", "\n".join(html))
    return out.getvalue()
