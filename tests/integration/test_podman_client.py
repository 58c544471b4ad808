"""engine.podman against the real Podman API service of the host stack: every
operation, and the failure paths with podman's own messages."""
import asyncio
import io
import secrets
import socket
import tarfile
import time

import pytest

from engine.podman import BadRequest, Conflict, EngineUnavailable, NotFound, PodmanClient, PodmanError
from engine.podman.container_spec import ContainerSettings, pod_spec, settings_from_inspect, validate
from engine.podman.events import LOST, RECONNECTED

pytestmark = pytest.mark.integration
BUSYBOX = "localhost/busybox:latest"
# Runs until stopped and stops at once on SIGTERM (a bare sleep as PID 1 ignores it).
LONG = "sh -c 'trap \"exit 0\" TERM; sleep 600 & wait'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique(kind: str = "") -> str:
    return f"phc-{kind}{secrets.token_hex(4)}"


@pytest.fixture
async def client(host_scope):
    async with PodmanClient(host_scope.podman_socket) as client:
        yield client


@pytest.fixture
async def cleanup(client):
    """Names of containers, pods and images to remove after the test, whatever happened."""
    made = {"containers": [], "pods": [], "images": [], "volumes": []}
    yield made
    removers = {"containers": lambda n: client.remove_container(n, force=True, volumes=True),
                "pods": lambda n: client.remove_pod(n, force=True),
                "images": lambda n: client.remove_image(n, force=True),
                "volumes": lambda n: client.remove_volume(n, force=True)}
    for kind, remove in removers.items():
        for name in made[kind]:
            try:
                await remove(name)
            except NotFound:
                pass


async def make(client, cleanup, **settings) -> str:
    name = settings.setdefault("name", unique())
    settings.setdefault("image", BUSYBOX)
    cleanup["containers"].append(name)
    await client.create_container(validate(ContainerSettings(**settings)))
    return name


async def test_version_and_lists(client):
    assert (await client.version()).split(".")[0] in ("4", "5")
    assert await client.ping()
    assert any("localhost/busybox:latest" in image.names for image in await client.list_images())
    assert isinstance(await client.list_containers(), list) and isinstance(await client.list_pods(), list)


async def test_container_lifecycle(client, cleanup):
    name = await make(client, cleanup, command=LONG, labels="phc=1", env="GREETING=hello there")
    listed = {c.name: c for c in await client.list_containers(all=True)}
    assert listed[name].state in ("created", "configured") and listed[name].labels["phc"] == "1"
    await client.start_container(name)
    await client.start_container(name)  # already running: podman says 304, not an error
    record = await client.inspect_container(name)
    assert record["State"]["Running"] and "GREETING=hello there" in record["Config"]["Env"]
    assert record["HostConfig"]["LogConfig"]["Type"] == "journald"
    await client.pause_container(name)
    assert (await client.inspect_container(name))["State"]["Status"] == "paused"
    await client.unpause_container(name)
    await client.restart_container(name, timeout=0)
    assert (await client.inspect_container(name))["State"]["Running"]
    renamed = unique("renamed-")
    cleanup["containers"].append(renamed)
    await client.rename_container(name, renamed)
    assert await client.container_exists(renamed) and not await client.container_exists(name)
    await client.kill_container(renamed)
    await client.wait_container(renamed)
    assert not (await client.inspect_container(renamed))["State"]["Running"]
    await client.start_container(renamed)
    await client.stop_container(renamed, timeout=0)
    assert (await client.inspect_container(renamed))["State"]["Status"] == "exited"
    await client.remove_container(renamed)
    with pytest.raises(NotFound):
        await client.inspect_container(renamed)


async def test_remove_running_without_force_is_a_conflict_then_force_works(client, cleanup):
    name = await make(client, cleanup, command=LONG)
    await client.start_container(name)
    with pytest.raises(Conflict) as caught:
        await client.remove_container(name)
    assert "running" in str(caught.value)
    assert (await client.inspect_container(name))["State"]["Running"]
    await client.remove_container(name, force=True)
    assert not await client.container_exists(name)


async def test_name_conflict_and_bad_image_and_bad_spec(client, cleanup):
    name = await make(client, cleanup, command="true")
    with pytest.raises(Conflict) as caught:
        await client.create_container({"name": name, "image": BUSYBOX})
    assert "already in use" in str(caught.value)
    with pytest.raises(NotFound) as caught:
        await client.create_container({"name": unique(), "image": "localhost/phc-no-such-image:latest"})
    assert "image not known" in str(caught.value)
    with pytest.raises(PodmanError):
        await client.create_container({"name": unique(), "image": BUSYBOX, "restart_policy": "sometimes"})
    with pytest.raises(NotFound):
        await client.start_container(unique("missing-"))
    with pytest.raises(BadRequest):
        await client.list_containers(filters={"no-such-filter": ["x"]})


async def test_every_create_field_reaches_podman(client, cleanup, tmp_path):
    volume = unique("vol-")
    cleanup["volumes"].append(volume)
    name = await make(client, cleanup, command=LONG, entrypoint="", env="A=1", ports=f"127.0.0.1:{free_port()}:8080",
                      volumes=f"{tmp_path}:/host:ro\n{volume}:/data", labels="x=y", restart_policy="on-failure",
                      restart_tries="2", memory="64m", cpus="0.5", health_cmd="true", health_interval="30s",
                      user="0:0", workdir="/tmp", systemd="always", sdnotify="conmon", log_driver="k8s-file")
    record = await client.inspect_container(name)
    config, host = record["Config"], record["HostConfig"]
    assert config["Labels"]["x"] == "y" and config["User"] == "0:0" and config["WorkingDir"] == "/tmp"
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["Memory"] == 64 * 1024 ** 2 and host["CpuQuota"] == 50000
    assert config["Healthcheck"]["Test"] == ["CMD-SHELL", "true"] and config["SystemdMode"] is True
    assert host["LogConfig"]["Type"] == "k8s-file"
    mounts = {m["Destination"]: m for m in record["Mounts"]}
    assert mounts["/host"]["Source"] == str(tmp_path) and not mounts["/host"]["RW"]
    assert mounts["/data"]["Name"] == volume
    # edit = the same settings back from inspect validate into the same container again
    image = await client.inspect_image(BUSYBOX)
    again = settings_from_inspect(record, image["Config"])
    assert (again.memory, again.cpus, again.systemd, again.sdnotify) == ("64m", "0.5", "always", "conmon")
    await client.remove_container(name, force=True, volumes=True)
    # a named volume outlives its container (edit relies on it): removed on purpose only
    assert volume in [v["Name"] for v in await client.list_volumes()]
    await client.remove_volume(volume)
    assert volume not in [v["Name"] for v in await client.list_volumes()]


async def test_logs_of_a_finished_container_in_both_streams(client, cleanup):
    for driver in ("k8s-file", "journald"):
        name = await make(client, cleanup, command="sh -c 'echo out1; echo err1 >&2; echo out2'", log_driver=driver)
        await client.start_container(name)
        await client.wait_container(name)
        lines = [pair async for pair in client.container_logs(name)]
        assert sorted(lines) == [("stderr", "err1"), ("stdout", "out1"), ("stdout", "out2")], driver
        assert [pair async for pair in client.container_logs(name, tail=1)] != []


async def test_following_logs_gives_lines_as_they_come(client, cleanup):
    name = await make(client, cleanup, command="sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done'",
                      log_driver="k8s-file")
    await client.start_container(name)
    seen = []
    async for stream, line in client.container_logs(name, follow=True):
        seen.append(line)
    assert seen == ["line1", "line2", "line3"]


async def test_pods_and_their_containers(client, cleanup):
    pod = unique("pod-")
    cleanup["pods"].append(pod)
    await client.create_pod(pod_spec(pod, f"127.0.0.1:{free_port()}:80", "team=phc"))
    members = [await make(client, cleanup, command=LONG, pod=pod) for _ in range(2)]
    await client.start_pod(pod)
    record = await client.inspect_pod(pod)
    assert {c["Name"] for c in record["Containers"]} >= set(members)
    listed = {p.name: p for p in await client.list_pods()}
    assert listed[pod].state == "running" and {m.name for m in listed[pod].containers} == set(members)
    assert listed[pod].infra is not None and listed[pod].labels == {"team": "phc"}
    # a member as one inspect shows it is the row a list shows, pod name and published port included
    from_list = (await client.list_containers(filters={"name": [f"^{members[0]}$"]}))[0]
    pods_seen: dict[str, dict] = {}
    inspected = await client.container(members[0], pods_seen)
    assert (inspected.id, inspected.name, inspected.state, inspected.pod_name, inspected.ports) == (
        from_list.id, from_list.name, from_list.state, from_list.pod_name, from_list.ports)
    assert inspected.pod_name == pod and list(pods_seen) == [record["Id"]]
    await client.stop_pod(pod, timeout=0)
    assert {m.state for m in (await client.list_pods(filters={"name": [pod]}))[0].containers} == {"exited"}
    await client.restart_pod(pod)
    with pytest.raises(Conflict):
        await client.remove_pod(pod)
    await client.remove_pod(pod, force=True)
    with pytest.raises(NotFound):
        await client.inspect_pod(pod)
    assert not await client.container_exists(members[0])
    with pytest.raises(NotFound):
        await client.container(members[0])


def rootfs_tarball() -> bytes:
    """A one-file root filesystem, enough for podman import."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        payload = b"phc\n"
        info = tarfile.TarInfo("etc/phc-marker")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return data.getvalue()


async def test_images_import_inspect_remove(client, cleanup):
    ref = f"localhost/{unique('img-')}:1"
    cleanup["images"].append(ref)
    image_id = await client.import_image(rootfs_tarball(), reference=ref, changes=['CMD ["/bin/sh"]'])
    record = await client.inspect_image(ref)
    assert record["Id"] == image_id and record["Config"]["Cmd"] == ["/bin/sh"]
    # remove: in use -> conflict, nothing removed; free -> removed
    user = await make(client, cleanup, image=ref, command="true")
    with pytest.raises(Conflict):
        await client.remove_image(ref)
    assert (await client.inspect_image(ref))["Id"] == image_id
    await client.remove_container(user)
    await client.remove_image(ref)
    with pytest.raises(NotFound):
        await client.inspect_image(ref)


async def test_tag_moves_a_name_to_another_image(client, cleanup):
    repository = f"localhost/{unique('tag-')}"
    first = await client.import_image(rootfs_tarball() + b"\0" * 1024, reference=f"{repository}:first")
    second = await client.import_image(rootfs_tarball() + b"\0" * 2048, reference=f"{repository}:second")
    cleanup["images"] += [first, second]
    await client.tag_image(first, repository, "current")
    assert (await client.inspect_image(f"{repository}:current"))["Id"] == first
    await client.tag_image(second, repository, "current")  # the name leaves the first image
    assert (await client.inspect_image(f"{repository}:current"))["Id"] == second
    assert f"{repository}:current" not in (await client.inspect_image(first))["RepoTags"]
    with pytest.raises(NotFound):
        await client.tag_image("0" * 64, repository, "current")


async def test_prune_removes_dangling_images_only(client, cleanup):
    ref = f"localhost/{unique('prune-')}:1"
    image_id = await client.import_image(rootfs_tarball() + b"\0" * 1024, reference=ref)
    cleanup["images"].append(image_id)
    await client.import_image(rootfs_tarball() + b"\0" * 2048, reference=ref)  # takes the tag: first is dangling
    pruned = [r["Id"] for r in await client.prune_images()]
    assert image_id in pruned
    assert await client.image_exists(ref) and await client.image_exists(BUSYBOX)
    await client.remove_image(ref)


async def test_events_arrive_for_a_container(client, cleanup):
    name = unique()
    seen = []

    since = time.time() - 1  # from before the container exists, however slow the subscription

    async def watch():
        async for event in client.events(filters={"container": [name]}, since=since):
            seen.append(event.action)
            if event.action == "remove":
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.3)
    await make(client, cleanup, name=name, command="true")
    await client.start_container(name)
    await client.wait_container(name)
    await client.remove_container(name)
    await asyncio.wait_for(watcher, 10)
    assert seen[0] == "create" and "start" in seen and seen[-1] == "remove"


async def test_events_podman_writes_out_of_time_order_are_all_given(client, cleanup, host_scope):
    """Removing a tagged image, podman writes "untag" and then "remove", whose time
    is the earlier of the two (as do concurrent operations, finishing in another
    order than they started): the stream gives both.  It once skipped every event
    older than the newest it had given, so an image's removal never reached the
    lists."""
    import subprocess

    name = unique()
    image = f"localhost/{name}-img:1"
    env = host_scope.child_env()
    await make(client, cleanup, name=name, command="true")
    await asyncio.to_thread(subprocess.run, ["podman", "commit", "-q", name, image], check=True, env=env,
                            capture_output=True)
    image_id = (await client.inspect_image(image))["Id"]
    seen = []

    async def watch():
        async for event in client.events(filters={"type": ["image"]}, since=time.time() - 1):
            if event.id == image_id:
                seen.append((event.action, event.time_nano))
                if event.action == "remove":
                    return

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(subprocess.run, ["podman", "rmi", image], check=True, env=env, capture_output=True)
        await asyncio.wait_for(watcher, 10)
    finally:
        watcher.cancel()
        await asyncio.to_thread(subprocess.run, ["podman", "rmi", "-f", image], env=env, capture_output=True)
    actions = [action for action, _ in seen]
    assert actions[-2:] == ["untag", "remove"], seen
    # what makes it a test of the stream: podman did write them out of time order
    assert seen[-1][1] < seen[-2][1], seen


async def test_engine_down_is_engine_unavailable(tmp_path):
    async with PodmanClient(str(tmp_path / "no-podman.sock")) as client:
        with pytest.raises(EngineUnavailable) as caught:
            await client.list_containers()
        assert "no-podman.sock" in str(caught.value)
        # events keep trying instead of failing; without reconnect they fail at once
        with pytest.raises(EngineUnavailable):
            async for _ in client.events(reconnect=False):
                pass


async def test_events_reconnect_when_the_service_comes_back(tmp_path, host_scope):
    """A relay socket in front of podman is dropped and brought back: the stream yields
    LOST (its reader stops showing state as live), then RECONNECTED (so its reader
    re-reads state), then podman's events again."""
    path = str(tmp_path / "relay.sock")
    open_writers = []

    async def relay(reader, writer):
        up_reader, up_writer = await asyncio.open_unix_connection(host_scope.podman_socket)
        open_writers.extend([writer, up_writer])

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_unix_server(relay, path)
    version = await PodmanClient(host_scope.podman_socket).version()
    async with PodmanClient(path, api_version=version) as client:
        name = unique()
        stream = client.events(filters={"container": [name]}, max_backoff=0.2)  # quiet until we act
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.3)
        server.close()
        for writer in open_writers:
            writer.close()
        # The break is said once (LOST), then the stream keeps trying, quietly.
        assert (await asyncio.wait_for(first, 10)).type == LOST
        again = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)
        assert not again.done()  # still trying
        server = await asyncio.start_unix_server(relay, path)
        event = await asyncio.wait_for(again, 10)
        assert event.type == RECONNECTED
        following = asyncio.ensure_future(stream.__anext__())
        await client.create_container({"name": name, "image": BUSYBOX})
        try:
            event = await asyncio.wait_for(following, 10)
            assert event.type == "container" and event.name == name
        finally:
            await client.remove_container(name, force=True)
        await stream.aclose()
    server.close()


async def test_a_row_from_inspect_matches_the_row_from_the_list(client, cleanup):
    """The watcher builds a changed row from inspect (cheap for one container): it must
    show what the list gives."""
    from engine.podman import Container

    pod = unique("pod-")
    cleanup["pods"].append(pod)
    await client.create_pod(pod_spec(pod, f"127.0.0.1:{free_port()}:80"))
    for settings in ({"pod": pod}, {"ports": f"127.0.0.1:{free_port()}:81/udp", "labels": "PODMAN_SYSTEMD_UNIT=x.service"}):
        name = await make(client, cleanup, command=LONG, **settings)
        for started in (False, True):
            if started:
                await client.start_container(name)
            listed = (await client.list_containers(all=True, filters={"name": [f"^{name}$"]}))[0]
            record = await client.inspect_container(name)
            inspected = Container.from_inspect(record, await client.inspect_pod(pod) if record.get("Pod") else None)
            for attribute in ("id", "name", "image", "image_id", "state", "command", "exit_code", "pod_id",
                              "pod_name", "labels", "is_infra", "systemd_unit"):
                assert getattr(inspected, attribute) == getattr(listed, attribute), attribute
            assert [str(p) for p in inspected.ports] == [str(p) for p in listed.ports]
            assert inspected.created == listed.created


async def test_stats_follow_a_busy_container_through_stop_and_removal(client, cleanup):
    name = await make(client, cleanup, command="sh -c 'while :; do :; done'", memory="64m")
    await client.start_container(name)
    samples = client.container_stats(name)
    busy = [await anext(samples) for _ in range(3)]
    assert all(s.running and s.name == name and s.pids >= 1 and s.memory_bytes > 0 for s in busy)
    assert max(s.cpu_percent for s in busy) > 20  # a shell spinning on a core
    assert busy[-1].memory_limit_bytes == 64 * 1024 * 1024
    await client.kill_container(name)
    stopped = None
    for _ in range(5):
        sample = await anext(samples)
        if not sample.running:
            stopped = sample
            break
    assert stopped is not None and stopped.cpu_percent == 0 and stopped.memory_bytes == 0
    await client.remove_container(name, force=True)
    rest = [sample async for sample in samples]  # the stream ends with the container
    assert len(rest) <= 2


async def test_stats_of_an_unknown_container_is_not_found(client):
    with pytest.raises(NotFound):
        await anext(client.container_stats(unique("missing-")))
