"""Every kind of notice a reader may turn off is declared by its plugin and has words in each
language (the profile lists them); every kind the code asks `mail.wants` about is declared, so a
misspelt kind fails here rather than on a test day."""
import re
from pathlib import Path

import lms

ROOT = Path(lms.__file__).resolve().parent
#: the kind in `mail.wants(user, "kind")` and in courses' `participants(cohort_id, "kind")`
ASKED = re.compile(r'(?:mail\.wants|participants)\(\s*[^,()]+,\s*"([a-z_]+:[a-z_]+)"')


def test_every_kind_asked_is_declared_and_has_words_in_every_language(app):
    kinds = app.extensions["lms_notice_kinds"]
    folders = [ROOT / "core"] + [ROOT / name for name in app.extensions["lms_plugins"]]
    asked = {m for f in folders for p in f.rglob("*.py") for m in ASKED.findall(p.read_text(encoding="utf-8"))}
    assert {"courses:schedule", "community:answer", "postcourse:summary"} <= asked  # the reading finds them
    assert sorted(asked - set(kinds)) == []
    assert sorted(set(kinds) - asked) == []  # a declared kind nobody asks about would be a dead box
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("en"):
            english = {code: str(words) for code, words in kinds.items()}
        for language in ("kk", "ru"):
            with force_locale(language):
                assert [c for c, w in kinds.items() if str(w) == english[c]] == [], language
