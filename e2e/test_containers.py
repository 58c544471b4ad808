"""Containers in Chromium: create from the form, see it run, stop and remove it from
the page; bad input; podman's refusal; edit; a CLI change showing up live."""
import re
import secrets
import subprocess
import time

import pytest

pytestmark = pytest.mark.e2e
BUSYBOX = "localhost/busybox:latest"
LONG = "sh -c 'trap \"exit 0\" TERM; sleep 600 & wait'"


def unique(kind: str = "") -> str:
    return f"phc-{kind}{secrets.token_hex(4)}"


def podman(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture
def names():
    """Containers a test makes, removed afterwards whatever happened."""
    made: list[str] = []
    yield made
    for name in made:
        podman("rm", "-f", "-t", "0", name, check=False)


def exists(name: str) -> bool:
    return podman("container", "exists", name, check=False).returncode == 0


def open_live(page, server, path: str, table: str):
    page.goto(f"{server.url}{path}")
    page.wait_for_selector(f"{table}[data-live=open]")


def test_create_from_the_form_then_stop_and_remove_on_the_page(operator_page, server, names):
    page, name = operator_page, unique("form-")
    names.append(name)
    page.goto(f"{server.url}/user/containers/")
    page.click("#create-container")
    page.fill("input[name=image]", BUSYBOX)
    page.fill("input[name=name]", name)
    page.fill("input[name=command]", LONG)
    page.fill("textarea[name=env]", "GREETING=hello from the form")
    page.fill("textarea[name=labels]", "made-by=phc-e2e")
    page.click("#submit-container")
    page.wait_for_url(f"**/user/containers/{name}/")
    assert page.locator("#container-state").get_attribute("data-state") == "running"
    assert "GREETING" in page.locator("table.env").inner_text()
    assert "made-by" in page.locator("table.labels").inner_text()
    assert page.locator("dd", has_text="journald").count() == 1
    assert '"Name": "' + name + '"' in page.locator("#raw-inspect").text_content()
    assert page.locator(".log-pane[data-log-kind=container]").get_attribute("data-log-name") == name

    open_live(page, server, "/user/containers/", "#containers-table")
    row = page.locator(f"tr[data-name='{name}']")
    assert row.get_attribute("data-state") == "running"
    row.locator("button[data-action=stop]").click()
    page.wait_for_selector(f"tr[data-name='{name}'][data-state=exited]")
    assert podman("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "exited"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-name='{name}'] button[data-action=remove]").click()
    page.wait_for_selector(f"tr[data-name='{name}']", state="detached")
    assert not exists(name)


def test_each_bad_field_gets_a_message_and_nothing_is_created(operator_page, server, names):
    page, name = operator_page, unique("bad-")
    names.append(name)
    page.goto(f"{server.url}/user/containers/-/new/")
    bad = {"input[name=image]": "Not An Image", "input[name=command]": "echo 'unclosed",
           "textarea[name=env]": "1BAD=x", "textarea[name=labels]": "=nokey", "textarea[name=ports]": "80:99999",
           "textarea[name=volumes]": "/data", "input[name=memory]": "lots", "input[name=cpus]": "many",
           "input[name=workdir]": "relative", "input[name=user]": "a user", "input[name=network]": "bad net!",
           "input[name=health_cmd]": "true", "input[name=health_interval]": "soon", "input[name=restart_tries]": "3"}
    page.fill("input[name=name]", name)
    for selector, value in bad.items():
        page.fill(selector, value)
    page.click("#submit-container")
    page.wait_for_selector("#form-errors")
    shown = {e.get_attribute("data-field") for e in page.locator(".field-error").all()}
    assert shown >= {"image", "command", "env", "labels", "ports", "volumes", "memory", "cpus", "workdir", "user",
                     "network", "health_interval", "restart_policy"}, shown
    # what was typed is kept for correcting
    assert page.locator("input[name=memory]").input_value() == "lots"
    assert not exists(name)
    # a bad name alone
    page.fill("input[name=image]", BUSYBOX)
    for selector in bad:
        page.fill(selector, "")
    page.fill("input[name=name]", "bad name!")
    page.click("#submit-container")
    assert "starts with a letter or digit" in page.locator(".field-error[data-field=name]").inner_text()


def test_podmans_refusal_is_shown_in_the_form(operator_page, server, names):
    page, name = operator_page, unique("refused-")
    names.append(name)
    page.goto(f"{server.url}/user/containers/-/new/")
    page.fill("input[name=image]", "localhost/phc-no-such-image:1")
    page.fill("input[name=name]", name)
    page.click("#submit-container")
    assert "image not known" in page.locator("#podman-error").inner_text()
    assert not exists(name)


def test_edit_recreates_with_the_new_settings_after_confirmation(operator_page, server, names):
    page, name = operator_page, unique("edit-")
    names.append(name)
    volume = f"{name}-data"
    # an anonymous volume, a named one and a host folder: the data in each survives the edit
    host_dir = subprocess.run(["mktemp", "-d"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        podman("run", "-d", "--name", name, "-e", "COLOUR=red", "-v", "/anon", "-v", f"{volume}:/named",
               "-v", f"{host_dir}:/host", BUSYBOX, "sleep", "600")
        podman("exec", name, "sh", "-c", "for d in anon named host; do echo kept > /$d/file; done")
        podman("stop", "-t", "0", name)
        _edit_and_check(page, server, name)
        podman("start", name)
        assert podman("exec", name, "cat", "/anon/file", "/named/file", "/host/file").stdout.split() == ["kept"] * 3
    finally:
        podman("rm", "-f", "-t", "0", "-v", name, check=False)
        podman("volume", "rm", "-f", volume, check=False)
        subprocess.run(["rm", "-rf", host_dir], check=False)


def _edit_and_check(page, server, name):
    old_id = podman("inspect", "-f", "{{.Id}}", name).stdout.strip()
    page.goto(f"{server.url}/user/containers/{name}/")
    page.click("#edit-container")  # the page's Edit (recreate)
    page.wait_for_url(f"**/user/containers/{name}/edit/")
    assert page.locator("textarea[name=env]").input_value() == "COLOUR=red"
    assert page.locator("input[name=command]").input_value() == "sleep 600"
    assert {"/anon", "/named", "/host"} <= {line.split(":")[1] for line in
                                         page.locator("textarea[name=volumes]").input_value().splitlines()}
    page.fill("textarea[name=env]", "COLOUR=blue")
    page.click("#submit-container")
    assert page.locator(".field-error[data-field=confirm]").count() == 1
    assert podman("inspect", "-f", "{{.Id}}", name).stdout.strip() == old_id  # nothing changed yet
    page.check("input[name=confirm]")
    page.click("#submit-container")
    page.wait_for_url(f"**/user/containers/{name}/")
    assert "COLOUR=blue" in podman("inspect", "-f", "{{.Config.Env}}", name).stdout
    assert podman("inspect", "-f", "{{.Id}}", name).stdout.strip() != old_id
    assert not [line for line in podman("ps", "-a", "--format", "{{.Names}}").stdout.split() if line.startswith(f"{name}-replaced")]


def test_a_container_started_from_the_cli_shows_up_by_itself(operator_page, server, names):
    page, name = operator_page, unique("cli-")
    names.append(name)
    open_live(page, server, "/user/containers/", "#containers-table")
    before = int(page.inner_text("#containers-count"))
    assert page.inner_text("#containers-total") == str(before)  # no filter: every container is shown
    podman("run", "-d", "--name", name, "--label", "PODMAN_SYSTEMD_UNIT=phc-demo.service", BUSYBOX, "sh", "-c",
           "trap 'exit 0' TERM; sleep 600 & wait")
    page.wait_for_selector(f"tr[data-name='{name}'][data-state=running]")
    # the count follows the rows (other tests' containers may come and go meanwhile)
    assert page.inner_text("#containers-count") == str(page.locator("#containers-body > tr").count())
    assert page.inner_text("#containers-total") == page.inner_text("#containers-count")
    assert page.locator(f"tr[data-name='{name}'] td.unit a").get_attribute("href") == "/user/units/phc-demo.service/"
    podman("stop", "-t", "0", name)
    page.wait_for_selector(f"tr[data-name='{name}'][data-state=exited]")
    podman("rm", name)
    page.wait_for_selector(f"tr[data-name='{name}']", state="detached")
    assert page.inner_text("#containers-count") == str(page.locator("#containers-body > tr").count())


def test_filters_narrow_the_list_and_live_rows_respect_them(operator_page, server, names):
    page = operator_page
    running, stopped = unique("run-"), unique("stop-")
    names.extend([running, stopped])
    podman("run", "-d", "--name", running, BUSYBOX, "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")
    podman("create", "--name", stopped, BUSYBOX, "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")
    page.goto(f"{server.url}/user/containers/?state=running&q=phc-")
    page.wait_for_selector("#containers-table[data-live=open]")
    assert page.locator(f"tr[data-name='{running}']").count() == 1
    assert page.locator(f"tr[data-name='{stopped}']").count() == 0
    page.fill("input[name=q]", running)
    page.wait_for_url(re.compile(f"q={running}"))  # pushed once the table is swapped
    page.wait_for_function("document.querySelectorAll('#containers-body tr').length === 1")
    page.wait_for_selector("#containers-table[data-live=open]")
    # a filtered-out container that starts running comes in; one that stops goes away
    page.fill("input[name=q]", "phc-")
    page.wait_for_url(re.compile(r"q=phc-(&|$)"))
    page.wait_for_selector(f"tr[data-name='{running}']")
    page.wait_for_selector("#containers-table[data-live=open]")
    podman("start", stopped)
    page.wait_for_selector(f"tr[data-name='{stopped}']", state="attached")
    podman("stop", "-t", "0", running)
    page.wait_for_selector(f"tr[data-name='{running}']", state="detached")
    assert re.search(r"state=running", page.url)


def test_viewer_sees_no_actions_and_cannot_act(viewer_page, server, names):
    page, name = viewer_page, unique("view-")
    names.append(name)
    podman("create", "--name", name, BUSYBOX, "true")
    page.goto(f"{server.url}/user/containers/")
    page.wait_for_selector(f"tr[data-name='{name}']")  # drawn with the page, or brought by its socket right after
    assert page.locator(f"tr[data-name='{name}']").count() == 1
    assert page.locator("#create-container, button[data-action]").count() == 0
    status = page.evaluate("""async (url) => (await fetch(url, {method: 'POST', headers: {'X-CSRFToken':
        document.body.getAttribute('hx-headers').match(/"X-CSRFToken": "([^"]+)"/)[1]}})).status""",
                           f"/user/containers/{name}/remove/")
    assert status == 403 and exists(name)


def test_the_detail_page_draws_live_cpu_and_memory(viewer_page, server, names):
    page, name = viewer_page, unique("stats-")
    names.append(name)
    podman("run", "-d", "--name", name, "-m", "64m", BUSYBOX, "sh", "-c", "trap 'exit 0' TERM; while :; do :; done")
    page.goto(f"{server.url}/user/containers/{name}/")
    panel = page.locator(".stats-panel")
    page.wait_for_function("() => Number(document.querySelector('.stats-panel').dataset.samples) >= 3")
    assert panel.get_attribute("data-state") == "running"
    assert float(panel.locator(".stats-cpu").inner_text().split()[0]) > 20  # a shell spinning on a core
    assert panel.locator(".stats-limit").inner_text() == "limit 67.1 MB"
    for chart in ("cpu", "memory"):
        assert len(panel.locator(f".stats-{chart}-chart polyline").get_attribute("points").split()) >= 3
    podman("stop", "-t", "0", name)
    page.wait_for_selector(".stats-panel[data-state=stopped]")
    assert panel.locator(".stats-status").inner_text() == "not running"
    podman("rm", name)
    page.wait_for_selector(".stats-panel[data-state=gone]")


def test_the_list_page_is_sent_in_parts_and_arrives_whole(viewer_page, server, names):
    """The page up to the rows goes out before the rows are drawn (chunked, no
    Content-Length), and what arrives is the whole page: every row, the rows' drawing
    time filled in, no stand-in left; in the browser the rows are put in the table."""
    name = unique()
    podman("create", "--name", name, BUSYBOX, "true")
    names.append(name)
    for _ in range(50):  # podman's event for it may reach the watcher a moment later
        response = viewer_page.request.get(f"{server.url}/user/containers/")
        html = response.text()
        if f'data-name="{name}"' in html:
            break
        time.sleep(0.2)
    assert response.status == 200 and f'data-name="{name}"' in html
    assert "content-length" not in response.headers and response.headers.get("transfer-encoding") == "chunked"
    assert "\x00" not in html
    assert re.search(r'id="containers-rows-ms" value="\d+\.\d\d"', html)
    assert response.headers["content-security-policy"]
    viewer_page.goto(f"{server.url}/user/containers/")
    assert viewer_page.locator(f"#containers-body > tr[data-name='{name}']").count() == 1
    assert viewer_page.locator("#containers-body template").count() == 0
