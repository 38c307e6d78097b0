"""The plugin registry, and the core running with no plugin at all."""
import os
import subprocess
import sys

import pytest

from lms.plugins import PluginError, enabled_plugins, installed_plugins
from tests.conftest import ROOT


def test_courses_is_found_through_its_entry_point():
    plugins = installed_plugins()
    assert "courses" in plugins
    courses = plugins["courses"]
    assert courses.version and courses.migrations.is_dir()
    assert all(cap.name.startswith("courses:") for cap in courses.capabilities)


def test_unknown_plugin_names_are_an_error_not_a_silent_omission():
    with pytest.raises(PluginError) as exc:
        enabled_plugins(["courses", "quizbnak"])
    assert "quizbnak" in str(exc.value)


def test_empty_plugin_list_is_core_only():
    assert enabled_plugins([]) == []


def test_core_only_mode_starts_and_passes_the_core_tests(tmp_path):
    env = {**os.environ, "LMS_PLUGINS": "", "LMS_INSTANCE_DIR": str(tmp_path)}
    env.pop("LMS_TEST_DATABASE_URL", None)
    routes = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert routes.returncode == 0, routes.stderr
    assert "core.login" in routes.stdout and "courses." not in routes.stdout
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core",
                          "--deselect", "tests/core/test_plugins.py::test_core_only_mode_starts_and_passes_the_core_tests"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout and "skipped" not in run.stdout
