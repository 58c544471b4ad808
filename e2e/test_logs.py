"""Logs in a real browser: a container's lines arrive live, a dropped websocket resumes
with no gap and no duplicate, filters, colours, load earlier, downloads, bad input."""
import json
import re
import subprocess
import time
import uuid

import pytest

pytestmark = pytest.mark.e2e
IMAGE = "localhost/busybox:latest"
NUMBERED = re.compile(r"seq (\d+)$")


def unique(kind: str) -> str:
    return f"phl-{kind}-{uuid.uuid4().hex[:8]}"


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout


def wait_in_journal(name: str, message: str, timeout: float = 15) -> None:
    """Before a page that does not follow is opened: the line must be stored already."""
    deadline = time.monotonic() + timeout
    while message not in subprocess.run(["journalctl", "--no-pager", "-q", "-o", "cat", f"CONTAINER_NAME={name}"],
                                        capture_output=True, text=True).stdout:
        assert time.monotonic() < deadline, f"{message!r} never reached the journal"
        time.sleep(0.1)


@pytest.fixture
def container(host_stack):
    names = []

    def start(script: str, *options: str) -> str:
        name = unique("e2e")
        names.append(name)
        podman("run", "-d", "--name", name, *options, IMAGE, "sh", "-c", script)
        return name

    yield start
    for name in names:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


def shown_lines(page) -> list[str]:
    return page.eval_on_selector_all(".log-pane .log-lines .ll", "els => els.map(e => e.querySelector('.msg').textContent)")


def shows_450_lines_after_load_earlier(page) -> None:
    """The pane opens with the last 200 of "seq 1".."seq 450"; "Load earlier" brings
    the rest, in order, none twice, and then says the log starts there."""
    page.wait_for_function("document.querySelectorAll('.log-pane .ll').length === 200")
    assert shown_lines(page)[0] == "seq 251"
    page.click(".log-pane .log-earlier")
    page.wait_for_function("document.querySelectorAll('.log-pane .ll').length === 450")
    numbers = [int(NUMBERED.match(line).group(1)) for line in shown_lines(page)]
    assert numbers == list(range(1, 451))
    assert page.locator(".log-pane .log-earlier").is_disabled()


def pane_value(page, expression: str):
    return page.evaluate(f"(() => {{ const pane = document.querySelector('.log-pane').logPane; return {expression}; }})()")


# k8s-file: read through Podman's logs API, whose cursors rank the lines of each second
@pytest.mark.parametrize("driver", ["journald", "k8s-file"])
def test_container_lines_arrive_live_and_a_dropped_socket_resumes_without_gap_or_duplicate(
        admin_page, server, container, driver):
    name = container('sleep 1; for i in $(seq 1 600); do echo "seq $i"; usleep 5000; done; sleep 30',
                     f"--log-driver={driver}")
    admin_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&follow=on")
    admin_page.wait_for_function("document.querySelectorAll('.log-pane .ll').length >= 50")
    assert "following" in admin_page.locator(".log-pane .log-status").inner_text()
    # Drop the socket while the container keeps printing; the pane comes back by itself.
    pane_value(admin_page, "pane.socket.ws.close()")
    admin_page.wait_for_function("document.querySelector('.log-pane').logPane.reconnects >= 1")
    admin_page.wait_for_function(
        "[...document.querySelectorAll('.log-pane .msg')].some(e => e.textContent === 'seq 600')",
        timeout=30_000)
    numbers = [int(NUMBERED.match(line).group(1)) for line in shown_lines(admin_page)]
    assert numbers == list(range(1, 601))
    assert admin_page.locator(".log-pane .log-source").inner_text() == f"Logs of container {name}"


def test_stderr_is_coloured_and_timestamps_can_be_hidden(admin_page, server, container):
    name = container('echo "plain out"; sleep 0.3; echo "bad news" >&2; sleep 30')
    # Following: the second line is printed after the page may have read the journal.
    admin_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&follow=on")
    admin_page.wait_for_selector(".log-pane .ll.p3")
    assert admin_page.locator(".log-pane .ll.p3").inner_text().endswith("bad news")
    assert admin_page.locator(".log-pane .ll.p6").inner_text().endswith("plain out")
    stamp = admin_page.locator(".log-pane .ll.p6 .ts")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", stamp.inner_text())
    colours = admin_page.eval_on_selector_all(".log-pane .ll", "els => els.map(e => getComputedStyle(e).color)")
    assert len(set(colours)) == 2
    admin_page.uncheck(".log-pane .log-timestamps")
    assert not stamp.is_visible()


def test_priority_filter_and_load_earlier(viewer_page, server, container):
    name = container('for i in $(seq 1 450); do echo "seq $i"; done; echo "only error" >&2; sleep 30')
    wait_in_journal(name, "only error")
    viewer_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&priority=err")
    viewer_page.wait_for_selector(".log-pane .ll")
    assert shown_lines(viewer_page) == ["only error"]

    viewer_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&text=seq")
    shows_450_lines_after_load_earlier(viewer_page)


def test_downloads_stream_the_same_query_as_text_and_json(admin_page, server, container):
    name = container('for i in 1 2 3; do echo "seq $i"; done; sleep 30')
    admin_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&follow=on")
    admin_page.wait_for_function("document.querySelectorAll('.log-pane .ll').length === 3")
    text_link = admin_page.locator(".log-pane .log-download[data-format=text]").get_attribute("href")
    json_link = admin_page.locator(".log-pane .log-download[data-format=json]").get_attribute("href")
    text = admin_page.request.get(server.url + text_link)
    assert text.ok and "attachment" in text.headers["content-disposition"]
    lines = text.text().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == ["seq 1", "seq 2", "seq 3"]
    assert all(re.match(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{6}}Z {name}\[\d+\]: ", line) for line in lines)
    records = [json.loads(line) for line in admin_page.request.get(server.url + json_link).text().splitlines()]
    assert [r["message"] for r in records] == ["seq 1", "seq 2", "seq 3"]
    assert all(r["cursor"].startswith("s=") for r in records)


def test_a_k8s_file_container_is_read_through_podman_and_says_so(admin_page, server, container):
    name = container('echo "seq 1"; echo "seq 2"; sleep 30', "--log-driver=k8s-file")
    admin_page.goto(f"{server.url}/user/logs/?kind=container&name={name}&follow=on")
    admin_page.wait_for_function("document.querySelectorAll('.log-pane .ll').length === 2")
    assert "k8s-file" in admin_page.locator(".log-pane .log-note").inner_text()
    assert shown_lines(admin_page) == ["seq 1", "seq 2"]


def test_load_earlier_for_a_k8s_file_container(viewer_page, server, container):
    name = container('for i in $(seq 1 450); do echo "seq $i"; done; sleep 30', "--log-driver=k8s-file")
    deadline = time.monotonic() + 15
    while "seq 450" not in podman("logs", name):
        assert time.monotonic() < deadline, "the container never wrote its lines"
        time.sleep(0.1)
    viewer_page.goto(f"{server.url}/user/logs/?kind=container&name={name}")
    shows_450_lines_after_load_earlier(viewer_page)


@pytest.mark.parametrize("query, message", [
    ("kind=container&name=phl-no-such-container", "no container 'phl-no-such-container'"),
    ("since=9999-99-99", "not a time"),
    ("since=-1h&until=-2h", "'since' is after 'until'"),
    ("priority=loud", "unknown priority"),
])
def test_bad_input_gets_a_clear_message_and_no_pane(admin_page, server, query, message):
    response = admin_page.goto(f"{server.url}/user/logs/?{query}")
    assert response.status == 400
    assert message in admin_page.locator(".log-query-error").inner_text()
    assert admin_page.locator(".log-pane").count() == 0


def test_a_malformed_cursor_sent_by_a_browser_gets_a_message(admin_page, server):
    admin_page.goto(f"{server.url}/user/logs/")
    answer = admin_page.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => ws.send(JSON.stringify({type: "open", kind: "all", after: "s=0;i=0"}));
        ws.onmessage = (e) => { resolve(JSON.parse(e.data)); ws.close(); };
    })""", f"ws://127.0.0.1:{server.port}/ws/user/logs/")
    assert answer == {"t": "error", "message": "not a journal cursor: 's=0;i=0'"}


def test_the_pane_on_container_and_pod_pages_shows_their_lines(operator_page, server, container):
    pod = unique("pod")
    podman("pod", "create", "--name", pod)
    try:
        member = container('echo "seq 1"; sleep 30', "--pod", pod)
        for path, kind, name in ((f"containers/{member}/", "container", member), (f"pods/{pod}/", "pod", pod)):
            operator_page.goto(f"{server.url}/user/{path}")
            pane = operator_page.locator(f".log-pane[data-log-kind={kind}]")
            assert pane.get_attribute("data-log-name") == name
            operator_page.wait_for_function("document.querySelectorAll('.log-pane .msg').length >= 1")
            assert shown_lines(operator_page) == ["seq 1"]
    finally:
        subprocess.run(["podman", "pod", "rm", "-f", "-t", "0", pod], capture_output=True)


def test_the_name_field_suggests_the_names_of_the_chosen_kind(viewer_page, server, container):
    page, name = viewer_page, container("sleep 600")
    page.goto(f"{server.url}/user/logs/")

    def suggested() -> list[str]:
        page.wait_for_selector("#log-names[data-loaded]", state="attached")
        return page.eval_on_selector_all("#log-names option", "options => options.map(o => o.value)")

    page.select_option("select[name=kind]", "container")
    page.focus("input[name=name]")
    assert name in suggested()
    page.evaluate("document.getElementById('log-names').removeAttribute('data-loaded')")
    page.select_option("select[name=kind]", "unit")
    units = suggested()
    assert "default.target" in units and name not in units
