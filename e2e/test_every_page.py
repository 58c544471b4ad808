"""The guard: every page of the URL map, opened in Chromium as admin and as viewer,
logs no console error, shows no template source ({# {% {{ in the visible text) and
answers no 5xx (neither the page nor anything it loads).

The pages are enumerated from Django's URL resolver, not listed by hand: a new page
is guarded the day it is added.  Detail pages are opened on real objects made here
(a container, a pod, an image, a unit, a service).  A route that answers GET with
405 is an action (POST only), not a page; a download is fetched, not rendered.
Django's own admin is opened at its index only: its model pages are Django's."""
import asyncio
import re
import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.flows import services
from dashboard.host import scopes
from e2e.conftest import ADMIN, VIEWER, log_in
from e2e.test_services import remove_services
from tests.integration.test_systemd_client import SLEEPER, ScratchUnits

pytestmark = pytest.mark.e2e

BUSYBOX = "localhost/busybox:latest"
TEMPLATE_SOURCE = re.compile(r"\{#|\{%|\{\{")


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True, timeout=120).stdout.strip()


@dataclass
class Objects:
    container: str
    pod: str
    image_id: str
    unit: str
    service: str


def _make_service(scope, container: str) -> str:
    """Generate and enable a classic service for `container`, the way the dialog does
    (Playwright's loop owns this thread: run in another)."""
    async def make():
        preview = await services.build(scope, "container", container, {"format": "classic", "unit_name": container})
        outcome = await services.enable_preview(scope, preview, confirmed=True)
        return outcome.service

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


@pytest.fixture(scope="module")
def objects(server):
    tag = secrets.token_hex(3)
    container, pod, served = f"phw-c-{tag}", f"phw-pod-{tag}", f"phw-s-{tag}"
    scope = scopes.get_scope("user")
    units = ScratchUnits(scope)
    try:
        podman("create", "--stop-timeout=1", "--name", container, BUSYBOX, "sleep", "100000")
        podman("pod", "create", "--name", pod)
        podman("create", "--pod", pod, "--name", f"{pod}-m", BUSYBOX, "sleep", "100000")
        podman("create", "--stop-timeout=1", "--name", served, BUSYBOX, "sleep", "100000")
        service = _make_service(scope, served)
        unit = units.install(SLEEPER, start=True)
        yield Objects(container=container, pod=pod, image_id=podman("image", "inspect", BUSYBOX, "--format", "{{.Id}}"),
                      unit=unit, service=service)
    finally:
        units.remove()
        remove_services(served)
        podman("pod", "rm", "-f", "-t", "0", "--ignore", pod)
        podman("rm", "-f", "-t", "0", "--ignore", container, f"{pod}-m", served)


def _leaves(patterns, prefix=""):
    """(route, url name, parameter names) of every named route, included ones too."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                yield route, "admin:index", ()
                continue
            yield from _leaves(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name:
            yield route, entry.name, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))


def _value(name: str, param: str, objects: Objects) -> str:
    """A real value for a route's parameter."""
    if param == "scope":
        return "user"
    if param == "name":
        return {"container": objects.container, "pod": objects.pod, "unit": objects.unit,
                "service": objects.container}[name.split("-")[0]]
    return {"image_id": objects.image_id, "kind": "container", "verb": "start", "action": "start",
            "service": objects.service, "record_id": "1"}[param]


def every_page(objects: Objects) -> list[str]:
    # the download of the whole journal would stream for minutes: one unit's lines
    queries = {"logs-download": f"?kind=unit&name={objects.unit}"}
    paths = []
    for route, name, params in _leaves(get_resolver().url_patterns):
        if name in ("logout",):
            continue  # POST only, and it would end the session the test browses with
        kwargs = {p: _value(name, p, objects) for p in params}
        paths.append(reverse(name, kwargs=kwargs) + queries.get(name, ""))
    return sorted(set(paths))


def _problems_of(page, server, path: str, viewer: bool = False) -> list[str]:
    errors, failures = [], []
    on_console = lambda message: message.type == "error" and errors.append(  # noqa: E731
        f"console: {message.text} ({message.location.get('url', '')})")
    on_page_error = lambda error: errors.append(f"page error: {error}")  # noqa: E731
    on_response = lambda response: response.status >= 500 and failures.append(  # noqa: E731
        f"HTTP {response.status} {response.url}")
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    try:
        head = page.request.get(f"{server.url}{path}", max_redirects=0, timeout=60_000)
        if head.status == 405:
            return []  # an action, POST only
        if viewer and head.status == 403:
            return []  # an operator's page (the edit form): refused to a viewer, as e2e/test_security_wall.py checks
        if head.status >= 500:
            return [f"HTTP {head.status}"]
        if head.status < 300 and not head.headers.get("content-type", "").startswith("text/html"):
            return []  # not a page: its status is all there is to see
        if "attachment" in head.headers.get("content-disposition", ""):
            return []  # a download: its status is all there is to see
        if head.status in (301, 302) and "/static/" in head.headers.get("location", ""):
            return []  # /favicon.ico: a redirect to a static file (an SVG has no body to read)
        response = page.goto(f"{server.url}{path}")
        if response.status >= 400:
            failures.append(f"HTTP {response.status}")
        # htmx's load-triggered fragments (health, names) answered and swapped in; the
        # websockets' frames are not waited for (a log pane streams as long as it is open)
        try:
            page.wait_for_function("!document.querySelector('.htmx-request')")
        except PlaywrightTimeout:
            return failures + errors + ["an htmx request of the page did not end within the timeout"]
        text = page.inner_text("body")
        source = TEMPLATE_SOURCE.search(text)
        if source:
            failures.append(f"template source in the page: {text[max(0, source.start() - 60):source.end() + 60]!r}")
        return failures + errors
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
        page.remove_listener("response", on_response)


@pytest.mark.parametrize("credentials", [ADMIN, VIEWER], ids=["admin", "viewer"])
def test_every_page_opens_clean(page, server, objects, credentials):
    page.set_default_timeout(60_000)  # some forty pages on a machine shared with other suites
    log_in(page, server, credentials)
    paths = every_page(objects)
    # the enumeration itself: every area and its detail pages are in it
    for expected in ("/user/", "/user/containers/", f"/user/containers/{objects.container}/", "/user/pods/",
                     f"/user/pods/{objects.pod}/", f"/user/images/{objects.image_id}/",
                     f"/user/units/{objects.unit}/", "/user/services/", "/user/updates/", "/user/logs/",
                     "/audit/", "/user/audit/"):
        assert expected in paths
    problems = {path: found for path in paths if (found := _problems_of(page, server, path, viewer=credentials == VIEWER))}
    assert not problems, "\n".join(f"{path}:\n  " + "\n  ".join(found) for path, found in problems.items())


def test_an_absent_scope_is_a_styled_page_that_says_why_and_the_switcher_shows_what_exists(admin_page, server):
    page, absent, present = admin_page, scopes.absent_scopes(), list(scopes.available_scopes())
    page.goto(f"{server.url}/user/containers/")
    assert page.locator(".scope-switch .scope-badge").all_inner_texts() == present
    for name in absent:
        response = page.goto(f"{server.url}/{name}/containers/")
        assert response.status == 404
        assert page.inner_text("h1") == f"No {name} scope on this host"
        assert absent[name].split(":")[0] in page.inner_text("main").lower()
        assert page.locator("header.topbar nav.areas").count() == 1  # the site's layout, not a bare 404
        links = page.locator("main a.scope-badge")
        assert [(a.inner_text(), a.get_attribute("href")) for a in links.all()] == [
            (p, f"/{p}/containers/") for p in present]
        links.first.click()
        page.wait_for_url(f"**/{present[0]}/containers/")
    for name in present:
        assert page.goto(f"{server.url}/{name}/containers/").status == 200
