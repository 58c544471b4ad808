"""Absurd input through the real server: every form that takes numbers or names
answers 400 naming the field, and nothing changes (no container made or replaced, no
unit file written, the schedule untouched).  The validators' own cases are
tests/unit/test_odd_input.py."""
import secrets
import socket
from pathlib import Path

import pytest

from e2e.conftest import OPERATOR
from e2e.test_security_wall import session
from tests.podman_cli import BUSYBOX, podman
from tests.unit.test_odd_input import CONTAINER_CASES, SERVICE_CASES

pytestmark = pytest.mark.e2e
NINES = "9" * 400


@pytest.fixture(scope="module")
def operator_http(server):
    client = session(server, OPERATOR)
    client.get("/login/")
    yield client
    client.close()


def post(client, server, path, data):
    return client.post(path, data={**data, "csrfmiddlewaretoken": client.cookies.get("csrftoken")},
                       headers={"Origin": server.url})


def exists(name: str) -> bool:
    import subprocess

    return subprocess.run(["podman", "container", "exists", name]).returncode == 0


@pytest.fixture(scope="module")
def target(host_stack):
    """A container to edit and to make a service of; removed afterwards."""
    name = f"phsec-odd-{secrets.token_hex(4)}"
    podman("create", "--name", name, BUSYBOX, "sleep", "600")
    yield name, podman("inspect", "--format", "{{.Id}}", name)
    podman("rm", "-f", "-t", "0", name)


def _fields(field, value, extra):
    return {"image": BUSYBOX, **extra, field: value}


@pytest.mark.parametrize("field,value,extra", CONTAINER_CASES, ids=[f"{f}={v[:12]!r}" for f, v, _ in CONTAINER_CASES])
def test_create_refuses_naming_the_field_and_creates_nothing(server, operator_http, field, value, extra):
    name = f"phsec-new-{secrets.token_hex(4)}"
    data = {"name": name, **_fields(field, value, extra)}
    answer = post(operator_http, server, "/user/containers/-/new/", data)
    try:
        assert answer.status_code == 400, answer.text[:300]
        assert f'data-field="{field}"' in answer.text
        assert not exists(name)
    finally:
        if exists(name):
            podman("rm", "-f", "-t", "0", name)


@pytest.mark.parametrize("field,value,extra", [c for c in CONTAINER_CASES if c[0] != "name"],
                         ids=[f"{f}={v[:12]!r}" for f, v, _ in CONTAINER_CASES if f != "name"])
def test_edit_refuses_naming_the_field_and_keeps_the_container(server, operator_http, target, field, value, extra):
    name, container_id = target
    answer = post(operator_http, server, f"/user/containers/{name}/edit/",
                  {**_fields(field, value, extra), "confirm": "yes"})
    assert answer.status_code == 400, answer.text[:300]
    assert f'data-field="{field}"' in answer.text
    assert podman("inspect", "--format", "{{.Id}}", name) == container_id


def _unit_files(unit: str) -> list[Path]:
    home = Path.home() / ".config"
    return [p for folder in (home / "containers/systemd", home / "systemd/user") if folder.is_dir()
            for p in folder.iterdir() if p.name.startswith(unit)]


@pytest.mark.parametrize("field,value", SERVICE_CASES, ids=[f"{f}={v[:12]!r}" for f, v in SERVICE_CASES])
def test_service_dialog_refuses_naming_the_field_and_writes_nothing(server, operator_http, target, field, value):
    name, _ = target
    unit = f"phsec-unit-{secrets.token_hex(4)}"
    data = {"format": "auto", "unit_name": unit, field: value}
    answer = post(operator_http, server, f"/user/services/container/{name}/enable/", data)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["X-Podhouse-Bad-Fields"] and f'data-field="{field}"' in answer.text
    assert _unit_files(unit) == []
    preview = operator_http.get(f"/user/services/container/{name}/preview/", params=data)
    assert preview.status_code == 400 and f'data-field="{field}"' in preview.text


@pytest.mark.parametrize("path", ["/user/units/a%00b.service/", "/user/units/a%0Ab.service/",
                                  f"/user/units/{'a' * 300}.service/"])
def test_an_impossible_unit_name_is_a_400_naming_it(server, operator_http, path):
    for answer in (operator_http.get(path), post(operator_http, server, path + "start/", {})):
        assert answer.status_code == 400 and answer.text.startswith("unit name:"), (path, answer.status_code)


@pytest.mark.parametrize("field,value", [("randomized_delay", "²"), ("randomized_delay", NINES),
                                         ("randomized_delay", "-1"), ("on_calendar", "daily\x00"),
                                         ("on_calendar", "x" * 5000)])
def test_the_update_schedule_refuses_naming_the_field(server, operator_http, field, value):
    timer = Path.home() / ".config/systemd/user/podhouse-auto-update.timer"
    before = timer.read_text() if timer.exists() else None
    data = {"on_calendar": "daily", "randomized_delay": "0", field: value}
    answer = post(operator_http, server, "/user/updates/schedule/", data)
    assert answer.status_code == 400 and f'data-field="{field}"' in answer.text, answer.text[:300]
    assert (timer.read_text() if timer.exists() else None) == before


def _raw_get(port: int, path: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.decode(errors="replace")


@pytest.mark.parametrize("path", ["/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                  "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/css/%00.css",
                                  "/static/%2e%2e/dashboard/settings.py"])
def test_a_traversal_at_static_is_refused_and_shows_nothing(server, path):
    answer = _raw_get(server.port, path)
    status = int(answer.split(" ", 2)[1])
    assert 400 <= status < 500, (path, answer[:200])
    if status == 400:
        assert "path:" in answer, answer[:300]
    assert "root:" not in answer and "SECRET_KEY" not in answer
