"""What the quizbank views share: the blueprint, loaders for `requires`, cohort helpers."""
from __future__ import annotations

from flask import Blueprint, abort, g
from flask_login import current_user

from lms.core.permissions import Context, has_capability
from lms.core.services.errors import ServiceError
from lms.courses.views.common import cohort_template_helpers, cohort_context, my_enrolment, run_service  # noqa: F401
from lms.courses.services import competences
from lms.quizbank.models import Bank, Test
from lms.quizbank.qtypes import type_name
from lms.quizbank.services import banks as bank_service
from lms.quizbank.services import results
from lms.quizbank.services import tests as test_service

bp = Blueprint("quizbank", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/quizbank")
bp.context_processor(cohort_template_helpers)
bp.add_app_template_global(type_name, "qtype_name")


def load_test(code: str, test_id: int) -> Test:
    """The test `test_id` of the cohort in g.cohort (404 for a test of another cohort)."""
    try:
        test = test_service.get_test(test_id)
    except ServiceError:
        abort(404)
    if test.cohort_id != g.cohort.id:
        abort(404)
    g.test = test
    return test


def test_context(code: str, test_id: int, **_kw) -> Context:
    """For `requires`: the cohort from the URL, then its test (404 when not the cohort's)."""
    ctx = cohort_context(code)
    load_test(code, test_id)
    return ctx


def load_bank(bank_code: str) -> Bank:
    try:
        bank = bank_service.get_bank(bank_code)
    except ServiceError:
        abort(404)
    g.bank = bank
    return bank


def topic_titles(cohort) -> dict:
    """The cohort's programme topics by code, and its modules by their number as text, for
    naming the rows of results by topic or module."""
    programme = cohort.programme
    return {**{str(m.number): m for m in programme.modules}, **{t.code: t for t in programme.topics}}


def by_competence(cohort, view: dict) -> tuple:
    """(framework, the attempt's points per competence) for a result view that shows its points
    per topic, where the programme has a competence framework; (None, []) otherwise."""
    framework = competences.framework_for(cohort.programme.code)
    return framework, results.by_competence(framework, view)


def can_here(capability: str) -> bool:
    """Whether the signed-in user holds `capability` in the context the route was checked in."""
    return has_capability(current_user, capability, g.lms_context)
