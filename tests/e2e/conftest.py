"""A real server (the `lms` command, a fresh SQLite file) driven by Debian's Chromium
through Playwright. Nothing is mocked: the server is set up by the same commands
`make run` uses."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_instance(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-instance")


@pytest.fixture(scope="session")
def live_server_db(e2e_instance) -> str:
    """The server's SQLite file, for tests that need to look up ids as a person would read them."""
    return str(e2e_instance / "e2e.sqlite3")


@pytest.fixture(scope="session")
def live_server(e2e_instance):
    instance = e2e_instance
    env = {**os.environ, "LMS_INSTANCE_DIR": str(instance),
           "LMS_DATABASE_URL": f"sqlite:///{instance / 'e2e.sqlite3'}",
           # every browser signs in from 127.0.0.1: the suite's people together exceed 10 a minute
           "LMS_LOGIN_RATE_LIMIT": "100 per minute"}
    env.pop("LMS_PLUGINS", None)
    lms = [str(Path(sys.executable).parent / "lms")]
    for args in (["db", "upgrade"], ["content", "load", "content/", "--quiet"],
                 ["bank", "load", "content/banks", "--quiet"], ["demo"]):
        done = subprocess.run(lms + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"lms {' '.join(args)}: {done.stderr}"
    port = _free_port()
    log = open(instance / "server.log", "wb")
    server = subprocess.Popen(lms + ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(base + "/login", timeout=1):
                break
        except OSError:
            if server.poll() is not None:
                log.close()
                raise RuntimeError((instance / "server.log").read_text())
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")  # an English browser still gets Kazakh first
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, target=None):
        (target or page).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
