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


@pytest.fixture(scope="session")
def host_scope(host_stack):
    """The scope a test that matters on every host works in: the embedded stack's
    only scope (user), or on a host where systemd is PID 1 the one the account
    running the tests lands on: system for root, user for another account.
    `make test-realhost` runs such tests on the test host both ways."""
    return scopes.get_scope(scopes.default_scope_name())


def pytest_addoption(parser):
    parser.addoption("--testhost", action="store_true",
                     help="also run the tests marked realhost: Podhouse installed in the booted "
                          "test host (manage.py testhost up), driven from this machine")


def pytest_collection_modifyitems(config, items):
    # Deselected, not skipped: without a test host they are not part of the run.
    if config.getoption("--testhost"):
        return
    kept = [item for item in items if not item.get_closest_marker("realhost")]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("realhost")])
        items[:] = kept


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
