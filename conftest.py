"""Fixtures every test folder shares: the real host stack and its scope."""
import os

import pytest

from dashboard import hoststack, scopes


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
