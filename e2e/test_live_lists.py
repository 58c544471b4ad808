"""The live lists' contract in Chromium (dashboard/live/lists.py): a row that the
page's own Remove took out is let go by the page's socket, so its deletion, coming
after, is no out-of-band swap without a target (htmx's oobErrorNoTarget, a console
error).  Each list then shows a later change (a new row), which proves that the
deletion was behind it on the socket."""
import secrets
import subprocess
import tarfile

import pytest

from tests.podman_cli import BUSYBOX

pytestmark = pytest.mark.e2e
LONG = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]


def podman(*args: str) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def imported(tmp_path, tag: str) -> str:
    """An image of its own (a tag of busybox would be busybox's row), from a tarball."""
    folder = tmp_path / tag.rpartition("/")[2].replace(":", "-")
    folder.mkdir()
    (folder / "made").write_text(tag)
    archive = tmp_path / f"{folder.name}.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(folder / "made", arcname="made")
    podman("import", str(archive), tag)
    return tag


MADE = {
    "containers": lambda name, tmp_path: podman("create", "--name", name, BUSYBOX, *LONG),
    "pods": lambda name, tmp_path: podman("pod", "create", "--name", name),
    "images": lambda name, tmp_path: imported(tmp_path, f"localhost/{name}:1"),
}
GONE = {
    "containers": lambda name: subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True),
    "pods": lambda name: subprocess.run(["podman", "pod", "rm", "-f", "-t", "0", name], capture_output=True),
    "images": lambda name: subprocess.run(["podman", "rmi", "-f", f"localhost/{name}:1"], capture_output=True),
}


@pytest.mark.parametrize("area", ["containers", "pods", "images"])
def test_a_row_its_own_page_removed_logs_no_error_when_its_deletion_comes(operator_page, server, tmp_path, area):
    page = operator_page
    errors = console_errors(page)
    first, then = f"phl-{secrets.token_hex(3)}", f"phl-{secrets.token_hex(3)}"
    name_of = (lambda name: f"localhost/{name}:1") if area == "images" else (lambda name: name)
    try:
        MADE[area](first, tmp_path)
        page.goto(f"{server.url}/user/{area}/")
        page.wait_for_selector(f"#{area}-table[data-live=open]")
        row = page.locator(f"#{area}-body tr[data-name='{name_of(first)}']")
        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button[data-action=remove]").click()
        row.wait_for(state="detached", timeout=30_000)
        MADE[area](then, tmp_path)
        page.locator(f"#{area}-body tr[data-name='{name_of(then)}']").wait_for(timeout=30_000)
        assert errors == []
    finally:
        GONE[area](first)
        GONE[area](then)


# -- an action clicked as soon as its row is there ---------------------------------------
# The page's socket replaces rows with catch-up copies right after the page loads (a row
# made just before it was read changed after the page's position).  The rows' buttons
# are posted by one listener of static/js/podhouse.js, so a click works on whichever
# copy it lands: the page as drawn, or a copy swapped in a moment ago.  Two moments: as
# soon as the row is drawn (before the socket opens), and as soon as the socket is open
# (when the catch-up copies arrive).
def audited(page, server, action: str, target: str) -> list[str]:
    """Who did `action` on `target`, as the audit page lists it."""
    page.goto(f"{server.url}/user/audit/?q={target}")
    return [entry.get_attribute("data-user") for entry in
            page.locator(f".audit-entry[data-action='{action}']", has_text=target).all()]


def load_and_click(page, server, area: str, name: str, verb: str, moment: str) -> None:
    page.goto(f"{server.url}/user/{area}/", wait_until="commit")
    if moment == "socket-open":
        page.wait_for_selector(f"#{area}-table[data-live=open]")
    if verb == "remove":
        page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#{area}-body tr[data-name='{name}'] button[data-action={verb}]").click()


@pytest.mark.parametrize("moment", ["row-drawn", "socket-open"])
def test_a_pod_row_action_clicked_as_soon_as_the_page_loads_takes_effect(operator_page, server, tmp_path, moment):
    page = operator_page
    errors = console_errors(page)
    name = f"phl-{secrets.token_hex(3)}"
    try:
        MADE["pods"](name, tmp_path)  # created: its row offers Start
        load_and_click(page, server, "pods", name, "start", moment)
        page.locator(f"#pods-body tr[data-name='{name}'][data-state=running]").wait_for(timeout=30_000)
        assert podman("pod", "inspect", "-f", "{{.State}}", name) == "Running"
        podman("pod", "stop", "-t", "0", name)  # a change the next page's socket catches up on
        load_and_click(page, server, "pods", name, "remove", moment)
        page.locator(f"#pods-body tr[data-name='{name}']").wait_for(state="detached", timeout=30_000)
        assert subprocess.run(["podman", "pod", "exists", name]).returncode == 1
        assert errors == []
        assert audited(page, server, "pod-start", name) == ["operator"]
        assert audited(page, server, "pod-remove", name) == ["operator"]
    finally:
        GONE["pods"](name)


@pytest.mark.parametrize("moment", ["row-drawn", "socket-open"])
def test_an_image_row_remove_clicked_as_soon_as_the_page_loads_takes_effect(operator_page, server, tmp_path, moment):
    page = operator_page
    errors = console_errors(page)
    name = f"phl-{secrets.token_hex(3)}"
    try:
        ref = MADE["images"](name, tmp_path)
        image_id = podman("image", "inspect", "-f", "{{.Id}}", ref)
        load_and_click(page, server, "images", ref, "remove", moment)
        page.locator(f"#images-body tr[data-name='{ref}']").wait_for(state="detached", timeout=30_000)
        assert subprocess.run(["podman", "image", "exists", ref]).returncode == 1
        assert errors == []
        assert audited(page, server, "image-remove", image_id) == ["operator"]
    finally:
        GONE["images"](name)


# The race of a click right after the page loads, made certain: the page's Remove is on
# its way (the browser holds the request back; nothing is answered in the server's
# place) while the row is replaced live (a change made with podman), so the answer comes
# after its row was replaced.  It must take out the row that is there now: the page's
# socket has let that row go, and will send no deletion of it.
CHANGE = {  # what redraws the row (the images' row lists its names)
    "containers": lambda name, ident: podman("start", name),  # it runs `true`: exited at once
    "pods": lambda name, ident: podman("create", "--pod", name, "--name", f"{name}-m", BUSYBOX, "true"),
    "images": lambda name, ident: podman("untag", ident, f"localhost/{name}-also:1"),
}


@pytest.mark.parametrize("area", ["containers", "pods", "images"])
def test_a_remove_answered_after_its_row_was_replaced_takes_out_the_row_now_there(operator_page, server, tmp_path,
                                                                                    area):
    page = operator_page
    errors = console_errors(page)
    name = f"phl-{secrets.token_hex(3)}"
    held = []
    try:
        if area == "containers":
            ident = podman("create", "--name", name, BUSYBOX, "true")
        else:
            MADE[area](name, tmp_path)
        if area == "pods":
            ident = podman("pod", "inspect", "-f", "{{.Id}}", name)
        elif area == "images":
            ident = podman("image", "inspect", "-f", "{{.Id}}", f"localhost/{name}:1")
            podman("tag", ident, f"localhost/{name}-also:1")
        dom_id = f"{area[:-1]}-row-{ident}"
        row = page.locator(f"#{dom_id}")
        page.goto(f"{server.url}/user/{area}/")
        page.wait_for_selector(f"#{area}-table[data-live=open]")
        if area == "images":
            assert f"{name}-also" in row.inner_text()
        page.route("**/remove/", lambda route: held.append(route))
        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button[data-action=remove]").click()
        CHANGE[area](name, ident)
        # the row drawn again, live
        if area == "containers":
            page.locator(f"#{dom_id}[data-state=exited]").wait_for(timeout=30_000)
        elif area == "pods":
            row.locator(f".member[data-member='{name}-m']").wait_for(timeout=30_000)
        else:
            page.wait_for_function("id => !document.getElementById(id).textContent.includes('-also')", arg=dom_id,
                                   timeout=30_000)
        while not held:
            page.wait_for_timeout(50)
        held[0].continue_()
        row.wait_for(state="detached", timeout=30_000)
        kind = {"containers": "container", "pods": "pod", "images": "image"}[area]
        assert subprocess.run(["podman", kind, "exists", ident]).returncode == 1
        assert errors == []
    finally:
        page.unroute_all()
        GONE[area](name)
        subprocess.run(["podman", "rmi", "-f", f"localhost/{name}-also:1"], capture_output=True)
