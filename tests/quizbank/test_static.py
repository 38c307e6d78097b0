"""The attempt's autosave script, like every static file, is cached by browsers for a year
under a URL that names its content (lms/core/static_files.py)."""
from pathlib import Path

import lms
from tests.core.test_static_files import _version

SCRIPT = Path(lms.__file__).parent / "quizbank" / "static" / "attempt.js"


def test_the_attempt_script_is_versioned_and_cached_for_a_year(app, client):
    with app.test_request_context():
        from flask import url_for

        url = url_for("quizbank.static", filename="attempt.js")
    assert url.endswith(f"attempt.js?v={_version(SCRIPT)}")
    with client.get(url) as r:
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
