"""The policies through the API, for an app: the token's user reads the current versions asked
of them and accepts them; /me says whether anything waits (it is answered either way)."""
from lms.core.services import policies, tokens
from lms.db import db
from tests.core.test_policies import NOTICE


def _bearer(user) -> dict:
    plain = tokens.create_token(user)[1]
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_an_app_reads_and_accepts_the_policies(app, client, make):
    headers = _bearer(make.user(email="app@test.kz", language="ru"))
    assert client.get("/api/v1/policies", headers=headers).get_json() == {"policies": []}
    assert client.get("/api/v1/me", headers=headers).get_json()["policies_agreed"] is True
    with app.test_request_context():
        notice = policies.publish("privacy", NOTICE, None).id
        db.session.commit()

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["policies_agreed"] is False
    (listed,) = client.get("/api/v1/policies", headers=headers).get_json()["policies"]
    assert (listed["id"], listed["version"], listed["accepted_at"]) == (notice, 1, None)
    assert listed["title"] == NOTICE["title_ru"]  # in the token user's language
    r = client.post("/api/v1/policies/accept", json={"policy_ids": [notice]}, headers=headers)
    assert r.status_code == 200 and r.get_json()["policies"][0]["accepted_at"]
    assert client.get("/api/v1/me", headers=headers).get_json()["policies_agreed"] is True
    assert client.get("/api/v1/policies").status_code == 401
