"""The report's scope (a GET form: cohort, region, programme, each optional) and the texts
of the report, shared by the page, the CSV/XLSX rows and the PDF (the codes' own texts are
the plan pages')."""
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField

from lms.postcourse.forms.dashboard import ANY
from lms.postcourse.forms.plans import (
    ACTIVITY_STATE_LABELS, CHANNEL_LABELS, EVIDENCE_LABELS, LEVEL_LABELS, PLAN_STATUS_LABELS, STAGE_LABELS,
)


class ReportScopeForm(Form):
    cohort = SelectField(_l("Cohort"), choices=ANY, default="")
    region = SelectField(_l("Region"), choices=ANY, default="")
    programme = SelectField(_l("Programme"), choices=ANY, default="")


def report_labels() -> dict:
    """Lazy texts, so they come out in the reader's language when used."""
    return {
        "header": [_l("Section"), _l("Indicator"), _l("Detail"), _l("Count")],
        "sections": {"plans": _l("Support plans"), "activities": _l("Activities per stage"),
                     "consultations": _l("Consultations by channel"), "evidence": _l("Evidence by kind and level")},
        "agreed": _l("agreed (agreed, accepted or closed)"),
        "total": _l("total"),
        "count": _l("Count"),
        "generated": _l("Generated"),
        "plan_status_header": _l("Plan status"),
        "stage_header": _l("Support stage"),
        "channel_header": _l("Consultation channel"),
        "kind_header": _l("Evidence kind"),
        "plan_status": PLAN_STATUS_LABELS,
        "stage": STAGE_LABELS,
        "activity_status": ACTIVITY_STATE_LABELS,
        "channel": CHANNEL_LABELS,
        "mode": {"individual": _l("individual"), "group": _l("group")},
        "kind": EVIDENCE_LABELS,
        "level": LEVEL_LABELS,
    }
