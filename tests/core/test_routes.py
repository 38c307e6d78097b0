"""Every route states a capability or is on the explicit public list below."""
import pytest

#: the only endpoints anyone may open without a capability
PUBLIC_ENDPOINTS = {
    "static",
    "quizbank.static",  # attempt.js, no data
    "core.home",
    "core.login",
    "core.set_language",
    "core.password_forgot",  # answers the same whether an account exists; rate-limited
    "core.password_set",  # a signed link that expires and works once
    "core.policies_page",  # the personal data notice, readable before signing in
    "api.openapi",
    "courses.catalogue",
    "courses.programme",
    "courses.programme_version",
    "courses.topic",
    "courses.material_file",  # a public topic page's attached file
    "courses.module_pack",
    "cohorts.calendar_feed",
    "courses_api.programmes",
    "courses_api.programme",
    "portfolio.verify",  # what a certificate's QR code opens
    "portfolio.shared",  # a portfolio share link: a hashed token that expires and can be revoked
    "portfolio.shared_file",
    "portfolio_api.certificate_verify",
    "portfolio_api.certificate_badge",
    "portfolio_api.badge_class",
    "portfolio_api.badge_issuer",
}


def test_every_route_requires_a_capability_or_is_listed_public(app):
    unguarded, wrongly_public = [], []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_ENDPOINTS:
            if not rule.endpoint.endswith("static") and not getattr(view, "is_public", False):
                wrongly_public.append(rule.endpoint)
            continue
        if not getattr(view, "required_capability", None):
            unguarded.append(f"{rule.rule} ({rule.endpoint})")
    assert unguarded == []
    assert wrongly_public == []


def test_every_required_capability_is_declared(app):
    declared = app.extensions["lms_capabilities"].capabilities
    for endpoint, view in app.view_functions.items():
        for cap in getattr(view, "required_capabilities", None) or [getattr(view, "required_capability", None)]:
            if cap:
                assert cap in declared, endpoint


def _guarded_urls(app, lacking_role: str, extra: dict | None = None):
    """Every guarded route whose capability the role does not hold, with URL values that
    name real objects (so the check, not a 404, answers)."""
    grants = app.extensions["lms_capabilities"].grants
    held = grants.get("user", set()) | grants.get(lacking_role, set())
    values = {"code": "LDR-SUS", "version": 1, "number": 1, "topic_code": "1.1", "material_id": 1, "fmt": "csv",
              "session_id": 1, "submission_id": 1, "task_id": 1, "import_id": 1,
              "enrolment_id": 1, "artefact_id": 1, "project_id": 1, "defense_id": 1, "rubric_id": 1,
              "plan_id": 1, "activity_id": 1, "event_id": 1, "file_id": 1, "user_id": 1,
              "name": "ustaz-backup-20250101-000000.zip", "school_id": 1, "announcement_id": 1,
              "thread_id": 1, "post_id": 1, "policy_id": 1, "request_id": 1,
              **(extra or {})}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue  # the API authenticates by token; tests/core/test_api.py covers it
        caps = getattr(app.view_functions[rule.endpoint], "required_capabilities", None) or \
            [getattr(app.view_functions[rule.endpoint], "required_capability", None)]
        cap = caps[0]
        if cap and not held & set(caps):
            yield rule, rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]


def test_participant_gets_403_on_every_page_beyond_their_role(app, client, auth, make):
    participant = make.user("participant")
    extra = {}
    if "courses" in app.extensions["lms_plugins"]:
        cohort = make.cohort(code="LDR-SUS", participants=0)  # so /cohorts/<code>/... names a real cohort
        if "quizbank" in app.extensions["lms_plugins"]:
            extra = _quizbank_objects(cohort)
    auth.login(participant.email)
    checked = []
    for rule, url in _guarded_urls(app, "participant", extra):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, (method, url, response.status_code)
            checked.append(rule.endpoint)
    assert {"core.users", "core.audit_log", "core.backups", "core.backup_download"} <= set(checked)
    if "courses" in app.extensions["lms_plugins"]:
        assert {"courses.create", "courses.edit", "courses.topic_form", "courses.approve"} <= set(checked)


def _quizbank_objects(cohort) -> dict:
    """A bank, a blueprint and a test of the cohort, so quizbank URLs name real objects."""
    from lms.db import db
    from lms.quizbank.models import Bank, Blueprint, Item, ItemVersion, Test

    bank = Bank(code="LDR", programme_code=cohort.programme.code, title="bank")
    db.session.add(bank)
    db.session.flush()
    blueprint = Blueprint(bank_id=bank.id, code="B", title="b", total=1, rules=[])
    test = Test(cohort_id=cohort.id, kind="final", title="t")
    item = Item(bank_id=bank.id, code="LDR-1.1-K-001", topic_code="1.1", module_number=1,
                versions=[ItemVersion(qtype="truefalse", text="?", data={"correct": True})])
    db.session.add_all([blueprint, test, item])
    db.session.flush()
    return {"bank_code": "LDR", "test_id": test.id, "blueprint_id": blueprint.id, "attempt_id": 1, "slot_id": 1,
            "item_id": item.id, "slot": 1}


def test_anonymous_is_sent_to_sign_in(app, client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit", "/admin/schools"])
def test_admin_pages_are_forbidden_to_trainers(client, auth, make, path):
    trainer = make.user("trainer")
    auth.login(trainer.email)
    assert client.get(path).status_code == 403


def test_an_id_beyond_the_databases_integers_is_no_page(client, auth, make):
    """Not a 500 from the database's overflow: every <int:...> in a URL is bounded to 32 bits."""
    admin = make.user("admin")
    auth.login(admin.email)
    assert client.get(f"/admin/users/{2**31}").status_code == 404
    assert client.get(f"/admin/schools/{10**30}").status_code == 404
    assert client.get(f"/admin/users/{admin.id}").status_code == 200


def test_numbers_in_queries_and_forms_beyond_the_databases_integers_change_nothing(client, auth, make):
    """A page number or an id in a query string or a form, too large for the database, is read
    as none (or the last page), not passed to the query to overflow."""
    from lms.db import MAX_INT, db_int

    admin = make.user("admin")
    auth.login(admin.email)
    assert db_int(str(MAX_INT)) == MAX_INT
    with pytest.raises(ValueError):
        db_int(str(MAX_INT + 1))
    huge = 10**30
    for url in (f"/admin/users?page={huge}", f"/admin/audit?page={huge}", f"/admin/schools?page={huge}"):
        assert client.get(url).status_code == 200, url
