"""Pure logic of dashboard.host.systemd: job messages, bus labels, container links."""
from dbus_fast import Variant

from dashboard.host.systemd import JobOutcome, job_message, plain, unit_path_name
from dashboard.host.unit_files import container_link


def test_job_messages_use_systemds_words():
    assert job_message("a.service", "done") == "Job for a.service done."
    assert job_message("a.service", "failed", "exit-code", 1) == (
        "Job for a.service failed because the control process exited with error code. (exit status 1)")
    assert job_message("a.service", "failed", "timeout") == (
        "Job for a.service failed because a timeout was exceeded.")
    assert job_message("a.service", "failed") == "Job for a.service failed."
    assert job_message("a.service", "dependency") == "A dependency job for a.service failed."
    assert "not active" in job_message("a.service", "invalid")
    assert "'weird'" in job_message("a.service", "weird")


def test_outcome_ok_only_for_done_and_skipped():
    assert JobOutcome("start", "a", "done", "").ok and JobOutcome("start", "a", "skipped", "").ok
    for bad in ("failed", "timeout", "canceled", "dependency", "queued"):
        assert not JobOutcome("start", "a", bad, "").ok


def test_unit_path_name_unescapes_bus_labels():
    assert unit_path_name("/org/freedesktop/systemd1/unit/dbus_2eservice") == "dbus.service"
    assert unit_path_name("/org/freedesktop/systemd1/unit/phs_2d1a_2eservice") == "phs-1a.service"
    assert unit_path_name("/org/freedesktop/systemd1/unit/getty_40tty1_2eservice") == "getty@tty1.service"


def test_plain_unwraps_nested_variants():
    assert plain({"a": Variant("as", ["x"]), "b": [Variant("u", 3)]}) == {"a": ["x"], "b": [3]}


def test_podman_generated_container_unit():
    text = """[Unit]
Description=Podman container-web.service
[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
ExecStartPre=/bin/rm -f %t/%n.ctr-id
ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id --rm --sdnotify=conmon -d --replace --name web localhost/busybox:latest httpd -f
"""
    link = container_link(text)
    assert (link.kind, link.name, link.how) == ("container", "web", "podman-generated")


def test_podman_generated_pod_unit():
    text = """[Service]
ExecStartPre=/usr/bin/podman pod create --infra-conmon-pidfile %t/pod-x.pid --pod-id-file %t/pod-x.pod-id --name=shop --replace
ExecStart=/usr/bin/podman pod start --pod-id-file %t/pod-x.pod-id
"""
    link = container_link(text)
    assert (link.kind, link.name) == ("pod", "shop")


def test_podman_start_of_an_existing_container():
    link = container_link("[Service]\nExecStart=/usr/bin/podman start db\n")
    assert (link.kind, link.name) == ("container", "db")


def test_quadlet_source_path(tmp_path):
    container = tmp_path / "web.container"
    container.write_text("[Container]\nImage=localhost/busybox\n")
    link = container_link(f"[Unit]\nSourcePath={container}\n[Service]\nExecStart=/usr/bin/podman run --name=systemd-web x\n")
    assert (link.kind, link.name, link.how) == ("container", "systemd-web", "quadlet")
    container.write_text("[Container]\nContainerName=shop-web\n")
    assert container_link(f"SourcePath={container}\n").name == "shop-web"
    pod = tmp_path / "shop.pod"
    pod.write_text("[Pod]\nPodName=shop\n")
    assert (container_link(f"SourcePath={pod}\n").kind, container_link(f"SourcePath={pod}\n").name) == ("pod", "shop")


def test_marker_wins_and_plain_units_have_no_link():
    assert container_link("[Unit]\nX-Podhouse-Pod=shop\n[Service]\nExecStart=/usr/bin/podman run --name a x\n").name == "shop"
    assert container_link("[Service]\nExecStart=/bin/sleep 1000\n") is None
    assert container_link("[Service]\nExecStart=/usr/bin/podmanager --name x\n") is None
    assert container_link("[Service]\n# ExecStart=/usr/bin/podman run --name x\nExecStart=/bin/true\n") is None
    link = container_link("[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\nExecStart=/bin/true\n")
    assert (link.how, link.name) == ("PODMAN_SYSTEMD_UNIT", "")
