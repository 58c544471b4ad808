"""Specs from inspect data, both generators, options and the install rules (fakes only)."""
import pytest

from engine.units import classic, formats, install, quadlet
from engine.units.escaping import split_exec_line
from engine.units.generated import marker_state
from engine.units.options import InvalidOptions, UnitOptions, options_from_form
from engine.podman.container_spec import read_container as container_spec
from engine.podman.container_spec import read_pod as pod_spec
from engine.units.arguments import container_settings

IMAGE = {"Config": {"Cmd": ["/bin/sh", "-c", "/bin/sh"], "Env": ["IMG=1"], "Labels": {"from": "image"}}}


def inspect(**overrides):
    data = {
        "Id": "c0ffee" * 10 + "abcd", "Name": "phg-web", "ImageName": "localhost/busybox:latest",
        "Path": "httpd", "Args": ["-f", "-p", "80"],
        "Config": {"Cmd": ["httpd", "-f", "-p", "80"], "Entrypoint": "", "Hostname": "c0ffeec0ffee",
                   "Env": ["container=podman", "TERM=xterm", "IMG=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOSTNAME=c0ffeec0ffee", "GREETING=100% $real"],
                   "Labels": {"from": "image", "app": "web", "PODMAN_SYSTEMD_UNIT": "old.service"},
                   "User": "", "WorkingDir": "/", "StopSignal": 15, "StopTimeout": 10},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
                       "Tmpfs": {"/run": "rw,size=10m,rprivate,nosuid,nodev,tmpcopyup"},
                       "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
                       "Memory": 67108864, "MemorySwap": 134217728, "NanoCpus": 500000000,
                       "LogConfig": {"Type": "journald"}, "NetworkMode": "bridge"},
        "Mounts": [{"Type": "bind", "Source": "/srv/data", "Destination": "/data", "Options": ["rbind"],
                    "RW": False, "Propagation": "rprivate"},
                   {"Type": "volume", "Name": "phg-vol", "Destination": "/vol", "Options": ["nosuid", "nodev", "rbind"],
                    "RW": True, "Propagation": "rprivate"}],
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def args_of(spec):
    return [word for setting in container_settings(spec) for word in setting.args]


def test_spec_keeps_only_what_differs_from_the_image_and_podman_defaults():
    spec = container_spec(inspect(), IMAGE)
    args = args_of(spec)
    assert spec.command == ("httpd", "-f", "-p", "80") and spec.entrypoint is None
    assert [args[i + 1] for i, w in enumerate(args) if w == "--env"] == ["GREETING=100% $real"]
    assert [args[i + 1] for i, w in enumerate(args) if w == "--label"] == ["app=web"]
    assert "--publish=127.0.0.1:8080:80/tcp" in args
    assert "--volume=/srv/data:/data:ro" in args and "--volume=phg-vol:/vol" in args
    assert "--tmpfs=/run:size=10m" in args
    assert "--memory=67108864" in args and "--cpu-quota=50000" in args and "--cpu-period=100000" in args
    assert "--log-driver=journald" in args
    assert not any(w.startswith("--hostname") or w.startswith("--memory-swap") for w in args)
    assert spec.restart_policy == "always" and spec.created_by_systemd == "old.service"


def test_entrypoint_and_command_come_from_config_never_from_path_and_args():
    # The client gives Config.Entrypoint as a list (compat API) when libpod 4.x's
    # space-joined string would lose word boundaries.
    data = inspect(Path="/run/podman-init", Args=["--", "/bin/sh", "-c", "echo a  b", "x", "y z"])
    data["Config"].update(Cmd=["x", "y z"], Entrypoint=["/bin/sh", "-c", "echo a  b"])
    spec = container_spec(data, IMAGE)
    assert spec.entrypoint == ("/bin/sh", "-c", "echo a  b") and spec.command == ("x", "y z")
    assert quadlet.entrypoint_argument(spec.entrypoint) == '--entrypoint=["/bin/sh", "-c", "echo a  b"]'
    # --systemd=always on an image whose Cmd is /sbin/init: podman 4.3 shows Path and
    # Args both as /sbin/init; the unit must not run `/sbin/init /sbin/init`.
    data = inspect(Path="/sbin/init", Args=["/sbin/init"])
    data["Config"].update(Cmd=["/sbin/init"], Entrypoint="", SystemdMode=True)
    spec = container_spec(data, {"Config": {"Cmd": ["/sbin/init"]}})
    assert spec.entrypoint is None and spec.command is None and spec.systemd == ""
    data["Config"]["Cmd"] = ["/bin/sh"]
    assert container_spec(data, {"Config": {"Cmd": ["/sbin/init"]}}).systemd == "always"


def test_command_equal_to_the_image_is_left_to_the_image():
    data = inspect(Path="/bin/sh", Args=["-c", "/bin/sh"])
    data["Config"]["Cmd"] = ["/bin/sh", "-c", "/bin/sh"]
    assert container_spec(data, IMAGE).command is None


def test_health_check_and_pod_membership():
    data = inspect()
    data["Config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "wget -q localhost"], "Interval": 1_500_000_000,
                                     "Timeout": 5_000_000_000, "Retries": 2}
    data["HostConfig"]["NetworkMode"] = "container:" + "1" * 64  # the pod's infra
    spec = container_spec(data, IMAGE, pod_name="phg-pod")
    args = args_of(spec)
    assert "--health-cmd=wget -q localhost" in args and "--health-interval=1500ms" in args
    assert "--health-retries=2" in args
    assert not any(w.startswith("--publish") for w in args), "a member's ports belong to its pod"


def test_classic_container_unit_has_the_shape_of_podman_generate_systemd():
    spec = container_spec(inspect(), IMAGE)
    text = classic.container_text(spec, UnitOptions(unit_name="phg-web", wanted_by="default.target"))
    for line in ("Type=notify", "NotifyAccess=all", "Environment=PODMAN_SYSTEMD_UNIT=%n", "Restart=always",
                 "WantedBy=default.target", "ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%t/%n.ctr-id"):
        assert line in text.splitlines()
    (start,) = [l for l in text.splitlines() if l.startswith("ExecStart=")]
    (argv,) = split_exec_line(start[10:], specifiers={"t": "T", "n": "phg-web.service"})
    assert argv[:8] == ["/usr/bin/podman", "run", "--cidfile=T/phg-web.service.ctr-id", "--cgroups=no-conmon",
                        "--rm", "--sdnotify=conmon", "-d", "--replace"]
    assert "GREETING=100% $real" in argv and argv[-5:] == ["localhost/busybox:latest", "httpd", "-f", "-p", "80"]
    assert marker_state(text) == "ours"


def test_classic_pod_units_are_tied_both_ways():
    pod = pod_spec({"Name": "phg-pod", "InfraContainerID": "i", "Labels": {"tier": "a b"},
                    "InfraConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8090"}]}},
                    "Containers": [{"Id": "i", "Name": "x-infra"}, {"Id": "1", "Name": "phg-a"}, {"Id": "2", "Name": "phg-b"}]})
    members = [container_spec(inspect(Name=n), IMAGE, pod_name="phg-pod") for n in pod.members]
    units = classic.for_pod(pod, members, UnitOptions(unit_name="phg-pod", wanted_by="default.target"))
    assert units.services == ["phg-pod-pod.service", "phg-a.service", "phg-b.service"]
    pod_text = units.files[0].text.splitlines()
    assert {"Wants=phg-a.service", "Before=phg-b.service", "Type=forking", "PIDFile=%t/%n.pid"} <= set(pod_text)
    (pre,) = [l for l in pod_text if l.startswith("ExecStartPre=") and " pod create " in l]
    (argv,) = split_exec_line(pre[13:])
    assert argv[:3] == ["/usr/bin/podman", "pod", "create"] and "--infra-conmon-pidfile=<%t>/<%n>.pid" in argv
    assert "--publish=8090:80/tcp" in argv and "tier=a b" in argv
    member = units.files[1].text.splitlines()
    assert "BindsTo=phg-pod-pod.service" in member and "After=phg-pod-pod.service" in member
    assert not any(l.startswith("WantedBy=") for l in member), "members start through the pod"


def test_quadlet_pod_and_members():
    pod = pod_spec({"Name": "phg-pod", "CreateInfra": True, "Containers": [{"Id": "1", "Name": "phg-a"}]})
    members = [container_spec(inspect(Name="phg-a"), IMAGE, pod_name="phg-pod")]
    units = quadlet.for_pod(pod, members, UnitOptions(unit_name="phg-pod", wanted_by="default.target"))
    assert [f.filename for f in units.files] == ["phg-pod.pod", "phg-a.container"]
    assert units.main_service == "phg-pod-pod.service"
    assert "Pod=phg-pod.pod" in units.files[1].text.splitlines()
    assert "PodName=phg-pod" in units.files[0].text.splitlines()


def test_pod_without_infra_is_a_classic_oneshot_and_refused_by_quadlet():
    pod = pod_spec({"Name": "phg-pod", "CreateInfra": False, "Containers": [{"Id": "1", "Name": "phg-a"}]})
    assert pod.infra is False
    members = [container_spec(inspect(Name="phg-a"), IMAGE, pod_name="phg-pod")]
    with pytest.raises(quadlet.QuadletUnsupported):
        quadlet.for_pod(pod, members, UnitOptions(unit_name="phg-pod"))
    units = formats.for_pod(pod, members, UnitOptions(unit_name="phg-pod", wanted_by="default.target"), True)
    assert units.format == "classic" and "infra" in units.notes[0]
    lines = units.files[0].text.splitlines()
    assert {"Type=oneshot", "RemainAfterExit=yes"} <= set(lines) and not any("PIDFile" in l for l in lines)
    (start,) = [l for l in lines if l.startswith("ExecStart=")]
    assert "--infra=false" in start and "--infra-conmon-pidfile" not in start


def test_auto_falls_back_to_classic_when_quadlet_would_change_the_command():
    data = inspect(Path="echo", Args=["", ";"])
    data["Config"]["Cmd"] = ["echo", "", ";"]
    spec = container_spec(data, IMAGE)
    units = formats.for_container(spec, UnitOptions(unit_name="phg-web"), quadlet_available=True)
    assert units.format == "classic" and "empty argument" in units.notes[0]
    with pytest.raises(formats.FormatUnavailable):
        formats.for_container(spec, UnitOptions(unit_name="phg-web", format="quadlet"), quadlet_available=True)
    assert formats.for_container(container_spec(inspect(), IMAGE), UnitOptions(unit_name="w"), True).format == "quadlet"
    assert formats.for_container(container_spec(inspect(), IMAGE), UnitOptions(unit_name="w"), False).format == "classic"


def test_options_name_every_bad_field_and_refuse_healthy_on_podman_4():
    with pytest.raises(InvalidOptions) as caught:
        options_from_form({"unit_name": "bad name/", "restart": "sometimes", "restart_sec": "soon",
                           "sdnotify": "healthy", "after": "ok.service not-a-unit", "wanted_by": "x.service"},
                          default_name="phg-web", user_scope=True, podman_version=(4, 3, 1))
    assert set(caught.value.errors) == {"unit_name", "restart", "restart_sec", "sdnotify", "after", "wanted_by"}
    options = options_from_form({"restart_sec": "2.5", "stop_timeout": "0", "after": "db.service, x.target"},
                                default_name="phg-web.service", user_scope=False)
    assert (options.unit_name, options.restart_sec, options.stop_timeout) == ("phg-web", 2.5, 0)
    assert options.wanted_by == "multi-user.target" and options.after == ["db.service", "x.target"]
    assert options.restart_for("unless-stopped") == "always" and options.restart_for("") == "on-failure"


def test_install_is_atomic_keeps_backups_and_asks_before_overwriting_foreign_files(tmp_path):
    from engine.units.generated import UnitFile, with_marker
    dirs = {"unit": tmp_path / "units", "quadlet": tmp_path / "quadlet"}
    first = UnitFile("unit", "phg-a.service", with_marker("[Service]\nExecStart=/bin/true\n", "container a", "phg-a.service"))
    assert install.install(install.plan([first], dirs)) == [dirs["unit"] / "phg-a.service"]
    second = UnitFile("unit", "phg-a.service", with_marker("[Service]\nExecStart=/bin/false\n", "container a", "phg-a.service"))
    planned = install.plan([second], dirs)
    assert planned[0].state == "ours" and "-ExecStart=/bin/true" in planned[0].diff
    install.install(planned)
    assert (dirs["unit"] / "phg-a.service.podhouse-backup").read_text() == first.text
    # Someone else's file: nothing is written without confirmation.
    foreign = dirs["unit"] / "phg-b.service"
    foreign.write_text("[Service]\nExecStart=/bin/mine\n")
    third = UnitFile("unit", "phg-b.service", with_marker("[Service]\n", "container b", "phg-b.service"))
    with pytest.raises(install.NeedsConfirmation):
        install.install(install.plan([first, third], dirs))
    assert foreign.read_text() == "[Service]\nExecStart=/bin/mine\n"
    install.install(install.plan([third], dirs), confirmed=True)
    assert (dirs["unit"] / "phg-b.service.podhouse-backup").read_text() == "[Service]\nExecStart=/bin/mine\n"
    # A hand edit of our file also needs confirmation.
    (dirs["unit"] / "phg-a.service").write_text(second.text + "# my edit\n")
    assert install.plan([second], dirs)[0].state == "edited"
    install.uninstall([dirs["unit"] / "phg-a.service", dirs["unit"] / "phg-b.service"], force=True)
    assert sorted(p.name for p in dirs["unit"].iterdir()) == []
    assert not list(dirs["unit"].glob(".*podhouse-tmp"))


def test_uninstall_refuses_foreign_files(tmp_path):
    foreign = tmp_path / "x.service"
    foreign.write_text("[Unit]\n")
    with pytest.raises(install.NotOurs):
        install.uninstall([foreign])
    assert foreign.exists()


@pytest.mark.parametrize("module", [quadlet, classic])
def test_dialog_options_reach_the_unit(module):
    spec = container_spec(inspect(), IMAGE)
    options = UnitOptions(unit_name="phg-web", restart="on-abnormal", restart_sec=2.5, start_timeout=30,
                          stop_timeout=5, auto_update="registry", wanted_by="multi-user.target",
                          after=["db.service"], requires=["db.service"], sdnotify="container")
    lines = module.container_text(spec, options).splitlines()
    for line in ("Restart=on-abnormal", "RestartSec=2.5", "TimeoutStartSec=30", "TimeoutStopSec=65",
                 "WantedBy=multi-user.target", "After=db.service", "Requires=db.service"):
        assert line in lines, (line, module.__name__)
    text = "\n".join(lines)
    if module is quadlet:
        assert "AutoUpdate=registry" in lines and "Notify=true" in lines
    else:
        assert "io.containers.autoupdate=registry" in text and "--sdnotify=container" in text
        assert "ExecStop=/usr/bin/podman stop --ignore -t 5 --cidfile=%t/%n.ctr-id" in lines


def test_home_podman_filled_in_is_dropped_but_a_chosen_home_is_kept():
    data = inspect()
    data["Config"]["Env"] += ["HOME=/root"]
    assert not any(a.startswith("HOME=") for a in args_of(container_spec(data, IMAGE)))
    data["Config"]["Env"][-1] = "HOME=/srv/home"
    assert "HOME=/srv/home" in args_of(container_spec(data, IMAGE))


def test_what_podman_adds_when_a_container_starts_is_not_a_setting():
    """Seen in the fidelity test: a started container shows annotations, HOSTNAME
    (with --uts host), container_uuid (systemd mode) and the bind behind an image
    mount that its created-only original did not."""
    data = inspect(StaticDir="/var/lib/containers/storage/overlay-containers/abc/userdata")
    data["Config"]["Env"] += ["HOSTNAME=vm", "container_uuid=0123"]
    data["Config"]["Annotations"] = {"io.container.manager": "libpod", "org.opencontainers.image.stopSignal": "15",
                                     "mine": "kept"}
    data["Config"]["SystemdMode"] = True
    data["HostConfig"]["UTSMode"] = "host"
    data["Mounts"] = data["Mounts"] + [
        {"Type": "bind", "Source": data["StaticDir"] + "/overlay/1/merge", "Destination": "/img",
         "Options": ["lowerdir=/x"], "RW": True},
        {"Type": "image", "Source": "localhost/busybox:latest", "Destination": "/img", "RW": False}]
    spec = container_spec(data, IMAGE)
    assert spec.env == {"GREETING": "100% $real"} and spec.annotations == {"mine": "kept"}
    assert spec.mounts == ("type=image,source=localhost/busybox:latest,destination=/img",)
    assert spec.volumes == ("/srv/data:/data:ro", "phg-vol:/vol")
