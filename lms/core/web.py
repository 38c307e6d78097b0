"""What every plugin's views share with the core's: a service call behind a form or a button."""
from __future__ import annotations

from flask import abort, flash, redirect, send_file
from werkzeug.datastructures import FileStorage

from lms.core.services.errors import ServiceError
from lms.db import db


def run_service(form, action, success: str | None, redirect_to):
    """Run a service call for a valid form: commit once on success, or roll back and put
    each problem of the refusal under its field of the form (under the refusal's own field
    when the form has none of that name; in a flash message when it has neither). Returns a
    redirect or None."""
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        fields = form._fields if form is not None else {}
        for field, message in exc.problems:
            target = fields.get(field) if field else None
            target = target if target is not None else (fields.get(exc.field) if exc.field else None)
            if target is not None:
                target.errors = list(target.errors) + [str(message)]
            else:
                flash(str(message), "error")
        return None
    db.session.commit()
    if success:
        flash(success)
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def run_button(action, success: str | None, target: str, after=None):
    """A POST button (a form with nothing but its CSRF token): run the service call as
    `run_service` does, refusals flashed, and go back to `target`. `after(result)` runs once
    the call is committed (to send what it queued, to say what it did)."""
    from lms.core.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        return redirect(target)

    def committed(result) -> str:
        if after is not None:
            after(result)
        return target

    return run_service(None, action, success, committed) or redirect(target)


def send_stored(stored):
    """A stored file as a download that no cache keeps and no browser sniffs (a 404 when the
    row names none, or the store has lost it)."""
    from lms.core.services import files

    if stored is None or not files.path_of(stored).exists():
        abort(404)
    response = send_file(files.path_of(stored), mimetype=stored.mime_type, as_attachment=True,
                         download_name=stored.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def upload_of(field) -> tuple[bytes, str] | None:
    """A form's file field as (bytes, name) for `files.store`, or None when nothing was chosen."""
    storage = field.data
    if isinstance(storage, FileStorage) and storage.filename:
        return storage.read(), storage.filename  # bounded by MAX_CONTENT_LENGTH
    return None

