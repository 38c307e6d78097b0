"""Every act the code records in the audit log has its words for the log's page, in each
language: the page shows "Сертификат берілді", not certificate_issued. Found by reading the
code of the core and of every enabled plugin, so a new action without words fails here."""
import re
from pathlib import Path

import lms

ROOT = Path(lms.__file__).resolve().parent
#: the second argument of audit.record(...), a literal or "a" if ... else "b", and `action = "..."`
RECORD = re.compile(r'audit\.record\(\s*[^,()]+,\s*((?:"[a-z_]+"|[a-z_]+)(?:\s+if\s[^,]+\selse\s"[a-z_]+")?)')
ASSIGNED = re.compile(r'\baction\s*=\s*("[a-z_]+"(?:\s+if\s[^\n]+\selse\s"[a-z_]+")?)')
CODE = re.compile(r'"([a-z]+(?:_[a-z]+)+)"')


def _recorded(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (RECORD, ASSIGNED):
            for match in pattern.finditer(text):
                found.update(CODE.findall(match.group(1)))
    return found


def test_every_recorded_action_has_words_in_every_language(app):
    words = app.extensions["lms_audit_actions"]
    folders = [ROOT / "core", ROOT / "migrations"] + [ROOT / name for name in app.extensions["lms_plugins"]]
    recorded = set().union(*(_recorded(f) for f in folders))
    assert {"site_restored", "account_disabled", "user_created"} <= recorded  # the reading finds them
    assert sorted(recorded - set(words)) == []
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("en"):
            english = {code: str(text) for code, text in words.items()}
        for language in ("kk", "ru"):
            with force_locale(language):
                untranslated = [code for code, text in words.items() if str(text) == english[code]]
            assert untranslated == [], (language, untranslated)


def test_the_log_page_shows_the_words_in_the_readers_language(client, auth, make):
    admin = make.user("admin", language="kk")
    make.user(email="logged@test.kz")  # user_created is recorded
    auth.login(admin.email)
    page = client.get("/admin/audit").text
    assert 'data-action="user_created"' in page and ">Тіркелгі ашылды<" in page
    assert '<td title="User">Тіркелгі ' in page


def test_every_model_the_log_may_name_has_words(app):
    """The log names an object by its model class; every class of the core and of the enabled
    plugins has its words, in each language."""
    from flask_babel import force_locale

    from lms.core.migrate import table_prefixes
    from lms.db import Base

    words = app.extensions["lms_audit_types"]
    prefixes = table_prefixes(app)
    models = {m.class_.__name__ for m in Base.registry.mappers if m.local_table.name.startswith(prefixes)}
    assert "User" in models and sorted(models - set(words)) == []
    with app.test_request_context():
        with force_locale("en"):
            english = {t: str(w) for t, w in words.items()}
        with force_locale("kk"):
            assert [t for t, w in words.items() if str(w) == english[t]] == []
