"""Static files on slow lines: their URLs name their content, so browsers keep them for a year
instead of asking again on every page; a stale or bare URL is still answered, and revalidated."""
import hashlib
import re
from pathlib import Path

import lms

CSS = Path(lms.__file__).parent / "core" / "static" / "lms.css"


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_the_stylesheet_url_names_its_content_and_is_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert href == f"/static/lms.css?v={_version(CSS)}"
    with client.get(href) as r:
        assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.data == CSS.read_bytes()


def test_a_bare_or_stale_static_url_is_revalidated(client):
    for url in ("/static/lms.css", "/static/lms.css?v=0123456789ab"):
        with client.get(url) as r:
            assert r.status_code == 200 and "max-age=31536000" not in r.headers.get("Cache-Control", "")
