"""Pods in Chromium: create a pod, add two containers through the form, see them in
its row, stop and remove it from the page."""
import secrets
import socket

import pytest

from e2e.test_containers import LONG, podman

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pod_name():
    name = f"phc-pod-{secrets.token_hex(4)}"
    yield name
    podman("pod", "rm", "-f", "-t", "0", name, check=False)


def test_create_a_pod_with_two_containers_then_stop_and_remove_it(operator_page, server, pod_name):
    page, port = operator_page, free_port()
    page.goto(f"{server.url}/user/pods/")
    page.click("details.create-pod summary")
    page.fill("#pod-form input[name=name]", pod_name)
    page.fill("#pod-form textarea[name=ports]", f"127.0.0.1:{port}:8080")
    page.click("#submit-pod")
    page.wait_for_url(f"**/user/pods/{pod_name}/")
    members = [f"{pod_name}-a", f"{pod_name}-b"]
    for member in members:
        page.click("a[data-action=add-container]")
        assert page.locator("input[name=pod]").input_value() == pod_name
        page.fill("input[name=image]", "localhost/busybox:latest")
        page.fill("input[name=name]", member)
        page.fill("input[name=command]", LONG)
        page.click("#submit-container")
        page.wait_for_url(f"**/user/containers/{member}/")
        assert page.locator("#container-state").get_attribute("data-state") == "running"
        page.goto(f"{server.url}/user/pods/{pod_name}/")
    assert page.locator("table.pod-members").get_by_role("cell", name="infra", exact=True).count() == 1
    assert page.locator(".log-pane[data-log-kind=pod]").get_attribute("data-log-name") == pod_name

    page.goto(f"{server.url}/user/pods/")
    page.wait_for_selector("#pods-table[data-live=open]")
    row = page.locator(f"tr[data-name='{pod_name}']")
    assert row.get_attribute("data-state") == "running"
    assert sorted(m.get_attribute("data-member") for m in row.locator(".member").all()) == members
    assert row.locator("td.infra .state").inner_text() == "running"
    row.locator("button[data-action=stop]").click()
    page.wait_for_selector(f"tr[data-name='{pod_name}'][data-state=exited]")
    assert podman("pod", "inspect", "-f", "{{.State}}", pod_name).stdout.strip() == "Exited"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-name='{pod_name}'] button[data-action=remove]").click()
    page.wait_for_selector(f"tr[data-name='{pod_name}']", state="detached")
    assert podman("pod", "exists", pod_name, check=False).returncode == 1
    assert podman("container", "exists", members[0], check=False).returncode == 1


def test_a_pod_made_from_the_cli_appears_and_goes_live(operator_page, server, pod_name):
    page = operator_page
    page.goto(f"{server.url}/user/pods/")
    page.wait_for_selector("#pods-table[data-live=open]")
    podman("pod", "create", "--name", pod_name)
    page.wait_for_selector(f"tr[data-name='{pod_name}']")
    podman("run", "-d", "--pod", pod_name, "--name", f"{pod_name}-x", "localhost/busybox:latest", "sh", "-c",
           "trap 'exit 0' TERM; sleep 600 & wait")
    page.wait_for_selector(f"tr[data-name='{pod_name}'][data-state=running] .member[data-member='{pod_name}-x']")
    podman("pod", "rm", "-f", "-t", "0", pod_name)
    page.wait_for_selector(f"tr[data-name='{pod_name}']", state="detached")


def test_bad_pod_input_gets_messages_and_nothing_is_created(operator_page, server, pod_name):
    page = operator_page
    page.goto(f"{server.url}/user/pods/")
    page.click("details.create-pod summary")
    page.fill("#pod-form input[name=name]", "bad pod!")
    page.fill("#pod-form textarea[name=ports]", "nope")
    page.fill("#pod-form textarea[name=labels]", "=x")
    page.click("#submit-pod")
    shown = {e.get_attribute("data-field") for e in page.locator(".field-error").all()}
    assert shown == {"name", "ports", "labels"}
    assert podman("pod", "exists", "bad pod!", check=False).returncode != 0
    # a name podman refuses because it is taken: its message in the page
    podman("pod", "create", "--name", pod_name)
    page.fill("#pod-form input[name=name]", pod_name)
    page.fill("#pod-form textarea[name=ports]", "")
    page.fill("#pod-form textarea[name=labels]", "")
    page.click("#submit-pod")
    assert "already" in page.locator("#podman-error").inner_text()
