"""The containers table's rows (templates/containers/_rows.html over
dashboard/live/podman_rows.container_row, as the page and the live updates draw them):
what each state offers, where the links go, and that no value from podman can break
out of its cell."""
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from urllib.parse import unquote

from django.urls import resolve as resolve_path

from dashboard.live.podman_rows import container_row
from dashboard.views.containers import render_container_rows
from engine.podman.models import SYSTEMD_UNIT_LABEL, Container, PortMapping

HOSTILE = '"><script>alert(1)</script>&\''


def render_container_row(c: Container, scope: str, can_act: bool) -> str:
    return render_container_rows([container_row(c)], scope, can_act)


def container(**changes) -> Container:
    facts = dict(id="a" * 64, name="web", image="localhost/busybox:latest", image_id="b" * 64, state="running",
                 command=["sleep", "1"], created=datetime.now(timezone.utc) - timedelta(hours=3), started=None,
                 exit_code=0, ports=[], pod_id="", pod_name="", labels={}, is_infra=False, networks=[])
    facts.update(changes)
    return Container(**facts)


class Parsed(HTMLParser):
    """Tags with their attributes, and the text, as a browser's parser sees them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def resolve(href: str):
    """The view a link reaches: the server unquotes the path before it resolves it."""
    return resolve_path(unquote(href))


def actions(html: str) -> list[str]:
    return [button["data-action"] for button in Parsed(html).all("button")]


def test_each_state_offers_only_the_actions_it_allows():
    assert actions(render_container_row(container(state="running"), "user", True)) == [
        "stop", "restart", "pause", "kill"]
    assert actions(render_container_row(container(state="paused"), "user", True)) == ["unpause"]
    for state in ("created", "exited", "stopped", "configured", "unknown"):
        assert actions(render_container_row(container(state=state), "user", True)) == ["start", "remove"]
    # podman is waiting out the stop timeout: Start and Remove would be refused, Kill hurries it
    stopping = Parsed(render_container_row(container(state="stopping"), "user", True))
    assert [(b["data-action"], "disabled" in b) for b in stopping.all("button")] == [
        ("stop", True), ("restart", True), ("kill", False)]
    assert "Stopping…" in stopping.text
    assert actions(render_container_row(container(state="removing"), "user", True)) == []


def test_a_viewer_gets_no_action_cell():
    html = render_container_row(container(), "user", False)
    assert actions(html) == [] and 'class="actions"' not in html


def test_buttons_post_to_the_action_view_of_this_container_and_the_dangerous_ones_ask():
    # static/js/podhouse.js posts a row button to its .row-actions' data-post-to plus its action
    row = Parsed(render_container_row(container(name="db.1", state="running"), "user", True))
    (post_to,) = [span["data-post-to"] for span in row.all("span") if "data-post-to" in span]
    for button in row.all("button"):
        assert not any(name.startswith("hx-") for name in button)  # one listener, not htmx per button
        match = resolve(post_to + button["data-action"] + "/")
        assert match.url_name == "container-action"
        assert {**match.kwargs, "scope": match.kwargs["scope"].name} == {
            "scope": "user", "name": "db.1", "verb": button["data-action"]}
    kill = next(b for b in row.all("button") if b["data-action"] == "kill")
    assert kill["data-confirm"] == "Kill db.1 with SIGKILL?" and kill["class"] == "danger"


def test_links_lead_to_the_container_its_pod_and_its_unit():
    c = container(name="app", pod_name="shop", pod_id="p" * 64, labels={SYSTEMD_UNIT_LABEL: "app@1.service"})
    links = {resolve(a["href"]).url_name: {**resolve(a["href"]).kwargs, "scope": resolve(a["href"]).kwargs["scope"].name}
             for a in Parsed(render_container_row(c, "user", False)).all("a")}
    assert links == {"container-detail": {"scope": "user", "name": "app"},
                     "pod-detail": {"scope": "user", "name": "shop"},
                     "unit-detail": {"scope": "user", "name": "app@1.service"}}


def test_values_from_podman_stay_text():
    c = container(image=HOSTILE, state=HOSTILE, labels={SYSTEMD_UNIT_LABEL: HOSTILE}, pod_name=HOSTILE,
                  pod_id="p" * 64, id=HOSTILE)
    html = render_container_row(c, "user", True)
    row = Parsed(html)
    assert "<script>" not in html and not any(tag == "script" for tag, _ in row.tags)
    assert row.text.count(HOSTILE) >= 3  # image, pod and unit cells show it as written
    assert row.tags[0][1]["id"] == f"container-row-{HOSTILE}"
    unit_link = row.all("a")[-1]["href"]
    assert unit_link.startswith("/user/units/%22%3E%3Cscript%3E") and not set(unit_link) & set("\"'<>&")


def test_exit_code_ports_and_age_are_shown():
    c = container(state="exited", exit_code=3, ports=[PortMapping(80, 8080), PortMapping(90, 9000, "udp", "127.0.0.1", 3)])
    row = Parsed(render_container_row(c, "user", False))
    text = "".join(row.text)
    assert "exited (3)" in text and "8080->80/tcp" in text and "127.0.0.1:9000-9002->90-92/udp" in text
    assert "3\xa0hours ago" in text
    state = next(span for span in row.all("span") if "state" in span.get("class", ""))
    assert state["class"] == "state exited bad"
    assert "bad" not in render_container_row(container(state="exited", exit_code=0), "user", False)


def test_a_container_never_created_has_an_empty_age():
    assert '<td class="created" title=""></td>' in render_container_row(container(created=None), "user", False)


def test_rows_come_in_the_order_given():
    html = render_container_rows([container_row(container(id="1", name="b")), container_row(container(id="2", name="a"))],
                                 "user", False)
    assert html.index("container-row-1") < html.index("container-row-2")
