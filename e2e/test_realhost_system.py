"""Podhouse installed as podhouse.service in the booted test host (`manage.py testhost
up`), in this machine's Chromium: the overview, the units page and auto-update in the
system scope, and what the installed (root) service offers of the user scope.
Everything a test makes inside the test host (units, containers, images, the timer)
is removed by that test.  Runs only with `pytest --testhost`."""
import json
import re
import uuid

import pytest

from dashboard.host import testhost
from dashboard.views.units import dom_id
from e2e import test_realhost_service as realhost

pytestmark = [pytest.mark.e2e, pytest.mark.realhost]

# The fixtures of the installed service's tests: its state, a logged-in admin page that
# fails on a console error, and rootful containers removed afterwards.
service, admin, rootful_container = realhost.service, realhost.admin, realhost.rootful_container

UNIT_DIR = "/etc/systemd/system"


def inside(*argv: str, **kwargs) -> str:
    return testhost.inside(*argv, **kwargs).stdout.strip()


def show(unit: str, prop: str) -> str:
    return inside("systemctl", "show", "-P", prop, unit)


def legend_count(page, tile: str, label: str) -> int:
    item = page.locator(f"#{tile} .legend li[data-label='{label}'] strong")
    return int(item.inner_text()) if item.count() else 0


def watch_console(page, errors: list) -> None:
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url', '')}")
            if message.type == "error" else None)


@pytest.fixture
def system_units():
    """Units written to /etc/systemd/system inside; stopped, disabled and removed after."""
    made = []

    def install(name: str, text: str) -> str:
        made.append(name)
        inside("sh", "-c", f"cat > {UNIT_DIR}/{name}", input=text)
        inside("systemctl", "daemon-reload")
        return name

    yield install
    for name in made:
        inside("systemctl", "disable", "--now", name, check=False)
        inside("systemctl", "reset-failed", name, check=False)
        inside("rm", "-f", f"{UNIT_DIR}/{name}")
    if made:
        inside("systemctl", "daemon-reload")


# --- (a) the overview ------------------------------------------------------------

def test_the_system_overview_shows_its_parts_and_follows_containers_live(admin, service, rootful_container):
    base = f"http://127.0.0.1:{service.port}"
    admin.goto(f"{base}/system/")
    admin.wait_for_selector(".overview[data-live=open]")
    assert admin.locator("h1").inner_text() == "Overview (system)"
    for part in ("podman", "systemd", "journald"):
        admin.wait_for_selector(f"#health .part[data-part={part}][data-ok=true]")
    for tile in ("tile-containers", "tile-pods", "tile-units", "tile-images"):
        assert admin.locator(f"#{tile}").is_visible()
    # The system manager's own units: many, most of them active.
    loaded = int(re.match(r"(\d+) loaded", admin.locator("#tile-units h2 .muted").inner_text()).group(1))
    assert loaded > 50
    assert legend_count(admin, "tile-units", "active") > 20
    # Figures follow rootful podman without a reload.
    running = legend_count(admin, "tile-containers", "running")
    failed = legend_count(admin, "tile-containers", "exited with an error")
    sleeper = rootful_container("sleep 1000")
    admin.wait_for_function(f"""() => {{
        const n = document.querySelector("#tile-containers .legend li[data-label='running'] strong");
        return n && Number(n.textContent) === {running + 1}; }}""")
    broken = rootful_container("exit 3")
    admin.wait_for_selector(f"#attention li[data-kind=container][data-name='{broken}']")
    assert "exited with code 3" in admin.locator(f"#attention li[data-name='{broken}']").inner_text()
    assert legend_count(admin, "tile-containers", "exited with an error") == failed + 1
    assert admin.locator(f"#attention li[data-name='{broken}'] a").get_attribute("href") == \
        f"/system/containers/{broken}/"
    for name in (broken, sleeper):
        inside("podman", "rm", "-f", "-t", "0", name)
    admin.wait_for_selector(f"#attention li[data-name='{broken}']", state="detached")
    admin.wait_for_function(f"""() => {{
        const n = document.querySelector("#tile-containers .legend li[data-label='running'] strong");
        return (n ? Number(n.textContent) : 0) === {running}; }}""")
    assert admin.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened


# --- (b) the units page over the system bus ------------------------------------------

SLEEPER = ("[Unit]\nDescription=Podhouse real-host e2e sleeper\n"
           "[Service]\nExecStart=/bin/sleep 100000\nExecReload=/bin/true\n"
           "[Install]\nWantedBy=multi-user.target\n")
ONESHOT = ("[Unit]\nDescription=Podhouse real-host e2e oneshot\n"
           "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n")


def job_done(page, action: str, name: str) -> None:
    result = page.locator(f"#unit-result .job-result[data-action='{action}'][data-unit='{name}']")
    result.wait_for()
    assert result.get_attribute("data-result") == "done", result.inner_text()


def test_units_filter_act_and_follow_live_in_the_row_and_on_the_detail_page(admin, service, system_units):
    base = f"http://127.0.0.1:{service.port}"
    tag = f"phs-e2e-{uuid.uuid4().hex[:6]}"
    sleeper = system_units(f"{tag}-sleeper.service", SLEEPER)
    oneshot = system_units(f"{tag}-oneshot.service", ONESHOT)
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto(f"{base}/system/units/?kind=service")
    admin.wait_for_selector("#units-live[data-ws=open]")
    rows = admin.locator("#units-body tr")
    assert rows.count() > 10  # the system manager's services, ours among them
    for name in (sleeper, oneshot):
        admin.wait_for_selector(f"#{dom_id(name)}[data-active=inactive]")

    # filter and search
    admin.fill("#unit-filter-name", tag)
    assert admin.locator("#units-body tr:visible").count() == 2
    assert admin.inner_text("#unit-count") == f"2 of {rows.count()}"
    admin.fill("#unit-filter-name", f"{tag}-ONE")  # any case
    assert admin.locator("#units-body tr:visible").evaluate_all("rs => rs.map(r => r.dataset.unit)") == [oneshot]
    admin.fill("#unit-filter-name", tag)
    admin.select_option("#unit-filter-active", "active")
    assert admin.locator("#units-body tr:visible").count() == 0
    admin.select_option("#unit-filter-active", "")

    # act in the rows: the answer is systemd's, the row follows
    row = admin.locator(f"#{dom_id(oneshot)}")
    row.locator("button[data-action=start]").click()
    job_done(admin, "start", oneshot)
    admin.wait_for_selector(f"#{dom_id(oneshot)}[data-active=active][data-sub=exited]")
    assert show(oneshot, "ActiveState") == "active"
    row = admin.locator(f"#{dom_id(sleeper)}")
    row.locator("button[data-action=start]").click()
    job_done(admin, "start", sleeper)
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-active=active][data-sub=running]")
    pid = show(sleeper, "MainPID")
    assert pid != "0"
    # with the filter on "active", the row stays shown while it restarts and comes back
    admin.locator(f"#{dom_id(sleeper)} button[data-action=restart]").click()
    job_done(admin, "restart", sleeper)
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-active=active]")
    assert show(sleeper, "MainPID") not in ("0", pid)
    admin.locator(f"#{dom_id(oneshot)} button[data-action=stop]").click()
    job_done(admin, "stop", oneshot)
    admin.wait_for_selector(f"#{dom_id(oneshot)}[data-active=inactive]")
    assert show(oneshot, "ActiveState") == "inactive"

    # The detail page in a second tab: every action it offers is clicked there, and
    # both the detail page and the list's row (first tab) follow each one live.
    detail = admin.context.new_page()
    errors = []
    watch_console(detail, errors)
    detail.on("dialog", lambda dialog: dialog.accept())
    detail.goto(f"{base}/system/units/{sleeper}/")
    detail.wait_for_selector("#unit-live[data-ws=open]")
    state = f"#{dom_id(sleeper)}-state"
    assert detail.locator(f"{state}").get_attribute("data-active") == "active"
    assert detail.locator(".unit-file-path").inner_text() == f"{UNIT_DIR}/{sleeper}"
    # a unit file in /etc/systemd/system cannot be masked there: said, not offered
    assert "cannot be masked" in detail.inner_text("#mask-note")

    def offered():
        return detail.locator(".unit-actions button").evaluate_all("bs => bs.map(b => b.dataset.action)")

    assert offered() == ["stop", "restart", "reload", "enable"]
    detail.click(".unit-actions button[data-action=reload]")
    job_done(detail, "reload", sleeper)
    pid = show(sleeper, "MainPID")
    detail.click(".unit-actions button[data-action=restart]")
    job_done(detail, "restart", sleeper)
    detail.wait_for_selector(f"{state}[data-active=active]")
    assert show(sleeper, "MainPID") not in ("0", pid)
    detail.click(".unit-actions button[data-action=enable]")
    job_done(detail, "enable", sleeper)
    detail.wait_for_selector(f"{state}[data-file=enabled]")
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-file=enabled]")
    assert inside("systemctl", "is-enabled", sleeper, check=False) == "enabled"
    assert offered() == ["stop", "restart", "reload", "disable"]
    detail.click(".unit-actions button[data-action=disable]")
    job_done(detail, "disable", sleeper)
    detail.wait_for_selector(f"{state}[data-file=disabled]")
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-file=disabled]")
    assert inside("systemctl", "is-enabled", sleeper, check=False) == "disabled"
    detail.click(".unit-actions button[data-action=stop]")
    job_done(detail, "stop", sleeper)
    detail.wait_for_selector(f"{state}[data-active=inactive]")
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-active=inactive]")
    assert show(sleeper, "ActiveState") == "inactive"
    assert offered() == ["start", "enable"]
    detail.click(".unit-actions button[data-action=start]")
    job_done(detail, "start", sleeper)
    detail.wait_for_selector(f"{state}[data-active=active]")
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-active=active]")
    # a change made outside Podhouse reaches both pages too
    inside("systemctl", "stop", sleeper)
    detail.wait_for_selector(f"{state}[data-active=inactive]")
    admin.wait_for_selector(f"#{dom_id(sleeper)}[data-active=inactive]")
    for page in (admin, detail):
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    detail.close()
    assert [e for e in errors if not e.endswith("/favicon.ico")] == []


# --- (c) auto-update in the system scope ---------------------------------------------

def autoupdate_unit(container: str, policy: str, reference: str) -> str:
    """What `podman generate systemd --new` writes, by hand: podman labels the container
    with the unit (PODMAN_SYSTEMD_UNIT) as podman auto-update expects."""
    return ("[Unit]\nDescription=Podhouse real-host e2e auto-update\n"
            "[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\nType=notify\nNotifyAccess=all\n"
            "ExecStartPre=/bin/rm -f %t/%n.ctr-id\n"
            "ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon "
            f"--replace -d --name {container} --label io.containers.autoupdate={policy} {reference} sleep 100000\n"
            "ExecStop=/usr/bin/podman stop --ignore -t 0 --cidfile=%t/%n.ctr-id\n"
            "ExecStopPost=/usr/bin/podman rm -f --ignore -t 0 --cidfile=%t/%n.ctr-id\n")


def podman_dry_run() -> dict[str, str]:
    """podman's own answer on this real systemd host: container -> its Updated word."""
    report = json.loads(inside("podman", "auto-update", "--dry-run", "--format", "json") or "[]")
    return {entry["ContainerName"]: entry["Updated"] for entry in report}


# podman auto-update's words, as the page says them
PODMAN_WORDS = {"false": "up to date", "pending": "update due"}

REGISTRY_HOST = "registry-1.docker.io"  # docker.io, where docker.io/library/... is asked


def registry_reachable() -> str:
    """"" when the test host can open a TLS connection to the registry, else why not."""
    probe = ("import socket, ssl\ntry:\n"
             f"    s = socket.create_connection(('{REGISTRY_HOST}', 443), timeout=5)\n"
             f"    ssl.create_default_context().wrap_socket(s, server_hostname='{REGISTRY_HOST}').close()\n"
             "except Exception as e:\n    print(repr(e))\n")
    return inside("python3", "-c", probe)


def new_job(page, selector: str) -> None:
    """Click what starts a check or an update, and wait for its job to be on the page."""
    jobs = page.locator(".update-job")
    before = jobs.get_attribute("id") if jobs.count() else ""
    page.click(selector)
    page.wait_for_function("(old) => { const j = document.querySelector('.update-job'); return j && j.id !== old; }",
                           arg=before)


def job_finished(page) -> None:
    page.wait_for_selector(".update-job [data-finished=true]", timeout=60_000)
    page.wait_for_load_state("networkidle")  # the tables are read again when a job ends


def outcome(page, container: str, mode: str = "check"):
    # the outcome's element is replaced (out of band) when the answer comes
    cell = page.locator(f".update-job[data-mode={mode}] tr[data-container='{container}'] "
                        ".update-outcome:not([data-outcome=''])")
    cell.wait_for(timeout=60_000)
    return cell.get_attribute("data-outcome"), cell.inner_text()


def image_of(container: str) -> str:
    return inside("podman", "inspect", "--format", "{{.Image}}", container)


@pytest.fixture
def autoupdate_services(system_units):
    """Two containers run by system units: `local` policy on a local reference, and
    `registry` policy on a docker.io reference (a local copy of busybox tagged so)."""
    tag = f"phu-e2e-{uuid.uuid4().hex[:6]}"
    local_ref, registry_ref = f"localhost/{tag}:1", f"docker.io/library/{tag}:1"
    images = [local_ref, registry_ref]
    for reference in images:
        inside("podman", "tag", "localhost/busybox:latest", reference)
    local, remote = f"{tag}-local", f"{tag}-registry"
    try:
        for container, policy, reference in ((local, "local", local_ref), (remote, "registry", registry_ref)):
            system_units(f"{container}.service", autoupdate_unit(container, policy, reference))
        inside("systemctl", "start", f"{local}.service", f"{remote}.service")
        yield local, remote, local_ref, images
    finally:
        for container in (local, remote):
            inside("systemctl", "stop", f"{container}.service", check=False)
            inside("podman", "rm", "-f", "-t", "0", container, check=False)
        inside("podman", "rmi", "-f", *images, check=False)
        # the images an update or a roll back left untagged
        inside("sh", "-c", "podman images -q --filter dangling=true | xargs -r podman rmi -f", check=False)


def test_check_update_and_roll_back_in_the_system_scope(admin, service, autoupdate_services):
    base = f"http://127.0.0.1:{service.port}"
    local, remote, local_ref, images = autoupdate_services
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto(f"{base}/system/updates/")
    assert admin.locator("h1").inner_text() == "Updates (system scope)"
    for container, policy in ((local, "local"), (remote, "registry")):
        row = admin.locator(f"#updates-table tr[data-container='{container}']")
        assert policy in row.inner_text() and f"{container}.service" in row.inner_text()
    v1 = image_of(local)

    # Check: podman's own dry run on this host is the judge of the local policy; the
    # registry policy's answer depends on whether this test host reaches docker.io.
    new_job(admin, "#updates-check")
    word, text = outcome(admin, local)
    podman_says = podman_dry_run()
    assert word == PODMAN_WORDS[podman_says[local]] == "up to date", text
    assert text.startswith(f"{word} ") and local_ref in text
    unreachable = registry_reachable()
    word, text = outcome(admin, remote)
    if unreachable:
        assert word == "failed" and "Could not check" in text, (unreachable, text)
    else:
        assert word in ("up to date", "update due"), text
    job_finished(admin)
    assert image_of(local) == v1  # a check restarts nothing

    # A new image under the local reference: due, in podman's words and the page's.
    inside("podman", "import", "--change", "CMD=/bin/sh", "--message", "v2",
           "/usr/local/share/podhouse-testhost/busybox.tar", local_ref)
    v2 = inside("podman", "image", "inspect", "--format", "{{.Id}}", local_ref)
    assert v2 != v1
    new_job(admin, "#updates-check")
    word, text = outcome(admin, local)
    assert word == PODMAN_WORDS[podman_dry_run()[local]] == "update due", text
    job_finished(admin)

    # Update (the row's button): the unit restarts on v2.
    new_job(admin, f"#updates-table tr[data-container='{local}'] button.update-one")
    word, text = outcome(admin, local, mode="update")
    assert word == "updated", text
    job_finished(admin)
    assert image_of(local) == v2 and show(f"{local}.service", "ActiveState") == "active"
    # Roll back (the history's button): v1 again, under the reference too.
    button = admin.locator(f"#updates-history tr[data-container='{local}'][data-outcome='updated'] "
                           "button.update-rollback")
    button.wait_for(timeout=15_000)
    button.click()
    admin.wait_for_selector("#updates-rollback-result .update-rollback-result[data-outcome='rolled back']",
                            timeout=60_000)
    assert image_of(local) == v1
    assert inside("podman", "image", "inspect", "--format", "{{.Id}}", local_ref) == v1
    admin.wait_for_selector(f"#updates-history tr[data-container='{local}'][data-action='roll back']")
    # Update now: nothing is due any more; the page and podman agree.
    new_job(admin, "#updates-update-all")
    job_finished(admin)
    assert outcome(admin, local, mode="update")[0] == "up to date"
    assert image_of(local) == v1
    assert podman_dry_run()[local] == "false"
    inside("podman", "rmi", "-f", v2, check=False)


def test_automatic_updates_turn_on_run_and_off_in_the_system_scope(admin, service):
    base = f"http://127.0.0.1:{service.port}"
    timer, unit = "podhouse-auto-update.timer", "podhouse-auto-update.service"
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto(f"{base}/system/updates/")
    assert admin.locator("#update-schedule").get_attribute("data-installed") == "0"
    try:
        admin.fill("#schedule-on-calendar", "Sun 04:00")
        admin.wait_for_selector("#schedule-preview [data-valid='1']")
        admin.click("#schedule-save")
        admin.wait_for_selector("#update-schedule[data-installed='1'][data-active='active']")
        assert inside("systemctl", "is-active", timer) == "active"
        assert inside("systemctl", "is-enabled", timer) == "enabled"
        assert "OnCalendar=Sun 04:00" in inside("cat", f"{UNIT_DIR}/{timer}")
        assert admin.inner_text("#schedule-calendar") == "Sun 04:00"
        # Run now: the oneshot runs `manage.py autoupdate --scope system` as root; its outcome shows live.
        admin.wait_for_selector("#update-schedule[data-live='open']")
        admin.click("#schedule-run")
        admin.wait_for_selector("#schedule-message", timeout=30_000)
        admin.wait_for_selector("#schedule-last-result", timeout=60_000)
        result = admin.get_attribute("#schedule-last-result", "data-result")
        assert result == ("worked" if show(unit, "Result") == "success" else result)
        assert result == "worked", inside("journalctl", "-u", unit, "-o", "cat", "--no-pager")
        admin.click("#schedule-off-button")
        admin.wait_for_selector("#update-schedule[data-installed='0']")
        assert "Automatic updates are off" in admin.inner_text("#schedule-message")
        # off leaves no timer behind: no file, no unit, no timer listed, no stamp
        for name in (timer, unit):
            assert testhost.inside("test", "-e", f"{UNIT_DIR}/{name}", check=False).returncode == 1
            assert show(name, "LoadState") == "not-found"
        assert "podhouse-auto-update" not in inside("systemctl", "list-timers", "--all", "--no-legend")
        assert "podhouse-auto-update" not in inside("ls", "/var/lib/systemd/timers/")
        assert "auto-update-system.env" not in inside("ls", "/var/lib/podhouse/")
    finally:
        for name in (timer, unit):
            inside("systemctl", "disable", "--now", name, check=False)
            inside("rm", "-f", f"{UNIT_DIR}/{name}")
        inside("systemctl", "daemon-reload")
        inside("rm", "-f", "/var/lib/systemd/timers/stamp-podhouse-auto-update.timer",
               "/var/lib/podhouse/auto-update-system.env")


# --- (d) the user scope -----------------------------------------------------------

def test_the_root_service_has_no_user_scope_and_says_why_on_a_styled_page(admin, service):
    """podhouse.service runs as root (README: "Podhouse as a system service, run by root"),
    and root's rootless podman is the rootful one: the installed service offers the system
    scope only.  A login user's own containers need that user's own Podhouse (README)."""
    base = f"http://127.0.0.1:{service.port}"
    admin.goto(f"{base}/system/units/")
    # the header's switcher offers the scopes that exist: system only
    assert admin.locator(".scope-switch .scope-badge").evaluate_all("bs => bs.map(b => b.textContent)") == ["system"]
    # A tab of its own: the browser reports the page's 404 as a console error, which is
    # the one error expected here.
    page = admin.context.new_page()
    errors = []
    watch_console(page, errors)
    response = page.goto(f"{base}/user/units/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "No user scope on this host"
    assert "Root's own Podman is the rootful one of the system scope, so root has no separate user scope." \
        in page.inner_text(".not-found")
    # styled: the site's layout with its stylesheet applied, not a bare 404
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # podhouse.css, not the browser's 8px
    assert page.locator(".topbar .brand").is_visible()
    link = page.locator(".not-found a.scope-badge")
    assert link.evaluate_all("ls => ls.map(l => l.textContent)") == ["system"]
    link.click()
    page.wait_for_url(f"{base}/system/units/")
    page.wait_for_selector("#units-live[data-ws=open]")
    page.close()
    assert [e for e in errors if not e.endswith("/favicon.ico")] == [
        f"Failed to load resource: the server responded with a status of 404 (Not Found) {base}/user/units/"]
