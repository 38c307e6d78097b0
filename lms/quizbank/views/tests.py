"""Staff pages of a cohort's tests: the list, the setup form, publish and close, results.

Every page takes the cohort from the URL and loads only that cohort's tests (a test id of
another cohort is a 404)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import current_language, localized
from lms.core.permissions import has_capability, requires
from lms.core.services.errors import ServiceError
from lms.core.services import mail
from lms.core.services.exports import table_download
from lms.core.web import run_button
from lms.courses.forms import ConfirmForm
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import competences
from lms.courses.views.common import COHORT_TABS
from lms.db import db
from lms.quizbank.forms.tests import CopyTestsForm, TestForm
from lms.quizbank.models import SURVEY_KINDS, Bank, Blueprint, Test
from lms.quizbank.qtypes import type_name
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import blueprints as blueprint_service
from lms.quizbank.services import copying as copy_service
from lms.quizbank.services import draw as draw_service
from lms.quizbank.services import regrade as regrade_service
from lms.quizbank.services import reminders as reminder_service
from lms.quizbank.services import results as result_service
from lms.quizbank.services import tests as test_service
from lms.quizbank.views.common import bp, can_here, cohort_context, run_service, test_context, topic_titles
from lms.quizbank.views.statistics import item_url_for

COHORT_TABS.append(("quizbank.tests", _l("Tests")))


def _blueprint_choices(cohort) -> list[SelectChoice]:
    rows = db.session.execute(select(Blueprint.id, Blueprint.code, Blueprint.title, Blueprint.total)
                              .join(Bank, Bank.id == Blueprint.bank_id)
                              .where(Bank.programme_code == cohort.programme.code).order_by(Blueprint.code))
    return [SelectChoice("", _("— none (a survey) —"))] + [
        SelectChoice(str(id_), f"{code}: {title} ({total})") for id_, code, title, total in rows]


def _to_utc(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else value.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _to_local(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def bands_text(bands: list, language: str) -> str:
    return "\n".join(f"{b['min']:g} = {test_service.band_label(b, language)}" for b in bands or [])


def parse_bands(text: str, existing: list, language: str) -> list | str:
    """Lines "90 = өте жақсы" as bands; a band's labels in other languages are kept when its
    minimum stays. A line that does not parse is given back as is, for the service to name."""
    old = {float(b["min"]): dict(b.get("label") or {}) for b in existing or [] if isinstance(b.get("label"), dict)}
    bands = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        low, sep, label = line.partition("=")
        if not sep:
            return [{"min": line.strip(), "label": None}]
        try:
            minimum = float(low.strip().replace(",", "."))
        except ValueError:
            minimum = low.strip()
        labels = old.get(minimum, {}) if isinstance(minimum, float) else {}
        bands.append({"min": minimum, "label": {**labels, language: label.strip()}})
    return bands


def _fields(form: TestForm, cohort, current=None) -> dict:
    language = current_language()
    fields = {
        "kind": form.kind.data, "title": form.title.data, "module_number": form.module_number.data,
        "blueprint_id": form.blueprint_id.data or None,
        "opens_at": _to_utc(form.opens_at.data, cohort.timezone),
        "closes_at": _to_utc(form.closes_at.data, cohort.timezone),
        "time_limit_minutes": form.time_limit_minutes.data,
        "grace_seconds": 60 if form.grace_seconds.data is None else form.grace_seconds.data,
        "attempts_allowed": form.attempts_allowed.data or 1,
        "pass_percent": None if form.pass_percent.data is None else float(form.pass_percent.data),
        "bands": parse_bands(form.bands.data, current.bands if current else [], language) or None,
        "review_options": {"score": form.review_score.data, "band": form.review_band.data,
                           "answers": form.review_answers.data, "when": form.review_when.data},
    }
    if current is not None and current.status == "published":
        # only what may still change is sent; the rest stays as published
        fields = {k: v for k, v in fields.items() if k in test_service.PUBLISHED_EDITABLE}
    return fields


def _fill(form: TestForm, test, cohort) -> None:
    form.kind.data, form.title.data, form.module_number.data = test.kind, test.title, test.module_number
    form.blueprint_id.data = str(test.blueprint_id or "")
    form.opens_at.data = _to_local(test.opens_at, cohort.timezone)
    form.closes_at.data = _to_local(test.closes_at, cohort.timezone)
    form.time_limit_minutes.data, form.grace_seconds.data = test.time_limit_minutes, test.grace_seconds
    form.attempts_allowed.data, form.pass_percent.data = test.attempts_allowed, test.pass_percent
    form.bands.data = bands_text(test.bands, current_language())
    review = {**test_service.DEFAULT_REVIEW, **(test.review_options or {})}
    form.review_score.data, form.review_band.data = review["score"], review["band"]
    form.review_answers.data, form.review_when.data = review["answers"], review["when"]


@bp.route("/cohorts/<code>/tests")
@requires("quizbank:view_results", cohort_context)
def tests(code):
    cohort = g.cohort
    can_run = can_here("quizbank:run_tests")
    items = test_service.tests_of(cohort, include_drafts=can_run)
    return render_template("quizbank/tests.html", cohort=cohort, tests=items, can_run=can_run,
                           counts=result_service.counts_by_test(items), state=test_service.state,
                           confirm=ConfirmForm())


def _copy_sources(cohort: Cohort) -> list[Cohort]:
    """The programme's other cohorts with tests whose results this user may read, latest first."""
    others = [c for c in cohort_service.cohorts_of_programme(cohort.programme.code) if c.id != cohort.id]
    with_tests = set(db.session.scalars(select(Test.cohort_id).where(Test.cohort_id.in_([c.id for c in others]))))
    return [c for c in others if c.id in with_tests
            and has_capability(current_user, "quizbank:view_results", cohort_service.cohort_context(c))]


@bp.route("/cohorts/<code>/tests/copy", methods=["GET", "POST"])
@requires("quizbank:run_tests", cohort_context)
def tests_copy(code):
    """Another cohort's tests set up here as drafts, their times moved by the start dates. The
    cohorts to choose from are read here, not on every view of the tests page (one capability
    check per cohort of the programme)."""
    sources = {c.code: c for c in _copy_sources(g.cohort)}
    form = CopyTestsForm()
    form.source.choices = [SelectChoice(c.code, f"{c.code} · {c.start_date:%d.%m.%Y}") for c in sources.values()]
    if request.method == "GET":
        return render_template("quizbank/tests_copy.html", cohort=g.cohort, form=form)
    target = url_for(".tests", code=code)
    if not form.validate_on_submit():
        flash(_("Choose a cohort of %(programme)s whose tests you may read.", programme=g.cohort.programme.code),
              "error")
        return redirect(target)
    try:
        report = copy_service.copy_tests(sources[form.source.data], g.cohort, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(target)
    db.session.commit()
    flash(ngettext("%(num)s test copied from %(source)s as a draft, its times moved by %(days)s days. Check and"
                   " publish it.", "%(num)s tests copied from %(source)s as drafts, their times moved by %(days)s"
                   " days. Check and publish them.", len(report.made), source=form.source.data,
                   days=report.shift.days))
    if report.skipped:
        flash(_("Already here, not copied: %(titles)s.", titles=", ".join(report.skipped)), "warning")
    return redirect(target)


@bp.route("/cohorts/<code>/tests/new", methods=["GET", "POST"])
@requires("quizbank:run_tests", cohort_context)
def test_new(code):
    cohort = g.cohort
    form = TestForm()
    form.blueprint_id.choices = _blueprint_choices(cohort)
    if request.method == "GET":
        form.bands.data = bands_text(test_service.PROGRAMME_DEFAULTS.get(cohort.programme.code, {}).get("bands", []),
                                     current_language())
    if form.validate_on_submit():
        done = run_service(form, lambda: test_service.create_test(cohort, _fields(form, cohort), current_user),
                           _("The test is saved as a draft. Publish it when it is ready."),
                           lambda test: url_for(".tests", code=cohort.code))
        if done:
            return done
    return render_template("quizbank/test_form.html", cohort=cohort, form=form, test=None)


@bp.route("/cohorts/<code>/tests/<int:test_id>/edit", methods=["GET", "POST"])
@requires("quizbank:run_tests", test_context)
def test_edit(code, test_id):
    cohort, test = g.cohort, g.test
    form = TestForm()
    form.blueprint_id.choices = _blueprint_choices(cohort)
    if request.method == "GET":
        _fill(form, test, cohort)
    if form.validate_on_submit():
        done = run_service(form, lambda: test_service.update_test(test, _fields(form, cohort, test), current_user),
                           _("Changes saved."), url_for(".tests", code=cohort.code))
        if done:
            return done
    return render_template("quizbank/test_form.html", cohort=cohort, form=form, test=test)


def _state_change(action, success: str):
    return run_button(lambda: action(g.test, current_user), success, url_for(".tests", code=g.cohort.code))


@bp.route("/cohorts/<code>/tests/<int:test_id>/publish", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_publish(code, test_id):
    return _state_change(blueprint_service.publish, _("Published: participants can take it from its opening time."))


@bp.route("/cohorts/<code>/tests/<int:test_id>/close", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_close(code, test_id):
    return _state_change(test_service.close_test, _("Closed: no new attempts or answers are taken."))


@bp.route("/cohorts/<code>/tests/<int:test_id>/participants/<int:enrolment_id>/extra-attempt", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_extra_attempt(code, test_id, enrolment_id):
    """One more attempt for one participant (Moodle's user override), from the results page;
    `action=withdraw` takes back an unused one given by mistake."""
    if request.form.get("action") == "withdraw":
        return _for_participant(enrolment_id, attempt_service.withdraw_extra_attempt,
                                lambda name: _("The extra attempt of %(name)s is withdrawn.", name=name))
    return _for_participant(enrolment_id, attempt_service.grant_extra_attempt,
                            lambda name: _("%(name)s may take one more attempt.", name=name))


@bp.route("/cohorts/<code>/tests/<int:test_id>/participants/<int:enrolment_id>/extra-minutes", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_extra_minutes(code, test_id, enrolment_id):
    """More time for one participant (0 takes it back), from the results page."""
    minutes = request.form.get("minutes", "")
    return _for_participant(
        enrolment_id, lambda test, enrolment, actor: attempt_service.set_extra_minutes(test, enrolment, minutes, actor),
        lambda name: _("%(name)s now has %(minutes)s minutes for this test.", name=name,
                       minutes=(g.test.time_limit_minutes or 0) + (int(minutes) if minutes.isdigit() else 0)))


@bp.route("/cohorts/<code>/tests/<int:test_id>/participants/<int:enrolment_id>/closes", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_personal_close(code, test_id, enrolment_id):
    """A later closing time for one participant, from the results page; `action=withdraw`
    gives them the test's own again."""
    return _personal_time(
        enrolment_id, "closes_at", attempt_service.set_personal_close,
        lambda name: _("%(name)s has the test's own closing time again.", name=name),
        lambda name, time: _("%(name)s may take the test until %(time)s.", name=name, time=time))


@bp.route("/cohorts/<code>/tests/<int:test_id>/participants/<int:enrolment_id>/opens", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_personal_open(code, test_id, enrolment_id):
    """An earlier opening time for one participant, from the results page; `action=withdraw`
    gives them the test's own again."""
    return _personal_time(
        enrolment_id, "opens_at", attempt_service.set_personal_open,
        lambda name: _("%(name)s has the test's own opening time again.", name=name),
        lambda name, time: _("%(name)s may start the test from %(time)s.", name=name, time=time))


def _personal_time(enrolment_id: int, field: str, set_time, withdrawn, given_message):
    """Set one participant's own time from the form's `field` (local time), or take it back
    with `action=withdraw`."""
    withdraw = request.form.get("action") == "withdraw"
    given = "" if withdraw else request.form.get(field, "").strip()

    def action(test, enrolment, actor):
        moment = None if withdraw else _to_utc(_local_time(given, field), g.cohort.timezone)
        return set_time(test, enrolment, moment, actor)

    return _for_participant(enrolment_id, action, lambda name: withdrawn(name) if withdraw else
                            given_message(name, given.replace("T", " ")))


def _local_time(given: str, field: str = "closes_at") -> datetime:
    """A datetime-local field's value (the browser sends YYYY-MM-DDTHH:MM)."""
    try:
        return datetime.strptime(given.replace(" ", "T"), "%Y-%m-%dT%H:%M")
    except ValueError:
        message = (_l("the opening time is a date and time, YYYY-MM-DD HH:MM (got %(value)s)", value=repr(given))
                   if field == "opens_at" else
                   _l("the closing time is a date and time, YYYY-MM-DD HH:MM (got %(value)s)", value=repr(given)))
        raise ServiceError(message, field=field) from None


def _for_participant(enrolment_id: int, action, success):
    """Run `action(test, enrolment, actor)` for one participant of the cohort (404 for anyone
    else), flash `success(name)` once it is committed, and go back to the results page."""
    target = url_for(".test_results", code=g.cohort.code, test_id=g.test.id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != g.cohort.id:
        abort(404)
    return run_button(lambda: action(g.test, enrolment, current_user), success(enrolment.user.full_name), target)


@bp.route("/cohorts/<code>/tests/<int:test_id>")
@requires("quizbank:view_results", test_context)
def test_results(code, test_id):
    summary = result_service.results(g.test)
    if "format" in request.args:
        return _results_table(summary, request.args["format"])
    can_run = can_here("quizbank:run_tests")
    return render_template("quizbank/test_results.html", cohort=g.cohort, test=g.test, summary=summary,
                           state=test_service.state(g.test), band_of=_band_of, can_run=can_run,
                           corrected=regrade_service.items_with_newer_versions(g.test) if can_run else 0,
                           confirm=ConfirmForm())


@bp.route("/cohorts/<code>/tests/growth")
@requires("quizbank:view_results", cohort_context)
def tests_growth(code):
    """The course's gain per topic: the same participants' shares in an earlier test (by default
    the diagnostic) and a later one (by default the final)."""
    tests = [t for t in test_service.tests_of(g.cohort) if t.kind not in SURVEY_KINDS]
    by_id = {t.id: t for t in tests}

    def chosen(name: str, kind: str):
        given = request.args.get(name, type=int)
        return by_id.get(given) if given else next((t for t in tests if t.kind == kind), None)

    before, after = chosen("before", "diagnostic"), chosen("after", "final")
    framework = competences.framework_for(g.cohort.programme.code)
    by, titles = _grouping(framework)
    found = result_service.growth(before, after, by) if before and after and before.id != after.id else None
    return render_template("quizbank/tests_growth.html", cohort=g.cohort, tests=tests, before=before, after=after,
                           by=by, growth=found, titles=titles, framework=framework)


def _grouping(framework) -> tuple[str, dict]:
    """How the request asks results to be grouped (topic, module, or competence where the
    programme has a framework), and the names of the groups' keys."""
    by = request.args.get("by")
    if by == "competence" and framework is not None:
        return by, framework.by_code()
    return ("module" if by == "module" else "topic"), topic_titles(g.cohort)


@bp.route("/cohorts/<code>/tests/<int:test_id>/remind", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def test_remind(code, test_id):
    """E-mail the participants who have not finished the test (or answered the survey) while it
    is open to them."""
    survey = g.test.kind in SURVEY_KINDS
    target = url_for(".survey_summary" if survey else ".test_results", code=code, test_id=test_id)

    def sent(queued) -> None:
        if not queued:
            flash(_("Nobody to remind: everyone has answered the survey or was reminded today.") if survey else
                  _("Nobody to remind: everyone for whom the test is open has finished it or was reminded today."))
        elif mail.deliver_all() >= len(queued):  # now, not with tomorrow's daily task: it may close today
            flash(ngettext("%(num)s reminder sent.", "%(num)s reminders sent.", len(queued)))
        else:
            flash(ngettext("%(num)s reminder queued; the mail server has not taken it yet: it is tried again with"
                           " the daily reminders.", "%(num)s reminders queued; the mail server has not taken them"
                           " all yet: they are tried again with the daily reminders.", len(queued)), "warning")

    return run_button(lambda: reminder_service.remind_unfinished(g.test, current_user), None, target, sent)


@bp.route("/cohorts/<code>/tests/<int:test_id>/topics")
@requires("quizbank:view_results", test_context)
def test_topics(code, test_id):
    """Each participant's best attempt per topic or module, and the cohort's share on each:
    what the diagnostic test is for, and where the final test found the course weak."""
    if g.test.kind in SURVEY_KINDS:
        abort(404)
    framework = competences.framework_for(g.cohort.programme.code)
    by, titles = _grouping(framework)
    report = result_service.by_topic(g.test, by)
    if "format" in request.args:
        named = [f"{k}. {localized(titles[k], 'title')}" if by == "competence" else k for k in report.keys]
        header = [_("Participant"), _("E-mail"), _("Attempt"), *named]
        rows = [[e.user.full_name, e.user.email, a.number,
                 *(scores[k].percent if k in scores else None for k in report.keys)] for e, a, scores in report.rows]
        rows.append([_("Cohort"), "", "", *(report.means[k] for k in report.keys)])
        return table_download(request.args["format"], header, rows, f"{code}-test-{test_id}-{by}s", sheet=_("By topic"))
    return render_template("quizbank/test_topics.html", cohort=g.cohort, test=g.test, report=report, titles=titles,
                           framework=framework)


@bp.route("/cohorts/<code>/tests/<int:test_id>/sample")
@requires("quizbank:run_tests", test_context)
def test_sample(code, test_id):
    """A draw as a new participant would get it (Moodle's quiz preview, without an attempt):
    what each blueprint rule and level gave, and the items; another seed, another draw."""
    try:
        drawn = draw_service.sample(g.test, draw_service.seed_or_new(request.args.get("seed", type=int)))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".test_results", code=code, test_id=test_id))
    return render_template("quizbank/test_sample.html", cohort=g.cohort, test=g.test, sample=drawn,
                           next_seed=draw_service.new_seed(), item_url=item_url_for(g.test.blueprint.bank))


@bp.route("/cohorts/<code>/tests/<int:test_id>/regrade", methods=["GET", "POST"])
@requires("quizbank:run_tests", test_context)
def test_regrade(code, test_id):
    """After an item was corrected: what a regrade would change (GET, the dry run), then the
    regrade itself (POST)."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        done = regrade_service.regrade(g.test, current_user)
        db.session.commit()
        flash(_("Regraded: %(attempts)s attempt(s) now show the corrected items; %(changed)s result(s) changed.",
                attempts=done.attempts, changed=len(done.changes)))
        return redirect(url_for(".test_results", code=code, test_id=test_id))
    return render_template("quizbank/regrade.html", cohort=g.cohort, test=g.test,
                           plan=regrade_service.plan(g.test), confirm=form,
                           band_label=lambda percent: test_service.band_label(test_service.band_for(g.test, percent),
                                                                              current_language()))


def _band_of(attempt) -> str:
    band = test_service.band_for(attempt.test, attempt.percent) if attempt.band else None
    return test_service.band_label(band, current_language()) if band else (attempt.band or "")


def _attempt_status(status: str) -> str:
    return _("finished") if status == "finished" else _("in progress")


def _results_table(summary, fmt: str) -> Response:
    header = [_("Participant"), _("E-mail"), _("Attempt"), _("Status"), _("Score"), _("Max"), _("Percent"),
              _("Band"), _("Passed"), _("Essays to grade")]
    rows = []
    for row in summary.rows:
        for a in row.attempts or [None]:
            user = row.enrolment.user
            if a is None:
                rows.append([user.full_name, user.email, "", _("not started"), "", "", "", "", "", ""])
                continue
            rows.append([user.full_name, user.email, a.number, _attempt_status(a.status), a.score, a.max_score, a.percent,
                         _band_of(a) if a.status == "finished" else "",
                         "" if a.passed is None else (_("yes") if a.passed else _("no")), a.pending_grading])
    return table_download(fmt, header, rows, f"{g.cohort.code}-test-{summary.test.id}-results", sheet=_("Result"))


@bp.route("/cohorts/<code>/tests/<int:test_id>/responses.<fmt>")
@requires("quizbank:view_results", test_context)
def test_responses(code, test_id, fmt):
    """Every answer given to the test, one row per question of each attempt (Moodle's
    responses report): for an appeal, or to see what a weak item's choosers wrote."""
    try:
        responses = result_service.responses(g.test)
    except ServiceError:
        abort(404)
    header = [_("Participant"), _("E-mail"), _("Attempt"), _("Status"), _("Question"), _("Code"), _("Version"),
              _("Type"), _("Text"), _("Answer"), _("Right answer"), _("Points"), _("Max"), _("set by the trainer")]
    rows = [[r.participant, r.email, r.attempt, _attempt_status(r.status), r.slot, r.code, r.version,
             type_name(r.qtype), r.text, r.response, r.right_answer, r.score, r.max_score,
             _("yes") if r.overridden else ""] for r in responses]
    return table_download(fmt, header, rows, f"{code}-test-{test_id}-responses", sheet=_("Answers"))
