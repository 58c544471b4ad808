"""The lists that must stay complete: every spec field has a label, a generator
mapping and a fidelity case; every flag of `podman create` / `podman pod create`
is carried or declared not applicable with a reason."""
from dataclasses import fields

import pytest

from engine.podman.container_spec import MAPPED_FIELDS, NOT_SETTINGS, POD_INFRA_MAPPED, \
    POD_INFRA_NOT_SETTINGS, POD_INFRA_UNCARRIED, POD_MAPPED_FIELDS, POD_NOT_SETTINGS, POD_UNCARRIED_SETTINGS, \
    UNCARRIED_SETTINGS, read_container, read_pod, unknown_fields, unknown_pod_fields
from engine.units.arguments import CONTAINER_ARGUMENTS, POD_ARGUMENTS, POD_WRITTEN_BY_GENERATOR, \
    WRITTEN_BY_GENERATOR, Setting, container_settings, pod_settings, uncarried
from engine.units.spec import ContainerSpec, PodSpec, compared_fields
from engine.units.verify import compare_specs
from tests import fidelity_cases as cases
from tests.podman_flags import CREATE_FLAGS, POD_CREATE_FLAGS

# Spec fields whose label is not a flag a case can be searched for, and how a case shows them.
CASE_WORDS = {"image": "--image-is-positional", "command": "--command-is-positional",
              "networks": "--network", "restart_retries": "--restart"}


def _case_words() -> tuple[set[str], set[str], set[str]]:
    """(flags used by container cases, SpecGenerator keys of API cases, pod flags)."""
    s = cases.shared("x")
    words = {w.partition("=")[0] for args in cases.cli_cases("x", 1, s).values() for w in args if w.startswith("-")}
    words |= {w.partition("=")[0] for _, members in cases.pod_cases("x", 1, s).values()
              for args in members.values() for w in args if w.startswith("-")}
    short = {"-t": "--tty", "-i": "--interactive", "-p": "--publish", "-v": "--volume", "-w": "--workdir",
             "-P": "--publish"}
    words |= {short.get(w, w) for w in list(words)}
    api = {k for spec in cases.api_cases("x", 1, s).values() for k in spec}
    pod_words = {w.partition("=")[0] for args, _ in cases.pod_cases("x", 1, s).values() for w in args
                 if w.startswith("-")}
    pod_words = {{"-p": "--publish"}.get(w, w) for w in pod_words}
    return words, api, pod_words


@pytest.mark.parametrize("spec_class, table, by_generator", [
    (ContainerSpec, CONTAINER_ARGUMENTS, WRITTEN_BY_GENERATOR), (PodSpec, POD_ARGUMENTS, POD_WRITTEN_BY_GENERATOR)])
def test_every_field_has_a_label_and_a_generator_mapping(spec_class, table, by_generator):
    names = [f.name for f in fields(spec_class)]
    assert all(f.metadata.get("label") for f in fields(spec_class)), "a field without a label"
    unmapped = [n for n in names if n not in table and n not in by_generator]
    assert not unmapped, f"no generator mapping for {unmapped}"
    assert not [n for n in [*table, *by_generator] if n not in names], "a mapping for a field that is gone"
    assert not set(table) & set(by_generator)
    # a compared field is one the generators write (never one they decide themselves)
    assert {f.name for f in compared_fields(spec_class)} <= set(table) | {"image", "entrypoint", "command"}


def test_every_container_field_has_a_fidelity_case():
    words, api, _ = _case_words()
    missing = []
    for f in compared_fields(ContainerSpec):
        label = CASE_WORDS.get(f.name, f.metadata["label"]).split(" ")[0]
        if f.name in ("image", "command", "entrypoint"):
            continue  # every case has an image and most a command; -entry* cases an entrypoint
        if label not in words:
            missing.append(f"{f.name} ({label})")
    assert not missing, f"spec fields without a case in tests/fidelity_cases.py: {missing}"
    assert {"--entrypoint"} <= words and "entrypoint" in api


def test_every_pod_field_has_a_fidelity_case():
    _, _, pod_words = _case_words()
    missing = [f"{f.name} ({f.metadata['label']})" for f in compared_fields(PodSpec)
               if f.metadata["label"] not in pod_words and f.name not in cases.POD_NOT_SETTABLE]
    assert not missing, f"pod spec fields without a case in tests/fidelity_cases.py: {missing}"


@pytest.mark.parametrize("flags, spec_class", [(CREATE_FLAGS, ContainerSpec), (POD_CREATE_FLAGS, PodSpec)])
def test_every_create_flag_is_carried_or_declared(flags, spec_class):
    names = {f.name for f in fields(spec_class)}
    for flag, (status, detail) in flags.items():
        assert status in ("field", "unknown", "n/a"), flag
        assert detail, f"{flag}: no field or reason"
        if status == "field":
            assert detail in names, f"{flag} names {detail}, which is not a field of {spec_class.__name__}"
    # a flag declared "unknown" must be a setting the module knows it does not carry
    for flag, (status, detail) in flags.items():
        if status != "unknown":
            continue
        if spec_class is ContainerSpec:
            section, _, key = detail.rpartition(".")
            assert key in UNCARRIED_SETTINGS[section], flag
        else:
            section, _, key = detail.rpartition(".")
            assert key in (POD_INFRA_UNCARRIED if section == "InfraConfig" else POD_UNCARRIED_SETTINGS), flag


# The flags podman 4.3's `podman create --help` and `podman pod create --help` list
# (podman-create(1), podman-pod-create(1)), copied once from the host's podman.
HELP_CREATE = """
--add-host --annotation --arch --attach --authfile --blkio-weight --blkio-weight-device --cap-add
--cap-drop --cgroup-conf --cgroup-parent --cgroupns --cgroups --chrootdirs --cidfile
--conmon-pidfile --cpu-period --cpu-quota --cpu-rt-period --cpu-rt-runtime --cpu-shares --cpus
--cpuset-cpus --cpuset-mems --device --device-cgroup-rule --device-read-bps --device-read-iops
--device-write-bps --device-write-iops --disable-content-trust --dns --dns-option --dns-search
--entrypoint --env --env-file --env-host --env-merge --expose --gidmap --group-add --health-cmd
--health-interval --health-on-failure --health-retries --health-start-period --health-timeout --help
--hostname --hostuser --http-proxy --image-volume --init --init-ctr --init-path --interactive --ip
--ip6 --ipc --label --label-file --log-driver --log-opt --mac-address --memory --memory-reservation
--memory-swap --memory-swappiness --mount --name --network --network-alias --no-healthcheck
--no-hosts --oom-kill-disable --oom-score-adj --os --passwd-entry --personality --pid --pidfile
--pids-limit --platform --pod --pod-id-file --privileged --publish --publish-all --pull --quiet
--read-only --read-only-tmpfs --replace --requires --restart --rm --rootfs --sdnotify
--seccomp-policy --secret --security-opt --shm-size --stop-signal --stop-timeout --subgidname
--subuidname --sysctl --systemd --timeout --tls-verify --tmpfs --tty --tz --uidmap --ulimit --umask
--unsetenv --unsetenv-all --user --userns --uts --variant --volume --volumes-from --workdir
"""
HELP_POD_CREATE = """
--add-host --blkio-weight --blkio-weight-device --cgroup-parent --cpu-shares --cpus --cpuset-cpus
--cpuset-mems --device --device-read-bps --device-write-bps --dns --dns-option --dns-search
--exit-policy --gidmap --help --hostname --infra --infra-command --infra-conmon-pidfile
--infra-image --infra-name --ip --ip6 --label --label-file --mac-address --memory --memory-swap
--name --network --network-alias --no-hosts --pid --pod-id-file --publish --replace --security-opt
--share --share-parent --shm-size --subgidname --subuidname --sysctl --uidmap --userns --uts
--volume --volumes-from
"""


def test_the_flag_lists_match_podmans_own_help():
    assert set(CREATE_FLAGS) == set(HELP_CREATE.split())
    assert set(POD_CREATE_FLAGS) == set(HELP_POD_CREATE.split())


def test_uncarried_names_podman_args_refusals_and_unknown_fields():
    record = {"Name": "x", "ImageName": "localhost/busybox:latest", "Id": "a" * 64,
              "Config": {"Cmd": ["sh", "", ";"], "Entrypoint": "", "CreateCommand": ["podman", "create", "img"]},
              "HostConfig": {"Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse"}],
                             "Umask": "x", "CpuRealtimeRuntime": 5, "Cgroups": "split"}}
    spec = read_container(record, {"Config": {}})
    assert spec.devices == ("/dev/fuse",) and spec.unknown == ("unknown field HostConfig.CpuRealtimeRuntime",
                                                               "unknown field HostConfig.Umask")
    words = [str(u) for u in uncarried(spec, "quadlet")]
    assert any(w.startswith("command: has an empty argument") for w in words)
    assert ("unknown field HostConfig.CpuRealtimeRuntime (--cpu-rt-runtime): Podhouse does not carry it, so the "
            "service's container would not have it") in words
    assert "unknown field HostConfig.Umask: Podhouse does not carry it, so the service's container would not have it" \
        in words  # a field no podman we know has: no flag to name
    assert {u.kind for u in uncarried(spec, "classic")} == {"unknown"}
    spec.devices, spec.tty = ("/dev/fuse",), True
    assert "--tty true: not carried by Quadlet 5.4 keys, written as PodmanArgs" in [str(u) for u in uncarried(spec, "quadlet")]
    api_made = read_container({**record, "Config": {"Cmd": ["sh"]}}, {"Config": {}})
    assert [u.kind for u in uncarried(api_made, "classic")][0] == "unreadable"
    pod = read_pod({"Name": "p", "CreateInfra": False, "Labels": {"a": "b"}, "memory_limit": 5})
    assert pod.unknown == ("unknown field memory_limit",)
    assert {u.kind for u in uncarried(pod, "quadlet")} == {"podman-args", "refused", "unknown"}


def test_differences_name_the_field_by_its_flag():
    a, b = ContainerSpec(name="x", cap_drop=("CAP_CHOWN",)), ContainerSpec(name="x-shadow")
    assert [str(d) for d in compare_specs(a, b)[1]] == ["--cap-drop: CAP_CHOWN -> (none)"]
    assert compare_specs(a, ContainerSpec(name="other", cap_drop=("CAP_CHOWN",)))[1] == []


def test_every_field_is_written_by_both_generators():
    """A spec with every field set writes each field's flag (classic) and key or PodmanArgs (Quadlet)."""
    spec = ContainerSpec(name="x", image="img")
    for name in CONTAINER_ARGUMENTS:
        f = next(f for f in fields(ContainerSpec) if f.name == name)
        kind = f.type
        value = {"bool": True}.get(kind) if kind == "bool" else None
        if kind == "bool":
            value = not (f.default)
        elif "dict" in kind:
            value = {"k": "v"}
        elif "tuple" in kind:
            value = ("v",)
        elif "int" in kind:
            value = 7
        else:
            value = "v"
        setattr(spec, name, value)
    written = {s.label for s in container_settings(spec)}
    assert written == {next(f for f in fields(ContainerSpec) if f.name == n).metadata["label"].split(" ")[0]
                       for n in CONTAINER_ARGUMENTS}
    assert all(isinstance(s, Setting) and s.args for s in container_settings(spec))
    pod = PodSpec(name="p", infra=False, infra_command=("a", "b"), share=("net",), labels={"a": "b"})
    assert {s.label for s in pod_settings(pod)} == {"--infra", "--infra-command", "--share", "--label"}


# The JSON names of libpod's inspect records, copied once from podman's own structs
# (libpod/define/container_inspect.go and pod_inspect.go): the fields of podman 4.3.1
# (this host's) followed by those podman 5.4.2 added.
PODMAN_CONTAINER_FIELDS = {
    "": """Id Created Path Args State Image ImageDigest ImageName Rootfs Pod ResolvConfPath HostnamePath
        HostsPath StaticDir OCIConfigPath OCIRuntime ConmonPidFile PidFile Name RestartCount Driver MountLabel
        ProcessLabel AppArmorProfile EffectiveCaps BoundingCaps ExecIDs GraphDriver SizeRw SizeRootFs Mounts
        Dependencies NetworkSettings Namespace IsInfra IsService Config HostConfig
        KubeExitCodePropagation lockNumber UseImageHosts UseImageHostname""",
    "Config": """Hostname Domainname User AttachStdin AttachStdout AttachStderr Tty OpenStdin StdinOnce Env Cmd
        Image Volumes WorkingDir Entrypoint OnBuild Labels Annotations StopSignal Healthcheck
        HealthcheckOnFailureAction CreateCommand Timezone SystemdMode Umask Secrets Timeout StopTimeout Passwd
        ChrootDirs sdNotifyMode sdNotifySocket
        StartupHealthCheck HealthLogDestination HealthcheckMaxLogCount HealthcheckMaxLogSize ExposedPorts""",
    "HostConfig": """Binds CgroupManager CgroupMode ContainerIDFile LogConfig NetworkMode PortBindings RestartPolicy
        AutoRemove VolumeDriver VolumesFrom CapAdd CapDrop Dns DnsOptions DnsSearch ExtraHosts GroupAdd IpcMode
        Cgroup Cgroups Links OomScoreAdj PidMode Privileged PublishAllPorts ReadonlyRootfs SecurityOpt Tmpfs
        UTSMode UsernsMode IDMappings ShmSize Runtime ConsoleSize Isolation CpuShares Memory NanoCpus
        CgroupParent BlkioWeight BlkioWeightDevice BlkioDeviceReadBps BlkioDeviceWriteBps BlkioDeviceReadIOps
        BlkioDeviceWriteIOps CpuPeriod CpuQuota CpuRealtimePeriod CpuRealtimeRuntime CpusetCpus CpusetMems
        Devices DiskQuota KernelMemory MemoryReservation MemorySwap MemorySwappiness OomKillDisable Init
        PidsLimit Ulimits CpuCount CpuPercent IOMaximumIOps IOMaximumBandwidth CgroupConf
        AutoRemoveImage Annotations HostsFile IntelRdtClosID""",
}
PODMAN_POD_FIELDS = """Id Name Namespace Created CreateCommand ExitPolicy State Hostname Labels CreateCgroup
    CgroupParent CgroupPath CreateInfra InfraContainerID InfraConfig SharedNamespaces NumContainers Containers
    cpu_period cpu_quota cpu_shares cpuset_cpus cpuset_mems mounts devices device_read_bps device_write_bps
    volumes_from security_opt memory_limit memory_swap blkio_weight blkio_weight_device
    RestartPolicy LockNumber"""
PODMAN_POD_INFRA_FIELDS = """PortBindings HostNetwork StaticIP StaticMAC NoManageResolvConf DNSServer DNSSearch
    DNSOption NoManageHosts HostAdd Networks NetworkOptions cpu_period cpu_quota cpuset_cpus pid_ns userns uts_ns
    NoManageHostname HostsFile"""


def _classified(mapped: set, not_settings: dict, uncarried: dict) -> set:
    assert not mapped & set(not_settings) and not mapped & set(uncarried) and not set(not_settings) & set(uncarried)
    assert all(not_settings.values()), "a field declared no setting without a reason"
    assert all(flag for flag, _default in uncarried.values()), "an uncarried setting without its flag"
    return mapped | set(not_settings) | set(uncarried)


@pytest.mark.parametrize("section", ["", "Config", "HostConfig"])
def test_every_container_inspect_field_of_podman_is_classified(section):
    classified = _classified(MAPPED_FIELDS[section], NOT_SETTINGS[section], UNCARRIED_SETTINGS[section])
    assert classified == set(PODMAN_CONTAINER_FIELDS[section].split()), (
        f"not classified: {set(PODMAN_CONTAINER_FIELDS[section].split()) - classified}; "
        f"not podman's: {classified - set(PODMAN_CONTAINER_FIELDS[section].split())}")


def test_every_pod_inspect_field_of_podman_is_classified():
    assert _classified(POD_MAPPED_FIELDS, POD_NOT_SETTINGS, POD_UNCARRIED_SETTINGS) == set(PODMAN_POD_FIELDS.split())
    assert _classified(POD_INFRA_MAPPED, POD_INFRA_NOT_SETTINGS, POD_INFRA_UNCARRIED) == set(
        PODMAN_POD_INFRA_FIELDS.split())


class _Seen(dict):
    """An inspect record that notes which of its keys a reader looks at."""

    def __init__(self, data: dict, seen: set, section: str = ""):
        super().__init__(data)
        self.seen, self.section = seen, section

    def get(self, key, default=None):
        self.seen.add((self.section, key))
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add((self.section, key))
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add((self.section, key))
        return super().__contains__(key)


def _container_record(privileged: bool, with_command: bool) -> dict:
    """A record with every field the reader maps holding a value it reads."""
    command = ["podman", "create", "--sysctl", "a=b", "--ipc", "host", "--userns", "keep-id", "--pull", "always",
               "--secret", "s", "--unsetenv", "X", "--network", "net1:ip=10.0.0.9", "localhost/img:1", "sleep", "1"]
    config = {"Hostname": "h", "User": "u", "Tty": True, "OpenStdin": True, "Env": ["A=1"], "Cmd": ["sleep", "1"],
              "Image": "localhost/img:1", "WorkingDir": "/w", "Entrypoint": ["/e"], "Labels": {"l": "v"},
              "Annotations": {"a": "v"}, "StopSignal": 9, "StopTimeout": 5, "HealthcheckOnFailureAction": "kill",
              "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1, "Timeout": 2, "Retries": 3},
              "Timezone": "UTC", "Umask": "0077", "Secrets": [{"Name": "s", "UID": 1}], "SystemdMode": True,
              **({"CreateCommand": command} if with_command else {})}
    host = {"CgroupMode": "host", "LogConfig": {"Type": "k8s-file", "Config": {"a": "b"}, "Tag": "t", "Size": "1MB"},
            "NetworkMode": "bridge", "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}, "CapAdd": ["CAP_X"], "CapDrop": ["CAP_Y"],
            "Dns": ["10.0.0.1"], "DnsOptions": ["ndots:1"], "DnsSearch": ["x"], "ExtraHosts": ["a:10.0.0.2"],
            "GroupAdd": ["g"], "IpcMode": "shareable", "OomScoreAdj": 5, "PidMode": "host", "Privileged": privileged,
            "ReadonlyRootfs": True, "SecurityOpt": ["no-new-privileges"], "Tmpfs": {"/t": "rw,size=1k"},
            "UTSMode": "host", "UsernsMode": "keep-id", "ShmSize": 1024, "CpuShares": 512, "Memory": 10 ** 8,
            "NanoCpus": 10 ** 9, "CgroupParent": "/p", "BlkioWeight": 100, "CpuPeriod": 100_000,
            "CpuQuota": 0 if privileged else 50_000, "CpusetCpus": "0", "CpusetMems": "0",
            "Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse"}], "MemoryReservation": 1,
            "MemorySwap": 2, "MemorySwappiness": 10, "OomKillDisable": True, "Init": True, "PidsLimit": 100,
            "Ulimits": [{"Name": "RLIMIT_NOFILE", "Soft": 1, "Hard": 2}]}
    return {"Id": "a" * 64, "Name": "c", "ImageName": "localhost/img:1", "Pod": "", "StaticDir": "/s",
            "Mounts": [{"Type": "bind", "Source": "/a", "Destination": "/b", "Options": ["rbind"], "RW": True,
                        "Propagation": "rprivate"}],
            "NetworkSettings": {"Networks": {"net1": {"Aliases": ["x"]}}}, "Config": config, "HostConfig": host}


def test_the_reader_reads_the_mapped_fields_and_no_uncarried_one():
    """read_container() looks at every field MAPPED_FIELDS names, at no field the
    module declares uncarried, and at no field it has not classified."""
    seen: set = set()
    for privileged, with_command, image_name in ((False, True, True), (True, False, False)):
        record = _container_record(privileged, with_command)
        if not image_name:  # an older record: the image's name is then Config.Image
            record["ImageName"] = ""
        wrapped = _Seen({**record, "Config": _Seen(record["Config"], seen, "Config"),
                         "HostConfig": _Seen(record["HostConfig"], seen, "HostConfig")}, seen)
        read_container(wrapped, {"Config": {}})
    for section in ("", "Config", "HostConfig"):
        looked = {key for where, key in seen if where == section}
        assert MAPPED_FIELDS[section] <= looked, f"mapped but not read: {MAPPED_FIELDS[section] - looked}"
        assert not looked & set(UNCARRIED_SETTINGS[section]), f"read but declared uncarried: {section}"
        assert looked <= MAPPED_FIELDS[section] | set(NOT_SETTINGS[section]), (
            f"read but not classified as mapped: {looked - MAPPED_FIELDS[section] - set(NOT_SETTINGS[section])}")


def test_the_pod_reader_reads_the_mapped_fields_and_no_uncarried_one():
    seen: set = set()
    infra_config = {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, "HostNetwork": False,
                    "StaticIP": "10.0.0.3", "StaticMAC": "aa:bb:cc:dd:ee:ff", "DNSServer": ["10.0.0.1"],
                    "DNSSearch": ["x"], "DNSOption": ["ndots:1"], "NoManageHosts": True, "HostAdd": ["a:10.0.0.2"],
                    "Networks": ["net1"], "userns": "keep-id", "pid_ns": "host", "uts_ns": "host"}
    pod = {"Id": "b" * 64, "Name": "p", "Labels": {"l": "v"}, "Hostname": "h", "CgroupParent": "/p",
           "SharedNamespaces": ["net"], "InfraConfig": _Seen(infra_config, seen, "InfraConfig"),
           "Containers": [{"Id": "c" * 64, "Name": "m"}], "CreateInfra": True, "InfraContainerID": "d" * 64,
           "CreateCommand": ["podman", "pod", "create", "--ip", "10.0.0.3"]}
    read_pod(_Seen(pod, seen), {"ImageName": "localhost/pause:1", "Config": {"Entrypoint": ["/pause"]},
                                "Name": "p-infra"})
    looked = {key for where, key in seen if where == ""}
    infra_looked = {key for where, key in seen if where == "InfraConfig"}
    assert POD_MAPPED_FIELDS <= looked, POD_MAPPED_FIELDS - looked
    assert POD_INFRA_MAPPED <= infra_looked, POD_INFRA_MAPPED - infra_looked
    assert not looked & set(POD_UNCARRIED_SETTINGS) and not infra_looked & set(POD_INFRA_UNCARRIED)
    assert looked <= POD_MAPPED_FIELDS | set(POD_NOT_SETTINGS), looked - POD_MAPPED_FIELDS - set(POD_NOT_SETTINGS)
    assert infra_looked <= POD_INFRA_MAPPED | set(POD_INFRA_NOT_SETTINGS)


def test_podmans_state_fields_are_not_unknown_and_uncarried_settings_are():
    """What an ordinary running container shows (runtime paths, the notify socket of
    the unit that made it) is no setting; an uncarried setting away from its
    default, or a field no podman we know has, is named."""
    record = {"Id": "a" * 64, "Name": "c", "OCIConfigPath": "/var/lib/containers/x/config.json", "lockNumber": 3,
              "KubeExitCodePropagation": "invalid", "Rootfs": "",
              "Config": {"sdNotifySocket": "/run/systemd/notify", "sdNotifyMode": "container", "Passwd": True,
                         "Timeout": 0, "HealthLogDestination": "local", "HealthcheckMaxLogCount": 5,
                         "HealthcheckMaxLogSize": 500, "ExposedPorts": {"80/tcp": {}}},
              "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}, "Annotations": {"a": "b"},
                             "CgroupManager": "cgroupfs", "ConsoleSize": [0, 0], "IDMappings": None}}
    assert unknown_fields(record) == []
    record["Config"].update(Passwd=False, Timeout=300, ExposedPorts={"80/tcp": {}, "9000/tcp": {}})
    record["HostConfig"].update(IDMappings={"UidMap": ["0:1:2"]}, FutureSetting="x", FutureOff=0)
    assert unknown_fields(record) == ["unknown field Config.ExposedPorts", "unknown field Config.Passwd",
                                      "unknown field Config.Timeout", "unknown field HostConfig.FutureSetting",
                                      "unknown field HostConfig.IDMappings"]
    pod = {"Name": "p", "Id": "b" * 64, "LockNumber": 2, "RestartPolicy": "always",
           "InfraConfig": {"NoManageResolvConf": False, "NetworkOptions": None, "cpu_period": 100_000}}
    assert unknown_pod_fields(pod) == []
    pod.update(security_opt=["label=disable"], InfraConfig={"NetworkOptions": {"podman": ["alias=a"]}})
    assert unknown_pod_fields(pod) == ["unknown field InfraConfig.NetworkOptions", "unknown field security_opt"]
