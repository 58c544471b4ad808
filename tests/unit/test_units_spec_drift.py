"""The lists that must stay complete: every spec field has a label, a generator
mapping and a fidelity case; every flag of `podman create` / `podman pod create`
is carried or declared not applicable with a reason."""
from dataclasses import fields

import pytest

from engine.podman.container_spec import MAPPED_FIELDS, NOT_SETTINGS, POD_INFRA_MAPPED, POD_MAPPED_FIELDS, \
    POD_NOT_SETTINGS, read_container, read_pod
from engine.units.arguments import CONTAINER_ARGUMENTS, POD_ARGUMENTS, POD_WRITTEN_BY_GENERATOR, \
    WRITTEN_BY_GENERATOR, Setting, container_settings, pod_settings, uncarried
from engine.units.spec import ContainerSpec, PodSpec, compared_fields, differences
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
    # a flag declared "unknown" must really be reported by unknown_fields(), not swallowed
    for flag, (status, detail) in flags.items():
        if status != "unknown":
            continue
        if spec_class is ContainerSpec:
            section, _, key = detail.rpartition(".")
            assert key not in MAPPED_FIELDS[section] and key not in NOT_SETTINGS[section], flag
        else:
            key = detail.rpartition(".")[2]
            assert key not in POD_MAPPED_FIELDS | POD_INFRA_MAPPED and key not in POD_NOT_SETTINGS, flag


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
    assert "unknown field HostConfig.CpuRealtimeRuntime: Podhouse does not carry it: refusing unless confirmed" in words
    assert {u.kind for u in uncarried(spec, "classic")} == {"unknown"}
    spec.devices, spec.tty = ("/dev/fuse",), True
    assert "--tty true: not carried by Quadlet 5.4 keys, written as PodmanArgs" in [str(u) for u in uncarried(spec, "quadlet")]
    api_made = read_container({**record, "Config": {"Cmd": ["sh"]}}, {"Config": {}})
    assert [u.kind for u in uncarried(api_made, "classic")][0] == "unreadable"
    pod = read_pod({"Name": "p", "CreateInfra": False, "Labels": {"a": "b"}, "MemoryLimit": 5})
    assert pod.unknown == ("unknown field MemoryLimit",)
    assert {u.kind for u in uncarried(pod, "quadlet")} == {"podman-args", "refused", "unknown"}


def test_differences_name_the_field_by_its_flag():
    a, b = ContainerSpec(name="x", cap_drop=("CAP_CHOWN",)), ContainerSpec(name="x-shadow")
    assert [str(d) for d in differences(a, b)] == ["--cap-drop: ('CAP_CHOWN',) -> (default)"]
    assert differences(a, ContainerSpec(name="other", cap_drop=("CAP_CHOWN",))) == []


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
