"""API bearer tokens: stored hashed, refused when revoked, of another scope or of an inactive
user; one SELECT authenticates (token, user and role assignments); the last use is written
at most once a minute, also by endpoints that only read."""
from sqlalchemy import select

from lms.core.models import ApiToken, User
from lms.core.services import tokens


def _me(client, plain):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})


def _writes(statements):
    return [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


def test_a_token_opens_the_api_and_only_its_hash_is_stored(client, make, db_session):
    user = make.user(email="tok-a@test.kz")
    token, plain = tokens.create_token(user, "laptop")
    db_session.commit()
    assert plain.startswith("lms_") and token.prefix == plain[:12] and plain not in token.token_hash
    r = _me(client, plain)
    assert r.status_code == 200 and r.get_json()["email"] == "tok-a@test.kz"
    for headers in ({}, {"Authorization": plain}, {"Authorization": "Basic " + plain},
                    {"Authorization": "Bearer lms_not-a-token"}, {"Authorization": "Bearer "}):
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 401 and r.get_json()["error"] == "unauthorized", headers


def test_revoked_tokens_calendar_tokens_and_inactive_users_are_refused(client, make, db_session):
    user, other = make.user(email="tok-b@test.kz"), make.user(email="tok-c@test.kz")
    token, plain = tokens.create_token(user)
    _t, kept = tokens.create_token(user)
    _t, others = tokens.create_token(other)
    calendar = tokens.calendar_token(user)
    db_session.commit()
    assert _me(client, plain).status_code == 200
    assert _me(client, calendar).status_code == 401  # a feed token opens no API
    tokens.revoke(db_session.get(ApiToken, token.id), user)
    db_session.commit()
    assert _me(client, plain).status_code == 401
    assert _me(client, kept).status_code == 200  # revoking one token leaves the others
    db_session.get(User, other.id).is_active_account = False
    db_session.commit()
    assert _me(client, others).status_code == 401


def test_one_select_authenticates_and_the_last_use_is_written_once_a_minute(client, make, db_session,
                                                                             count_queries):
    user = make.user(email="tok-d@test.kz", role="participant", context=("cohort", 1))
    user.policies_agreed = True  # a new account's first request asks for the policies once (test_policies_api)
    token, plain = tokens.create_token(user)
    db_session.commit()
    token_id = token.id
    with count_queries() as q:  # first use: recorded (and committed, though /me only reads)
        assert _me(client, plain).status_code == 200
    assert [s.split()[0].upper() for s in q] == ["SELECT", "UPDATE"], q
    assert "core_role_assignments" in q[0] and "core_users" in q[0]
    db_session.expire_all()
    first = db_session.get(ApiToken, token_id).last_used_at
    assert first is not None

    with count_queries() as q:  # used again within the minute: nothing written
        assert _me(client, plain).status_code == 200
    assert len(q) == 1 and not _writes(q), q
    db_session.expire_all()
    assert db_session.get(ApiToken, token_id).last_used_at == first

    db_session.get(ApiToken, token_id).last_used_at = first - tokens.LAST_USED_EVERY
    db_session.commit()
    with count_queries() as q:
        assert _me(client, plain).status_code == 200
    assert len(_writes(q)) == 1 and "core_api_tokens" in _writes(q)[0]
    db_session.expire_all()
    assert db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id)) > first
