"""Reports of the support year for a cohort, a region or a programme (or any mix of them,
within the cohorts the user may see): plans agreed, activities per stage, consultations by
channel, evidence by kind and level. Four aggregate statements whatever the size; the same
numbers as a page, CSV/XLSX rows and a PDF with reportlab's own charts."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from lms.core.services import clock
from lms.db import db
from lms.postcourse.models import (
    ACTIVITY_STATUSES, CHANNELS, EVIDENCE_KINDS, EVIDENCE_LEVELS, PLAN_STATUSES, STAGES, Contact, Evidence,
    PlanActivity, SupportPlan,
)
from lms.postcourse.services import dashboard

#: a plan counts as agreed once it left the draft
AGREED = ("agreed", "accepted", "closed")


@dataclass
class Scope:
    cohort: str | None = None
    region_id: int | None = None
    programme: str | None = None


@dataclass
class Report:
    scope: Scope
    generated_on: date
    plans: dict[str, int] = field(default_factory=dict)  # status -> plans
    activities: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> status -> activities
    overdue: dict[str, int] = field(default_factory=dict)  # stage -> planned activities past their date
    contacts: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> individual/group -> n
    evidence: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> level -> n

    @property
    def plans_total(self) -> int:
        return sum(self.plans.values())

    @property
    def plans_agreed(self) -> int:
        return sum(self.plans[s] for s in AGREED)

    def stage_total(self, stage: str) -> int:
        return sum(self.activities[stage].values())

    @property
    def contacts_total(self) -> int:
        return sum(sum(v.values()) for v in self.contacts.values())

    @property
    def evidence_total(self) -> int:
        return sum(sum(v.values()) for v in self.evidence.values())


def build(user, scope: Scope, today: date | None = None) -> Report:
    """The report over the plans of `scope` that `user` may see (the dashboard's own filter)."""
    plans = dashboard.plans_query(user, dashboard.Filters(region_id=scope.region_id, programme=scope.programme,
                                                     cohort=scope.cohort), None)
    return count(plans, scope, today)


def count(plans, scope: Scope, today: date | None = None) -> Report:
    """The four aggregate statements over the plans a SELECT of plan ids gives (the pages'
    report and the summary API count with the same code)."""
    report = Report(scope, today or clock.today(),
                    plans=dict.fromkeys(PLAN_STATUSES, 0),
                    activities={s: dict.fromkeys(ACTIVITY_STATUSES, 0) for s in STAGES},
                    overdue=dict.fromkeys(STAGES, 0),
                    contacts={c: {"individual": 0, "group": 0} for c in CHANNELS},
                    evidence={k: dict.fromkeys(EVIDENCE_LEVELS, 0) for k in EVIDENCE_KINDS})
    for status, n in db.session.execute(select(SupportPlan.status, func.count()).where(SupportPlan.id.in_(plans))
                                        .group_by(SupportPlan.status)):
        report.plans[status] = n
    late = case(((PlanActivity.status == "planned") & (PlanActivity.due_on < report.generated_on), 1), else_=0)
    for stage, status, n, overdue in db.session.execute(
            select(PlanActivity.stage, PlanActivity.status, func.count(), func.coalesce(func.sum(late), 0))
            .where(PlanActivity.plan_id.in_(plans)).group_by(PlanActivity.stage, PlanActivity.status)):
        report.activities[stage][status] = n
        report.overdue[stage] += int(overdue)
    for channel, group, n in db.session.execute(
            select(Contact.channel, Contact.group, func.count()).where(Contact.plan_id.in_(plans))
            .group_by(Contact.channel, Contact.group)):
        report.contacts[channel]["group" if group else "individual"] = n
    for kind, level, n in db.session.execute(
            select(Evidence.kind, Evidence.level, func.count()).where(Evidence.plan_id.in_(plans))
            .group_by(Evidence.kind, Evidence.level)):
        report.evidence[kind][level] = n
    return report


# --- as rows (CSV, XLSX) ---------------------------------------------------------------------------

def rows(report: Report, labels: dict) -> tuple[list[str], list[list]]:
    """One table of every number: (section, item, detail, count). `labels` gives the texts:
    "header" (4), "sections" (plans, activities, consultations, evidence), "agreed", "total",
    and a mapping per code family: plan_status, stage, activity_status, channel, mode, kind, level."""
    sec = labels["sections"]
    out: list[list] = []
    for status in PLAN_STATUSES:
        out.append([sec["plans"], labels["plan_status"][status], "", report.plans[status]])
    out.append([sec["plans"], labels["agreed"], "", report.plans_agreed])
    out.append([sec["plans"], labels["total"], "", report.plans_total])
    for stage in STAGES:
        for status in ACTIVITY_STATUSES:
            out.append([sec["activities"], labels["stage"][stage], labels["activity_status"][status],
                        report.activities[stage][status]])
    for channel in CHANNELS:
        for mode in ("individual", "group"):
            out.append([sec["consultations"], labels["channel"][channel], labels["mode"][mode],
                        report.contacts[channel][mode]])
    for kind in EVIDENCE_KINDS:
        for level in EVIDENCE_LEVELS:
            out.append([sec["evidence"], labels["kind"][kind], labels["level"][level], report.evidence[kind][level]])
    return [str(h) for h in labels["header"]], [[str(c) if not isinstance(c, int) else c for c in r] for r in out]


# --- as a PDF with charts --------------------------------------------------------------------------

COLOURS = ("#0b6e4f", "#1a5fb4", "#c64600", "#8a5cf5", "#b3261e", "#5b6673", "#e5a50a", "#26a269")


def pdf_bytes(report: Report, labels: dict, title: str, scope_line: str) -> bytes:
    """A4 report: the numbers as tables, with a bar chart of activities per stage, a pie of
    consultations by channel and a stacked bar chart of evidence by kind and level. Every
    text is set in the bundled DejaVu font (Kazakh letters included)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from lms.core.pdf import BOLD, REGULAR, styles

    s = styles()
    sec = labels["sections"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.8 * cm,
                            bottomMargin=1.8 * cm, title=str(title), author="Ustaz LMS")

    def table(data, widths=None):
        t = Table([[str(c) for c in row] for row in data], colWidths=widths, hAlign="LEFT")
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), REGULAR), ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d5dbe1")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return t

    story = [Paragraph(str(title), s["title"]), Paragraph(scope_line, s["body"]),
             Paragraph(f"{labels['generated']}: {report.generated_on.isoformat()}", s["small"]), Spacer(1, 10)]

    section = [Paragraph(str(sec["plans"]), s["h1"])]
    section.append(table([[labels["plan_status_header"], labels["count"]]]
                       + [[labels["plan_status"][st], report.plans[st]] for st in PLAN_STATUSES]
                       + [[labels["agreed"], report.plans_agreed], [labels["total"], report.plans_total]],
                       [9 * cm, 3 * cm]))
    story += [KeepTogether(section), Spacer(1, 8)]

    section = [Paragraph(str(sec["activities"]), s["h1"])]
    section.append(table([[labels["stage_header"], *[labels["activity_status"][st] for st in ACTIVITY_STATUSES],
                         labels["total"]]]
                       + [[labels["stage"][stage], *[report.activities[stage][st] for st in ACTIVITY_STATUSES],
                           report.stage_total(stage)] for stage in STAGES]))
    section.append(_bars([str(labels["stage"][st]) for st in STAGES],
                         [[report.activities[stage][st] for stage in STAGES] for st in ACTIVITY_STATUSES],
                         [str(labels["activity_status"][st]) for st in ACTIVITY_STATUSES]))
    story += [KeepTogether(section), Spacer(1, 8)]

    section = [Paragraph(str(sec["consultations"]), s["h1"])]
    used = [c for c in CHANNELS if sum(report.contacts[c].values())]
    section.append(table([[labels["channel_header"], labels["mode"]["individual"], labels["mode"]["group"],
                         labels["total"]]]
                       + [[labels["channel"][c], report.contacts[c]["individual"], report.contacts[c]["group"],
                           sum(report.contacts[c].values())] for c in CHANNELS]))
    if used:
        section.append(_pie([str(labels["channel"][c]) for c in used],
                            [sum(report.contacts[c].values()) for c in used]))
    story += [KeepTogether(section), Spacer(1, 8)]

    section = [Paragraph(str(sec["evidence"]), s["h1"])]
    section.append(table([[labels["kind_header"], *[labels["level"][lv] for lv in EVIDENCE_LEVELS], labels["total"]]]
                       + [[labels["kind"][k], *[report.evidence[k][lv] for lv in EVIDENCE_LEVELS],
                           sum(report.evidence[k].values())] for k in EVIDENCE_KINDS]))
    kinds = [k for k in EVIDENCE_KINDS if sum(report.evidence[k].values())]
    if kinds:
        section.append(_bars([str(labels["kind"][k]) for k in kinds],
                             [[report.evidence[k][lv] for k in kinds] for lv in EVIDENCE_LEVELS],
                             [str(labels["level"][lv]) for lv in EVIDENCE_LEVELS], stacked=True))
    story.append(KeepTogether(section))

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(A4[0] - 1.8 * cm, 1.1 * cm, f"{title} · {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _legend(x, y, names: list[str]):
    from reportlab.graphics.charts.legends import Legend
    from reportlab.lib import colors

    from lms.core.pdf import REGULAR

    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = REGULAR, 8
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.colorNamePairs = [(colors.HexColor(COLOURS[i % len(COLOURS)]), n) for i, n in enumerate(names)]
    return legend


def _bars(categories: list[str], series: list[list[int]], names: list[str], stacked: bool = False):
    """A vertical bar chart, one bar per series in each category (or stacked), with a legend."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    from lms.core.pdf import register_fonts, REGULAR

    register_fonts()
    drawing = Drawing(460, 190)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 45, 290, 130
    chart.data = [list(row) for row in series] or [[0] * len(categories)]
    chart.categoryAxis.categoryNames = categories
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20 if len(categories) > 3 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 3 else "n"
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max([sum(col) for col in zip(*series)] if stacked else [max(r) for r in series] or [0])
    chart.valueAxis.valueMax = max(1, top)
    chart.valueAxis.valueStep = max(1, -(-top // 5))
    if stacked:
        chart.categoryAxis.style = "stacked"
    for i in range(len(series)):
        chart.bars[i].fillColor = colors.HexColor(COLOURS[i % len(COLOURS)])
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(_legend(345, 175, names))
    return drawing


def _pie(names: list[str], values: list[int]):
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    from lms.core.pdf import register_fonts, REGULAR

    register_fonts()
    drawing = Drawing(460, 170)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 40, 15, 140, 140
    pie.data = values
    pie.labels = [str(v) for v in values]
    pie.simpleLabels = True
    pie.slices.fontName = REGULAR
    pie.slices.fontSize = 8
    pie.slices.strokeColor = colors.white
    for i in range(len(values)):
        pie.slices[i].fillColor = colors.HexColor(COLOURS[i % len(COLOURS)])
    drawing.add(pie)
    drawing.add(_legend(240, 150, [f"{n}: {v}" for n, v in zip(names, values)]))
    return drawing
