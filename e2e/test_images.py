"""Images in Chromium: import a rootfs tarball and pull from a registry, each with
its progress bar; the new rows come live; prune and remove with confirmation."""
import io
import secrets
import tarfile

import pytest

from e2e.test_containers import podman
from tests.integration.local_registry import LocalRegistry

pytestmark = pytest.mark.e2e



@pytest.fixture
def images():
    made: list[str] = []
    yield made
    for ref in made:
        podman("rmi", "-f", ref, check=False)


def rootfs_tarball(path, size: int) -> None:
    """A root filesystem with one big file, so the upload takes a few progress steps."""
    with tarfile.open(path, "w") as tar:
        payload = secrets.token_bytes(size)
        info = tarfile.TarInfo("opt/phc-payload")
        info.size = size
        tar.addfile(info, io.BytesIO(payload))


def image_id(ref: str) -> str:
    return podman("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip()


def test_import_a_tarball_with_upload_progress(operator_page, server, images, tmp_path):
    page, ref = operator_page, f"localhost/phc-import-{secrets.token_hex(4)}:1"
    images.append(ref)
    tarball = tmp_path / "rootfs.tar"
    rootfs_tarball(tarball, 8 * 1024 * 1024)
    page.goto(f"{server.url}/user/images/")
    page.wait_for_selector("#images-table[data-live=open]")
    page.set_input_files("#import-form input[name=tarball]", str(tarball))
    page.fill("#import-form input[name=reference]", ref)
    page.fill("#import-form input[name=cmd]", "/bin/sh -c true")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result .import-result")
    assert page.locator("#import-progress").get_attribute("data-percent") == "100"
    assert ref in page.locator("#import-result").inner_text()
    assert podman("image", "inspect", "-f", "{{.Config.Cmd}}", ref).stdout.strip() == "[/bin/sh -c true]"
    page.wait_for_selector(f"tr[data-name='{ref}']")  # the row came by itself


def test_a_bad_import_says_why_and_creates_nothing(operator_page, server, tmp_path):
    page = operator_page
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar archive" * 100)
    ref = f"localhost/phc-junk-{secrets.token_hex(4)}:1"
    page.goto(f"{server.url}/user/images/")
    page.set_input_files("#import-form input[name=tarball]", str(junk))
    page.fill("#import-form input[name=reference]", ref)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#live-banner.error:not(.hidden)")
    assert podman("image", "exists", ref, check=False).returncode == 1
    page.fill("#import-form input[name=reference]", "Bad Name!")
    page.click("#import-form button[type=submit]")
    page.wait_for_function("document.getElementById('live-banner').textContent.includes('not an image reference')")


def test_pull_shows_live_progress_and_the_new_row(operator_page, server, images, tmp_path):
    page = operator_page
    source = f"localhost/phc-source-{secrets.token_hex(4)}:1"  # content of its own: a new image id
    images.append(source)
    rootfs_tarball(tmp_path / "source.tar", 4096)
    podman("import", str(tmp_path / "source.tar"), source)
    with LocalRegistry(tmp_path / "registry") as registry:
        registry.publish(source, f"phc/pull-{secrets.token_hex(3)}:1")
        podman("rmi", source)
        reference = registry.reference(next(iter(f"{n}:{t}" for n, t in registry.manifests)))
        images.append(reference)
        page.goto(f"{server.url}/user/images/")
        page.wait_for_selector("#images-table[data-live=open]")
        page.fill("#pull-form input[name=reference]", reference)
        page.check("#pull-form input[name=insecure]")
        page.click("#pull-form button[type=submit]")
        page.wait_for_selector(".pull-job [data-finished=true]")
        assert page.locator(".pull-job [data-finished=true]").inner_text() == "Pulled."
        assert page.locator(".pull-job progress").get_attribute("data-percent") == "100"
        assert page.locator(".pull-lines li", has_text="Copying blob").count() >= 1
        assert image_id(reference)
        page.wait_for_selector(f"tr[data-name='{reference}']")
        # a pull that fails says so
        page.fill("#pull-form input[name=reference]", registry.reference("phc/absent:1"))
        page.click("#pull-form button[type=submit]")
        page.wait_for_selector(".pull-job [data-finished=true].error")


def test_prune_and_remove_with_confirmation(operator_page, server, images, tmp_path):
    page = operator_page
    ref = f"localhost/phc-prune-{secrets.token_hex(4)}:1"
    images.append(ref)
    first, second = tmp_path / "a.tar", tmp_path / "b.tar"
    rootfs_tarball(first, 1024)
    rootfs_tarball(second, 2048)
    dangling = podman("import", str(first), ref).stdout.strip().removeprefix("sha256:")
    images.append(dangling)
    podman("import", str(second), ref)  # takes the name: the first becomes dangling
    page.goto(f"{server.url}/user/images/")
    page.wait_for_selector("#images-table[data-live=open]")
    dismissed = []
    page.once("dialog", lambda dialog: (dismissed.append(dialog.message), dialog.dismiss()))
    page.click("#prune-dangling")
    assert dismissed and podman("image", "exists", dangling, check=False).returncode == 0  # refused: kept
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#prune-dangling")
    page.wait_for_selector("#prune-result .prune-result")
    assert "Removed" in page.locator("#prune-result").inner_text()
    assert podman("image", "exists", dangling, check=False).returncode == 1
    page.click(f"tr[data-name='{ref}'] a[data-action=run]")  # the row's Run: the form, this image in it
    page.wait_for_url(lambda url: "/user/containers/-/new/?image=" in url)
    assert page.locator("input[name=image]").input_value() == ref
    page.goto(f"{server.url}/user/images/")
    page.wait_for_selector("#images-table[data-live=open]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-name='{ref}'] button[data-action=remove]").click()
    page.wait_for_selector(f"tr[data-name='{ref}']", state="detached")
    assert podman("image", "exists", ref, check=False).returncode == 1


def test_the_image_page_runs_and_removes_with_confirmation(operator_page, server, images, tmp_path):
    page = operator_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    ref = f"localhost/phc-detail-{secrets.token_hex(4)}:1"
    images.append(ref)
    rootfs_tarball(tmp_path / "detail.tar", 1024)
    podman("import", str(tmp_path / "detail.tar"), ref)
    detail = f"{server.url}/user/images/{image_id(ref)}/"
    page.goto(detail)
    page.click(".detail-actions a.button")  # Run a container: the form, this image in it
    page.wait_for_url(lambda url: "/user/containers/-/new/?image=" in url)
    assert page.locator("input[name=image]").input_value() == ref
    page.goto(detail)
    dismissed = []
    page.once("dialog", lambda dialog: (dismissed.append(dialog.message), dialog.dismiss()))
    page.click(".image-actions button[data-action=remove]")
    assert dismissed == [f"Remove image {ref}?"] and podman("image", "exists", ref, check=False).returncode == 0
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation(url=f"{server.url}/user/images/"):
        page.click(".image-actions button[data-action=remove]")
    assert podman("image", "exists", ref, check=False).returncode == 1
    assert page.locator(f"tr[data-name='{ref}']").count() == 0
    assert errors == []


def test_a_viewer_sees_no_image_or_pod_actions_and_cannot_act(viewer_page, server, images, tmp_path):
    page = viewer_page
    ref, pod = f"localhost/phc-view-{secrets.token_hex(4)}:1", f"phc-view-{secrets.token_hex(4)}"
    images.append(ref)
    rootfs_tarball(tmp_path / "view.tar", 1024)
    podman("import", str(tmp_path / "view.tar"), ref)
    podman("pod", "create", "--name", pod)
    try:
        ident = image_id(ref)
        for path, row in (("/user/images/", f"tr[data-name='{ref}']"), (f"/user/images/{ident}/", None),
                          ("/user/pods/", f"tr[data-name='{pod}']"), (f"/user/pods/{pod}/", None)):
            page.goto(f"{server.url}{path}")
            if row:
                page.wait_for_selector(row)
            assert page.locator("[data-post-to], button[data-action], .detail-actions").count() == 0, path
        for url in (f"/user/images/{ident}/remove/", f"/user/pods/{pod}/remove/"):
            status = page.evaluate("""async (url) => (await fetch(url, {method: 'POST', headers: {'X-CSRFToken':
                document.body.getAttribute('hx-headers').match(/"X-CSRFToken": "([^"]+)"/)[1]}})).status""", url)
            assert status == 403, url
        assert podman("image", "exists", ref, check=False).returncode == 0
        assert podman("pod", "exists", pod, check=False).returncode == 0
    finally:
        podman("pod", "rm", "-f", "-t", "0", pod, check=False)
