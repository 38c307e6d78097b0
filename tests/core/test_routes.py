"""Every route states a capability or is on the explicit public list below."""
import pytest

#: the only endpoints anyone may open without a capability
PUBLIC_ENDPOINTS = {
    "static",
    "core.home",
    "core.login",
    "core.set_language",
    "courses.catalogue",
    "courses.programme",
    "courses.programme_version",
    "courses.topic",
}


def test_every_route_requires_a_capability_or_is_listed_public(app):
    unguarded, wrongly_public = [], []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_ENDPOINTS:
            if rule.endpoint != "static" and not getattr(view, "is_public", False):
                wrongly_public.append(rule.endpoint)
            continue
        if not getattr(view, "required_capability", None):
            unguarded.append(f"{rule.rule} ({rule.endpoint})")
    assert unguarded == []
    assert wrongly_public == []


def test_every_required_capability_is_declared(app):
    declared = app.extensions["lms_capabilities"].capabilities
    for endpoint, view in app.view_functions.items():
        cap = getattr(view, "required_capability", None)
        if cap:
            assert cap in declared, endpoint


def _authoring_urls(app):
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("courses.") and rule.endpoint not in PUBLIC_ENDPOINTS:
            values = {"code": "LDR-SUS", "version": 1, "number": 1, "topic_code": "1.1", "material_id": 1}
            urls.append((rule, rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]))
    return urls


def test_participant_gets_403_on_every_authoring_page(app, client, auth, make):
    participant = make.user("participant", context=("system", None))
    auth.login(participant.email)
    checked = 0
    for rule, url in _authoring_urls(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
    assert checked >= 10


def test_anonymous_is_sent_to_sign_in_for_authoring(app, client):
    response = client.get("/programmes/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit", "/admin/schools"])
def test_admin_pages_are_forbidden_to_trainers(client, auth, make, path):
    trainer = make.user("trainer")
    auth.login(trainer.email)
    assert client.get(path).status_code == 403
