"""Item statistics pages (facility, discrimination, option counts, exposure) for a cohort's
test and for a whole bank, each with a CSV export of the same table."""
from __future__ import annotations

from flask import Response, g, render_template, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lms.core.permissions import SYSTEM, Context, has_capability, requires
from lms.core.services.exports import table_download
from lms.courses.models import Cohort, Programme
from lms.db import db
from lms.quizbank.models import Bank
from lms.quizbank.qtypes import type_name
from lms.quizbank.services import banks as bank_service
from lms.quizbank.services import statistics as stats_service
from lms.quizbank.views.common import bp, load_bank, test_context

CAPABILITY = "quizbank:view_results"


def bank_context(bank_code: str, **_kw) -> Context:
    """For `requires`: the bank from the URL (404), then the context that admits the user,
    or the programme's (which then refuses)."""
    bank = load_bank(bank_code)
    return admitting_context(bank) or _programme_contexts(bank)[0]


def admitting_context(bank: Bank) -> Context | None:
    """A bank serves every version of its programme, so whoever holds the capability
    system-wide, for a version of that programme, or in one of its cohorts (the trainers
    and curators who give its tests) may see its statistics."""
    programmes = _programme_contexts(bank)
    held = {(ra.context_level, ra.context_id) for ra in current_user.role_assignments}
    candidates = [SYSTEM] + [ctx for ctx in programmes if tuple(ctx) in held]
    cohort_ids = {cid for level, cid in held if level == "cohort"}
    programme_ids = [ctx.id for ctx in programmes if ctx.level == "programme"]
    if cohort_ids and programme_ids:
        candidates += [Context("cohort", cid) for cid in db.session.scalars(
            select(Cohort.id).where(Cohort.id.in_(cohort_ids), Cohort.programme_id.in_(programme_ids))
            .order_by(Cohort.id))]
    return next((ctx for ctx in candidates if has_capability(current_user, CAPABILITY, ctx)), None)


def _programme_contexts(bank: Bank) -> list[Context]:
    """Every version of the bank's programme, newest first (SYSTEM when there is none)."""
    ids = db.session.scalars(select(Programme.id).where(Programme.code == bank.programme_code)
                             .order_by(Programme.version.desc())).all()
    return [Context("programme", pid) for pid in ids] or [SYSTEM]


# --- pages ---------------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/tests/<int:test_id>/statistics")
@requires(CAPABILITY, test_context)
def test_statistics(code, test_id):
    report = stats_service.for_test(g.test)
    bank = g.test.blueprint.bank if g.test.blueprint_id else None
    bank_url = None
    if bank is not None and admitting_context(bank) is not None:
        bank_url = url_for("quizbank.bank_statistics", bank_code=bank.code)
    return render_template("quizbank/statistics_test.html", cohort=g.cohort, test=g.test, report=report,
                           bank=bank, bank_url=bank_url, item_url=item_url_for(bank), **_helpers())


@bp.route("/cohorts/<code>/tests/<int:test_id>/statistics.csv")
@requires(CAPABILITY, test_context)
def test_statistics_csv(code, test_id):
    report = stats_service.for_test(g.test)
    return _csv(report, f"{g.cohort.code}-test-{g.test.id}-items")


@bp.route("/banks/<bank_code>/statistics")
@requires(CAPABILITY, bank_context)
def bank_statistics(bank_code):
    report = stats_service.for_bank(g.bank)
    return render_template("quizbank/statistics_bank.html", bank=g.bank, report=report, item_url=item_url_for(g.bank),
                           **_helpers())


def item_url_for(bank: Bank | None):
    """Each item's page, for who may correct it there (a flagged item, often a wrong key; the
    test's results page then offers the regrade); None for who may not."""
    if bank is None or not has_capability(current_user, "quizbank:manage", bank_service.bank_contexts([bank])[bank.id]):
        return None
    return lambda item_id: url_for("quizbank.item", bank_code=bank.code, item_id=item_id)


@bp.route("/banks/<bank_code>/statistics.csv")
@requires(CAPABILITY, bank_context)
def bank_statistics_csv(bank_code):
    report = stats_service.for_bank(g.bank)
    return _csv(report, f"{g.bank.code}-items")


# --- what the template and the CSV share -----------------------------------------------------------

def flag_text(flag: stats_service.Flag) -> str:
    """A flag's reason as the trainer reads it."""
    if flag.code == "few_responses":
        return ngettext("only %(num)d response: too few to judge", "only %(num)d responses: too few to judge",
                        int(flag.value or 0))
    if flag.code == "too_hard":
        return _("too hard: facility %(value)s", value=percent(flag.value))
    if flag.code == "too_easy":
        return _("too easy: facility %(value)s", value=percent(flag.value))
    if flag.code == "negative_discrimination":
        return _("negative discrimination (%(value)s): stronger participants get it wrong more often; check the key",
                 value=decimal(flag.value))
    if flag.code == "weak_discrimination":
        return _("weak discrimination (%(value)s): it hardly tells stronger participants from weaker ones",
                 value=decimal(flag.value))
    if flag.code == "unused_distractor":
        return _("nobody chose option(s) %(options)s (version %(version)s): replace or drop them",
                 options=", ".join(flag.options), version=flag.version)
    return flag.code


def option_name(option: stats_service.OptionCount) -> str:
    if option.index is True:
        return _("True")
    if option.index is False:
        return _("False")
    return option.label


def percent(value) -> str:
    return "—" if value is None else format_percent(value, "#,##0%")


def decimal(value) -> str:
    return "—" if value is None else format_decimal(value, "0.00")


def _helpers() -> dict:
    return {"flag_text": flag_text, "option_name": option_name, "percent": percent, "decimal": decimal,
            "type_name": type_name}


def _options_cell(item: stats_service.ItemStats) -> str:
    """"A*: 12; B: 3; C: 0; —: 1" per version ("v2 ..." when the item has several)."""
    parts = []
    for tally in item.tallies:
        counts = "; ".join(f"{option_name(o)}{'*' if o.key else ''}: {o.count}" for o in tally.options)
        counts += f"; —: {tally.no_answer}"
        parts.append(f"v{tally.version} {counts}" if len(item.tallies) > 1 else counts)
    return " | ".join(parts)


def _round(value, digits=4):
    return None if value is None else round(value, digits)


def _csv(report: stats_service.Report, filename: str) -> Response:
    header = ["code", "topic", "level", "type", "versions", "text", "drawn", "attempts", "exposure", "n",
              "answered", "facility", "sd", "discrimination", "options", "flags", "reasons"]
    rows = [[i.code, i.topic_code, i.level, type_name(i.qtype), " ".join(map(str, i.versions)), i.text,
             i.drawn, i.attempts, _round(i.exposure), i.n, i.answered, _round(i.facility), _round(i.sd),
             _round(i.discrimination), _options_cell(i), " ".join(f.code for f in i.flags),
             "; ".join(flag_text(f) for f in i.flags)]
            for i in report.items]
    return table_download("csv", header, rows, filename)
