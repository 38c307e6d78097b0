"""Static files (the stylesheet, the attempt script) cached by browsers for a year.

Why: on a slow rural line every page view that revalidates a render-blocking stylesheet
waits one more round trip. Each static URL carries `v`, a hash of the file's content, so a
browser may keep the file for good; a changed file gets a new URL. A static URL without the
current `v` is served as before (revalidated on every use)."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, request

#: what a browser is told about a file whose URL names its content
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def is_static(endpoint: str | None) -> bool:
    """The app's or a plugin blueprint's static-file endpoint."""
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def _folder(endpoint: str) -> str | None:
    if endpoint == "static":
        return current_app.static_folder
    blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def version(endpoint: str, filename: str) -> str | None:
    """The content hash of a static file (None when there is no such file)."""
    folder = _folder(endpoint)
    path = os.path.join(folder, filename) if folder else None
    try:
        return _digest(path, os.stat(path).st_mtime_ns) if path else None
    except OSError:
        return None


def init_static_versions(app: Flask) -> None:
    @app.url_defaults
    def _add_version(endpoint, values):
        if is_static(endpoint) and "v" not in values:
            v = version(endpoint, values.get("filename", ""))
            if v:
                values["v"] = v


def cache_forever(response):
    """After a static file's request (`is_static`): cache it for a year when its URL names
    this content."""
    wanted = request.args.get("v")
    if (wanted and response.status_code == 200
            and wanted == version(request.endpoint, request.view_args.get("filename", ""))):
        response.headers["Cache-Control"] = IMMUTABLE
    return response
