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


EXE = b"MZ\x90\x00\x03\x00\x00\x00"  # a Windows program


@pytest.mark.parametrize("name, data, accepted", [
    ("lesson.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, True),
    ("lesson.doc", EXE, False),
    ("slides.ppt", EXE, False),
    ("marks.xls", EXE, False),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, True),
    ("photo.png", EXE, False),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, True),
    ("photo.jpeg", b"GIF89a", False),
    ("plan.docx", b"PK\x03\x04" + b"\x00" * 20, True),
    ("plan.docx", b"PKnot a zip", False),
    ("notes.txt", "Сабақ жоспары".encode(), True),
    ("notes.txt", EXE, False),
])
def test_an_upload_is_what_its_name_says(app, db_session, name, data, accepted):
    """A renamed program is refused whatever its extension, and nothing is stored."""
    from lms.core.models import StoredFile
    from lms.core.services import files

    with app.app_context():
        if accepted:
            assert files.store(data, name).original_name == name
        else:
            with pytest.raises(ServiceError, match="not of that type|not a PDF"):
                files.store(data, name)
            assert db_session.scalar(select(StoredFile.id)) is None
