"""The file store: uploads are checked for size and type, kept under their SHA-256 in
LMS_FILES_DIR (default instance/files), and described by a StoredFile row."""
from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.core.models import StoredFile
from lms.core.services.errors import ServiceError
from lms.db import db

#: what participants may hand in: documents, presentations, spreadsheets, images, PDF, archives
EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".zip": "application/zip",
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
_OLE2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the compound file of Office 97-2003
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # Office Open XML and OpenDocument are ZIP files
#: how each type's content begins: a file is what its name says, not an executable renamed
SIGNATURES = {".pdf": (b"%PDF",), ".doc": _OLE2, ".ppt": _OLE2, ".xls": _OLE2, ".docx": _ZIP, ".pptx": _ZIP,
              ".xlsx": _ZIP, ".odt": _ZIP, ".zip": _ZIP, ".png": (b"\x89PNG\r\n\x1a\n",),
              ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


def files_dir() -> Path:
    return Path(current_app.config["LMS"].files_dir)


def _path(sha256: str) -> Path:
    return path_in(files_dir(), sha256)


def path_in(directory: Path, sha256: str) -> Path:
    """Where the store keeps a file's bytes under `directory` (a backup reads and a restore
    writes a store that need not be this app's)."""
    return Path(directory) / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes, filename: str, uploader=None, *, allowed: dict[str, str] = EVIDENCE_TYPES,
          max_bytes: int = MAX_EVIDENCE_BYTES, field: str = "file") -> StoredFile:
    """Refuses what is too large, empty, or of a type not in `allowed`: by extension, and by
    the first bytes its type begins with (`SIGNATURES`; plain text holds no NUL byte)."""
    name = Path(filename or "").name.strip()
    suffix = Path(name).suffix.lower()
    if not name:
        raise ServiceError(_l("the file has no name"), field=field)
    if suffix not in allowed:
        raise ServiceError(_l("files of type %(type)s are not accepted; accepted: %(accepted)s",
                              type=suffix or "(none)", accepted=", ".join(sorted(allowed))), field=field)
    if not data:
        raise ServiceError(_l("the file is empty"), field=field)
    if len(data) > max_bytes:
        raise ServiceError(_l("the file is %(size)s MB; the limit is %(limit)s MB", size=f"{len(data) / 1048576:.1f}",
                              limit=f"{max_bytes / 1048576:.0f}"), field=field)
    if suffix == ".pdf" and not data.startswith(b"%PDF"):
        raise ServiceError(_l("the file is named .pdf but is not a PDF"), field=field)
    if not data.startswith(SIGNATURES.get(suffix, b"")) or (suffix == ".txt" and b"\x00" in data):
        raise ServiceError(_l("the file is named %(type)s but its content is not of that type", type=suffix),
                           field=field)
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    stored = StoredFile(sha256=digest, size=len(data), original_name=name[:255],
                        mime_type=allowed.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream",
                        uploaded_by_id=getattr(uploader, "id", None))
    db.session.add(stored)
    db.session.flush()
    return stored


def read(stored: StoredFile) -> bytes:
    return _path(stored.sha256).read_bytes()


def path_of(stored: StoredFile) -> Path:
    return _path(stored.sha256)
