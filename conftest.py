"""Fixtures every test folder shares: the real host stack and its scope."""
import os

import pytest

from dashboard.host import hoststack, scopes


@pytest.fixture(scope="session")
def host_stack():
    """The embedded host stack, brought up if it is not (harmless when it is).
    Its variables go into os.environ so that podman, systemctl and journalctl
    run by a test talk to the same stack as Podhouse."""
    state = hoststack.up(install=False)
    os.environ.update(state.environment())
    return state


@pytest.fixture(scope="session")
def user_scope(host_stack):
    return scopes.get_scope("user")


# The README's test command runs three kinds of test; a run of the whole suite in
# which one kind passed nothing (collected none, or all skipped) is a failed run.
CATEGORIES = ("tests/unit", "tests/integration", "e2e")
_passed = dict.fromkeys(CATEGORIES, 0)


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        category = next((c for c in CATEGORIES if report.nodeid.startswith(c + "/")), None)
        if category:
            _passed[category] += 1


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if config.args != config.getini("testpaths"):
        return  # a partial run (one folder, one file, -k): nothing to demand
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    terminal.write_line("passed per kind: " + ", ".join(f"{c}={n}" for c, n in _passed.items()))
    empty = [c for c, n in _passed.items() if n == 0]
    if empty and session.exitstatus == 0:
        terminal.write_line(f"FAILED: no test passed in {', '.join(empty)}", red=True)
        session.exitstatus = 1
