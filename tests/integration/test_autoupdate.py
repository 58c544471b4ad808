"""Keeping containers current against the real podman and systemd of the host stack:
a container run by a Quadlet unit from a loopback registry's image is checked,
updated (its unit restarts on v2), rolled back by hand (v1 again); a bad v2 is
rolled back on its own; the local policy follows a new local tag."""
import asyncio
import base64
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from dashboard.flows import services, updates
from dashboard.models import UpdateRecord
from engine import autoupdate
from engine.podman import PodmanClient
from engine.registry import registry_auth_header
from tests.integration.cleanup import remove_made
from tests.integration.local_registry import LocalRegistry
from tests.podman_cli import BUSYBOX, podman

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST = {"format": "quadlet", "stop_timeout": "0"}


class Images:
    """Images built for a test (busybox plus /version), every one removed at the end."""

    def __init__(self, prefix: str, folder: Path):
        self.prefix, self.folder = prefix, folder
        self.ids: list[str] = []

    def build(self, version: str, command: str = '["sleep", "100000"]') -> tuple[str, str]:
        folder = self.folder / f"build-{version}-{len(self.ids)}"
        folder.mkdir()
        (folder / "Containerfile").write_text(f"FROM {BUSYBOX}\nRUN echo {version} > /version\nCMD {command}\n")
        tag = f"localhost/{self.prefix}-build:{version}-{len(self.ids)}"
        image_id = podman("build", "-q", "-t", tag, str(folder)).splitlines()[-1].removeprefix("sha256:")
        self.ids.append(image_id)
        return tag, image_id

    def remove_all(self) -> None:
        listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}").splitlines()
        names = [n for n in listed if self.prefix in n]
        subprocess.run(["podman", "rmi", "-f", *names, *self.ids], capture_output=True)


@pytest_asyncio.fixture
async def prefix(host_stack, user_scope):
    prefix = f"phu-{secrets.token_hex(3)}"
    yield prefix
    await remove_made(user_scope, prefix)


@pytest.fixture
def images(prefix, tmp_path):
    made = Images(prefix, tmp_path)
    yield made
    made.remove_all()


@pytest_asyncio.fixture(autouse=True)
async def close_database(transactional_db):
    """The flow reaches the database from sync_to_async's thread, whose connection
    would outlive the test; a later test without the database whose consumer closes
    old connections there then trips over pytest-django's blocker.  SQLite ignores
    close() on its in-memory test database (the main thread's connection keeps it
    alive), so the thread's connection is closed for real here."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    def close():
        for connection in connections.all(initialized_only=True):
            BaseDatabaseWrapper.close(connection)

    await sync_to_async(close)()


@pytest.fixture
def registry(tmp_path):
    with LocalRegistry(tmp_path / "registry") as registry:
        yield registry


async def _service(user_scope, name: str, reference: str, policy: str, fmt: str = "quadlet") -> None:
    """A container of `reference` turned into a unit (Quadlet: AutoUpdate=policy;
    classic: the label) by the project's own generate-and-enable flow."""
    podman("create", "--stop-timeout=1", "--name", name, reference)
    # The auto-update label is what the dialog asks for: no difference to accept.
    outcome = await services.generate_and_enable(user_scope, "container", name,
                                                 {**FAST, "format": fmt, "auto_update": policy})
    assert outcome.ok and outcome.state == "active", (outcome.message, outcome.journal)


async def _registry_service(user_scope, images, registry, prefix: str, name: str,
                            fmt: str = "quadlet") -> tuple[str, str]:
    """Image v1 published as phu/<prefix>:stable, pulled, and run by a unit with the
    registry policy: (its reference, v1's image id)."""
    v1_tag, v1 = images.build("1")
    registry.publish(v1_tag, f"phu/{prefix}:stable")
    reference = registry.reference(f"phu/{prefix}:stable")
    async with PodmanClient(user_scope.podman_socket) as client:
        async for _ in client.pull_image(reference, tls_verify=False):
            pass
    await _service(user_scope, name, reference, "registry", fmt)
    return reference, v1


async def _candidate(name: str) -> autoupdate.Candidate:
    found = {c.name: c for c in await updates.read_candidates("user")}
    assert name in found, list(found)
    return found[name]


def _version(name: str) -> str:
    return podman("exec", name, "cat", "/version")


def _image_of(name: str) -> str:
    return podman("inspect", name, "--format", "{{.Image}}")


async def test_registry_check_update_and_roll_back_by_hand(prefix, images, registry, user_scope):
    name = f"{prefix}-web"
    reference, v1 = await _registry_service(user_scope, images, registry, prefix, name)
    assert _version(name) == "1"

    first = await _candidate(name)
    assert first.policy == "registry" and first.unit == f"{name}.service" and first.reference == reference
    assert autoupdate.same_image(first.image_id, v1)
    assert (await updates.check("user", first, tls_verify=False)).result == autoupdate.UP_TO_DATE

    v2_tag, v2 = images.build("2")
    registry.publish(v2_tag, f"phu/{prefix}:stable")
    said = []

    async def say(line):
        said.append(line)

    registry.requests.clear()
    checked = await updates.check("user", first, say, tls_verify=False)
    assert checked.result == autoupdate.DUE and checked.new_image_id == "", checked
    assert _version(name) == "1" and autoupdate.same_image(_image_of(name), v1)  # a check restarts nothing
    # ... and pulls nothing: the manifest's digest was asked, no blob was read, and
    # the reference still names v1 here (an unrelated restart of the unit runs v1)
    assert ("HEAD", f"/v2/phu/{prefix}/manifests/stable") in registry.requests, registry.requests
    assert not [path for _, path in registry.requests if "/blobs/" in path], registry.requests
    assert autoupdate.same_image(podman("image", "inspect", reference, "--format", "{{.Id}}"), v1)

    user = await _user()
    job = updates.start(secrets.token_hex(4), updates.UPDATE, user_scope, [await _candidate(name)], user,
                        tls_verify=False)
    outcome_line = await _job_end(job)
    assert outcome_line["outcome"] == autoupdate.UPDATED, job.lines
    assert any(line.get("message", "").startswith("Copying") for line in job.lines), job.lines  # the pull's progress
    assert _version(name) == "2" and autoupdate.same_image(_image_of(name), v2)
    record = await UpdateRecord.objects.aget(container=name, action="update")
    assert (record.outcome, record.unit, record.reference) == (autoupdate.UPDATED, f"{name}.service", reference)
    assert autoupdate.same_image(record.old_image_id, v1) and autoupdate.same_image(record.new_image_id, v2)
    assert record.username == user.username
    # the old image stays for the roll back
    assert subprocess.run(["podman", "image", "exists", v1]).returncode == 0

    back = await updates.roll_back(user_scope, record.id, user)
    assert back.result == autoupdate.ROLLED_BACK, back
    assert _version(name) == "1" and autoupdate.same_image(_image_of(name), v1)
    assert await UpdateRecord.objects.filter(container=name, action="roll back",
                                             outcome=autoupdate.ROLLED_BACK).acount() == 1
    # Only a worked update can be rolled back; the roll back's own record cannot.
    again = await UpdateRecord.objects.aget(container=name, action="roll back")
    with pytest.raises(updates.UpdateError):
        await updates.roll_back(user_scope, again.id, user)


@pytest.mark.parametrize("fmt", ["quadlet", "classic"])
async def test_a_bad_update_is_rolled_back(fmt, prefix, images, registry, user_scope):
    name = f"{prefix}-bad"
    reference, v1 = await _registry_service(user_scope, images, registry, prefix, name, fmt)
    assert (await _candidate(name)).unit == f"{name}.service"

    bad_tag, bad = images.build("2", command='["sh", "-c", "exit 1"]')
    registry.publish(bad_tag, f"phu/{prefix}:stable")
    outcome = await updates.update(user_scope, await _candidate(name), tls_verify=False)
    assert outcome.result == autoupdate.ROLLED_BACK, outcome
    # systemd's reason, then what was done about it
    assert "ended at once" in outcome.message, outcome.message
    assert "Rolled back" in outcome.message and name in outcome.message
    assert autoupdate.same_image(outcome.new_image_id, bad) and autoupdate.same_image(outcome.old_image_id, v1)
    assert _version(name) == "1" and autoupdate.same_image(_image_of(name), v1)
    # the reference names v1 again, so the unit keeps running it
    assert autoupdate.same_image(podman("image", "inspect", reference, "--format", "{{.Id}}"), v1)


async def test_local_policy_follows_a_new_local_tag_and_a_gone_image_cannot_be_rolled_back_to(
        prefix, images, user_scope):
    name = f"{prefix}-loc"
    reference = f"localhost/{prefix}-app:latest"
    v1_tag, v1 = images.build("1")
    podman("tag", v1, reference)
    await _service(user_scope, name, reference, "local")
    candidate = await _candidate(name)
    assert candidate.policy == "local"
    assert (await updates.check("user", candidate)).result == autoupdate.UP_TO_DATE

    v2_tag, v2 = images.build("2")
    podman("tag", v2, reference)
    checked = await updates.check("user", candidate)
    assert checked.result == autoupdate.DUE and autoupdate.same_image(checked.new_image_id, v2)
    job = updates.start(secrets.token_hex(4), updates.UPDATE, user_scope, [candidate], await _user())
    assert (await _job_end(job))["outcome"] == autoupdate.UPDATED, job.lines
    assert _version(name) == "2"
    # up to date now
    assert (await updates.check("user", await _candidate(name))).result == autoupdate.UP_TO_DATE

    record = await UpdateRecord.objects.aget(container=name, action="update")
    podman("rmi", "-f", v1)
    with pytest.raises(updates.UpdateError, match="no longer exists"):
        await updates.roll_back(user_scope, record.id, await _user())
    assert _version(name) == "2"


async def _user():
    from django.contrib.auth.models import User

    return (await User.objects.aget_or_create(username="updater"))[0]


async def _job_end(job) -> dict:
    """The outcome line of a one-container job, once the job said it finished."""
    for _ in range(600):
        if job.lines and job.lines[-1].get("finished"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the job did not finish: {job.lines}")
    return next(line for line in job.lines if line.get("outcome"))


async def test_a_name_that_takes_no_part_is_answered_as_text_not_markup(user_scope, async_client):
    from django.contrib.auth.models import User

    admin = await User.objects.acreate(username=f"upd-{secrets.token_hex(3)}", is_superuser=True, is_staff=True)
    await async_client.aforce_login(admin)
    hostile = '<img src=x onerror="alert(1)">'
    response = await async_client.post("/user/updates/check/", {"container": hostile})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<img" not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; does not take part" in body


async def test_a_registry_that_wants_credentials_gets_those_of_the_authfile_label(
        prefix, images, user_scope, tmp_path):
    """podman's io.containers.autoupdate.authfile label: the check answers the
    registry's token challenge with its credentials, and the update's pull uses them."""
    with LocalRegistry(tmp_path / "private", credentials=("updater", "s3cret:pw")) as private:
        v1_tag, v1 = images.build("1")
        private.publish(v1_tag, f"phu/{prefix}:stable")
        reference = private.reference(f"phu/{prefix}:stable")
        authfile = tmp_path / "auth.json"
        token = base64.b64encode(b"updater:s3cret:pw").decode()
        authfile.write_text(json.dumps({"auths": {private.address: {"auth": token}}}))
        async with PodmanClient(user_scope.podman_socket) as client:
            async for _ in client.pull_image(reference, tls_verify=False,
                                             registry_auth=registry_auth_header(("updater", "s3cret:pw"))):
                pass
        name = f"{prefix}-auth"
        podman("create", "--stop-timeout=1", "--label", f"{autoupdate.AUTHFILE_LABEL}={authfile}",
               "--name", name, reference)
        outcome = await services.generate_and_enable(user_scope, "container", name, {**FAST, "auto_update": "registry"})
        assert outcome.ok, (outcome.message, outcome.journal)
        candidate = await _candidate(name)
        assert candidate.authfile == str(authfile)
        assert (await updates.check("user", candidate, tls_verify=False)).result == autoupdate.UP_TO_DATE

        v2_tag, v2 = images.build("2")
        private.publish(v2_tag, f"phu/{prefix}:stable")
        assert (await updates.check("user", candidate, tls_verify=False)).result == autoupdate.DUE
        updated = await updates.update(user_scope, candidate, tls_verify=False)
        assert updated.result == autoupdate.UPDATED, updated
        assert _version(name) == "2" and autoupdate.same_image(_image_of(name), v2)

        # wrong credentials: a clear refusal, and nothing changes
        authfile.write_text(json.dumps({"auths": {private.address: {"auth": base64.b64encode(b"updater:no").decode()}}}))
        refused = await updates.check("user", await _candidate(name), tls_verify=False)
        assert refused.result == autoupdate.FAILED and "refused the credentials" in refused.message, refused
        authfile.unlink()
        missing = await updates.check("user", await _candidate(name), tls_verify=False)
        assert missing.result == autoupdate.FAILED and "does not exist" in missing.message, missing
        assert _version(name) == "2"


async def test_the_timers_service_updates_and_keeps_the_history_in_podhouses_database(
        prefix, images, user_scope, tmp_path, monkeypatch):
    """What the schedule runs, run by systemd for real: `manage.py autoupdate` in the
    timer's service updates a local-policy container and writes its record into the
    database the server uses (here a file of the test's, passed through the
    service's environment file)."""
    from dashboard.flows import update_schedule
    from dashboard.host.systemd import manager_for
    from engine.units.schedule import SERVICE, Schedule

    database = tmp_path / "podhouse.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], capture_output=True, text=True,
                             env={**os.environ})
    assert migrate.returncode == 0, migrate.stderr
    name = f"{prefix}-timer"
    reference = f"localhost/{prefix}-app:latest"
    v1_tag, v1 = images.build("1")
    podman("tag", v1, reference)
    await _service(user_scope, name, reference, "local")
    v2_tag, v2 = images.build("2")
    podman("tag", v2, reference)
    # the service updates every container that takes part: only this one may
    others = [c.name for c in await updates.read_candidates("user") if c.can_update and c.name != name]
    assert not others, f"other containers take part in auto-update here, remove them first: {others}"
    try:
        await update_schedule.turn_on(user_scope, Schedule("*-01-01 00:00:00", 0))
        said = await update_schedule.run_now(user_scope)  # the page's Run now: answers within seconds
        assert said.startswith(f"{SERVICE} is running") or "done" in said, said
        async with manager_for(user_scope) as manager:
            for _ in range(1200):
                if await manager.active_state(SERVICE) != "activating":
                    break
                await asyncio.sleep(0.1)
            assert await manager.active_state(SERVICE) == "inactive"  # a oneshot that worked
        assert _version(name) == "2" and autoupdate.same_image(_image_of(name), v2)
        state = await update_schedule.read_state(user_scope)
        assert state.last_result == "worked", state
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT container, outcome, username FROM dashboard_updaterecord").fetchall()
        assert rows == [(name, autoupdate.UPDATED, "auto-update timer")]
        journal = await services.journal_lines(user_scope, SERVICE, lines=200)
        assert any(f"{name}: updated:" in line for line in journal), journal
    finally:
        await update_schedule.turn_off(user_scope)


async def test_registries_conf_says_which_registry_goes_without_tls_and_which_is_blocked(
        prefix, images, registry, user_scope, tmp_path, monkeypatch):
    name = f"{prefix}-conf"
    await _registry_service(user_scope, images, registry, prefix, name)
    candidate = await _candidate(name)
    conf = tmp_path / "registries.conf"
    monkeypatch.setenv("CONTAINERS_REGISTRIES_CONF", str(conf))
    conf.write_text("")
    plain = await updates.check("user", candidate)  # TLS checked: the loopback registry speaks plain HTTP
    assert plain.result == autoupdate.FAILED and "cannot reach" in plain.message, plain
    conf.write_text(f'[[registry]]\nlocation = "{registry.address}"\ninsecure = true\n')
    said = []

    async def say(line):
        said.append(line)

    assert (await updates.check("user", candidate, say)).result == autoupdate.UP_TO_DATE
    assert any("without TLS checks" in line for line in said), said
    conf.write_text(f'[[registry]]\nlocation = "{registry.address}"\nblocked = true\n')
    registry.requests.clear()
    blocked = await updates.check("user", candidate, tls_verify=False)
    assert blocked.result == autoupdate.FAILED and "blocked in registries.conf" in blocked.message, blocked
    assert registry.requests == []  # not even asked
