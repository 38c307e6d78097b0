"""The API's express lane: a few hot, idempotent endpoints (an answer save) served straight
from WSGI inside an application context, without Flask's request context.

Why: on a final test day the answer save is nearly every request the server gets, and the
request machinery an API call with a bearer token does not use (request and session
objects, the URL adapter, the CSRF and rate-limit hooks, the remember-me cookie) cost about
a third of a save's CPU (docs/performance.md). Moodle keeps its quiz autosave in a script
of its own (mod/quiz/autosave.ajax.php) for the same reason.

What stays the same: the lane calls the very function the endpoint's route calls, so the
token check, capability check, service and COMMIT are one piece of code (`api_endpoint`
reads the header and body through `lane_request()` when the lane set them), and the API's
refusals (ApiError, ServiceError) are answered by the same function as its error handlers.
A request the lane does not take (no bearer token, a body that is not JSON or is over
LANE_BODY_LIMIT, another path) goes to Flask untouched; an unexpected exception is rolled
back and the request handed to Flask, which runs it again and answers as it always does. A
lane endpoint must therefore be safe to run twice, as the save is (the same answer stored
again)."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Callable

from flask import Flask, g
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from lms.db import WRITE_METHODS, db, write_intent

#: bodies larger than this go the usual way (an answer is a few hundred bytes)
LANE_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class LaneRequest:
    """What a lane endpoint reads of its request: the Authorization header and the JSON body."""

    authorization: str
    json: object


def lane_request() -> LaneRequest | None:
    """The request as the lane read it, when the lane is serving it (None under Flask)."""
    return g.get("api_lane_request")


def lane_endpoint(view: Callable) -> Callable:
    """Mark an API view (already wrapped by `api_endpoint`) to be served by the lane."""
    view.api_lane = True
    return view


class ApiLane:
    """WSGI middleware in front of the Flask app; `response_hooks` get each lane response
    (the core's security headers, the bench's statement counter)."""

    def __init__(self, app: Flask, error_response: Callable | None = None):
        self.app, self.next, self.error_response = app, app.wsgi_app, error_response
        self.response_hooks: list[Callable] = []
        self._adapter = None
        self._methods: frozenset[str] = frozenset()

    def _routes(self):
        if self._adapter is None:
            rules = [Rule(r.rule, endpoint=r.endpoint, methods=r.methods)
                     for r in self.app.url_map.iter_rules()
                     if getattr(self.app.view_functions.get(r.endpoint), "api_lane", False)]
            self._methods = frozenset(m for r in rules for m in r.methods)
            self._adapter = Map(rules, converters=self.app.url_map.converters).bind("lane")
        return self._adapter

    def __call__(self, environ, start_response):
        adapter = self._routes()
        if environ.get("REQUEST_METHOD") in self._methods and environ.get("HTTP_AUTHORIZATION"):
            served = self._serve(adapter, environ, start_response)
            if served is not None:
                return served
        return self.next(environ, start_response)

    def _serve(self, adapter, environ, start_response):
        try:
            endpoint, kwargs = adapter.match(environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"])
        except HTTPException:
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if (not length.isdigit() or int(length) > LANE_BODY_LIMIT
                or not environ.get("CONTENT_TYPE", "").startswith("application/json")):
            return None
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if the lane hands over
        try:
            data = json.loads(body)
        except ValueError:
            return None
        intent = write_intent.set(environ["REQUEST_METHOD"] in WRITE_METHODS)
        try:
            with self.app.app_context():
                g.api_lane_request = LaneRequest(environ["HTTP_AUTHORIZATION"], data)
                try:
                    response = self.app.view_functions[endpoint](**kwargs)
                except Exception as exc:  # noqa: BLE001 - what the API's error handlers do not answer, Flask runs again
                    response = self.error_response(exc) if self.error_response else None
                    if response is None:
                        db.session.rollback()
                        self.app.logger.warning("api lane: %s %s handed to Flask after %r", environ["REQUEST_METHOD"],
                                                environ.get("PATH_INFO"), exc)
                        return None
                for hook in self.response_hooks:
                    hook(response)
        finally:
            write_intent.reset(intent)  # the thread's next work begins its transactions as reads
        return response(environ, start_response)


def install(app: Flask, error_response: Callable | None = None) -> ApiLane:
    """Put the lane in front of `app`; `error_response(exc)` answers the API's own refusals
    (ApiError, ServiceError) as its error handlers do, and None for anything else."""
    lane = ApiLane(app, error_response)
    app.wsgi_app = lane
    app.extensions["lms_api_lane"] = lane
    return lane
