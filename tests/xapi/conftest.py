"""The xapi tests' Learning Record Store: a real HTTP server on this machine."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class RecordingLRS(ThreadingHTTPServer):
    """Answers `status` to every POST and keeps (path, headers, JSON body) of each."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status, self.received = 200, []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/xapi/"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers, json.loads(body)))  # names in any case
        answer = json.dumps([s["id"] for s in json.loads(body)] if self.server.status == 200
                            else {"error": "busy"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        """No line on stderr per request: the tests read `received` instead."""


@pytest.fixture
def lrs(app, monkeypatch):
    server = RecordingLRS()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "XAPI_ENDPOINT", server.url)
    monkeypatch.setitem(app.config, "XAPI_USERNAME", "ustaz")
    monkeypatch.setitem(app.config, "XAPI_PASSWORD", "lrs-secret")
    yield server
    server.shutdown()
    server.server_close()
