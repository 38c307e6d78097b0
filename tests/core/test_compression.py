"""Pages go compressed to a browser that asks, for slow rural lines; one that does not ask gets
them as they are, and the content is the same either way."""
import gzip

import brotli


def test_a_page_is_compressed_only_for_a_browser_that_asks(client):
    plain = client.get("/login")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    zipped = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    best = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert best.headers["Content-Encoding"] == "br" and brotli.decompress(best.data) == plain.data
    assert int(best.headers["Content-Length"]) < len(plain.data) / 2


def test_json_is_compressed_too(client):
    plain = client.get("/api/v1/openapi.json")
    zipped = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) * 0.6
