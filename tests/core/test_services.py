import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.permissions import Context, has_capability
from lms.core.services import users
from lms.core.services.errors import Conflict, ServiceError


def test_create_user_normalizes_email_and_name(make, db_session):
    user = users.create_user("  Aigerim@Mail.KZ ", "Әбілқайыр\u0020  Ұлықбекұлы", "pw12")
    assert user.email == "aigerim@mail.kz"
    assert user.full_name == "Әбілқайыр Ұлықбекұлы"
    assert users.authenticate("AIGERIM@mail.kz", "pw12") is user
    assert users.authenticate("aigerim@mail.kz", "wrong") is None
    assert users.authenticate("nobody@mail.kz", "pw12") is None


def test_nfd_names_are_stored_nfc(db_session):
    user = users.create_user("nfd@test.kz", "И\u0306ылдыз", "pw12")  # й typed as и + breve
    assert user.full_name == "Йылдыз"


def test_duplicate_and_bad_email_are_refused(make, db_session):
    make.user(email="same@test.kz")
    with pytest.raises(Conflict) as exc:
        users.create_user("SAME@test.kz", "Another", "pw12")
    assert exc.value.field == "email"
    with pytest.raises(ServiceError):
        users.create_user("not-an-email", "Name", "pw12")


def test_roles_grant_capabilities_in_their_context_only(app, make, db_session):
    methodologist = make.user("methodologist", context=("programme", 7))
    with app.test_request_context():
        assert has_capability(methodologist, "core:manage_schools", Context("programme", 7))
        assert not has_capability(methodologist, "core:manage_schools", Context("programme", 8))
        assert not has_capability(methodologist, "core:manage_schools")
        admin = make.user("admin")
        # a system grant holds in every programme
        assert has_capability(admin, "core:manage_schools", Context("programme", 8))
        # everyone signed in may see their profile
        assert has_capability(methodologist, "core:view_profile")


def test_assigning_roles_is_idempotent_and_audited(make, db_session):
    user = make.user()
    first = users.assign_role(user, "curator")
    again = users.assign_role(user, "curator")
    assert first is again
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "role_assigned",
                                                          AuditEntry.object_id == str(user.id))).all()
    assert len(entries) == 1


def test_unknown_role_and_context_are_refused(make, db_session):
    user = make.user()
    with pytest.raises(ServiceError):
        users.assign_role(user, "superuser")
    with pytest.raises(ServiceError):
        users.assign_role(user, "trainer", "programme", None)
