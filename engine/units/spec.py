"""What a container or pod is: every setting `podman create` / `podman pod create`
can give it and inspect shows, as one field each, normalised so that two containers
made from the same arguments have equal specs.

The one reader of inspect data that fills these is engine/podman/container_spec.py
(`read_container`, `read_pod`); the generators (engine/units/arguments.py, quadlet.py,
classic.py) write every field back as podman arguments or Quadlet keys.

Comparing two specs (the original and a shadow made from a unit's arguments) is
engine/units/verify.compare_specs(); `compared_fields(ContainerSpec)` (or PodSpec)
lists the fields it covers.
Each field's metadata holds:
  label    -- what a person recognises: the podman flag ("--cap-add") or "image"/"command"
  compare  -- False for identity and for what the unit itself decides (name, pod,
              restart policy, the PODMAN_SYSTEMD_UNIT label) and for `unknown` (the
              inspect fields Podhouse does not map): not part of a comparison
Values are normalised: lists whose order does not matter are sorted tuples, sizes in
bytes, durations in nanoseconds, signals as numbers, and a field equal to podman's own
default holds the dataclass default ("" / None / () / {} / False).
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any


class SpecError(ValueError):
    """The inspect data cannot be turned into a unit (a clear message for the page)."""


def setting(label: str, default: Any = None, *, factory=None, compare: bool = True):
    metadata = {"label": label, "compare": compare}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ContainerSpec:
    # identity and what the unit decides: not compared
    name: str = setting("--name", "", compare=False)
    pod: str = setting("--pod", "", compare=False)
    restart_policy: str = setting("--restart", "", compare=False)   # systemd takes it over
    restart_retries: int = setting("--restart (retries)", 0, compare=False)
    created_by_systemd: str = setting("PODMAN_SYSTEMD_UNIT", "", compare=False)
    unknown: tuple[str, ...] = setting("unknown inspect fields", (), compare=False)  # "unknown field HostConfig.X"
    # flags inspect does not show, unreadable without a stored create command (API-created)
    unreadable: tuple[str, ...] = setting("settings inspect does not show", (), compare=False)

    image: str = setting("image", "")
    entrypoint: tuple[str, ...] | None = setting("--entrypoint")    # None: the image's
    command: tuple[str, ...] | None = setting("command")            # None: the image's
    env: dict[str, str] = setting("--env", factory=dict)
    unsetenv: tuple[str, ...] = setting("--unsetenv", ())            # the image's variables taken away
    labels: dict[str, str] = setting("--label", factory=dict)
    annotations: dict[str, str] = setting("--annotation", factory=dict)
    user: str = setting("--user", "")
    workdir: str = setting("--workdir", "")
    group_add: tuple[str, ...] = setting("--group-add", ())
    systemd: str = setting("--systemd", "")                         # "", "always" or "false"
    init: bool = setting("--init", False)
    tty: bool = setting("--tty", False)
    interactive: bool = setting("--interactive", False)
    timezone: str = setting("--tz", "")
    umask: str = setting("--umask", "")
    stop_signal: int | None = setting("--stop-signal")
    stop_timeout: int | None = setting("--stop-timeout")
    pull: str = setting("--pull", "")

    # network
    network: str = setting("--network", "")                         # a mode: host, none, container:X, ns:P, slirp4netns
    networks: tuple[str, ...] = setting("--network (named)", ())    # "NAME[:alias=A,ip=I,mac=M]"
    publish: tuple[str, ...] = setting("--publish", ())
    hostname: str = setting("--hostname", "")
    add_hosts: tuple[str, ...] = setting("--add-host", ())
    dns: tuple[str, ...] = setting("--dns", ())
    dns_search: tuple[str, ...] = setting("--dns-search", ())
    dns_options: tuple[str, ...] = setting("--dns-option", ())

    # storage
    volumes: tuple[str, ...] = setting("--volume", ())              # SOURCE:DEST[:OPTIONS]
    mounts: tuple[str, ...] = setting("--mount", ())                # type=image / devpts / ...
    tmpfs: dict[str, str] = setting("--tmpfs", factory=dict)        # path -> options
    read_only: bool = setting("--read-only", False)
    read_only_tmpfs: bool = setting("--read-only-tmpfs", True)
    secrets: tuple[str, ...] = setting("--secret", ())
    shm_size: int | None = setting("--shm-size")                    # bytes

    # security
    privileged: bool = setting("--privileged", False)
    cap_add: tuple[str, ...] = setting("--cap-add", ())
    cap_drop: tuple[str, ...] = setting("--cap-drop", ())
    security_opt: tuple[str, ...] = setting("--security-opt", ())   # seccomp=, apparmor=, label=, no-new-privileges
    devices: tuple[str, ...] = setting("--device", ())
    sysctls: dict[str, str] = setting("--sysctl", factory=dict)
    ulimits: tuple[str, ...] = setting("--ulimit", ())

    # namespaces
    pid: str = setting("--pid", "")
    ipc: str = setting("--ipc", "")
    uts: str = setting("--uts", "")
    cgroupns: str = setting("--cgroupns", "")
    userns: str = setting("--userns", "")

    # resources
    memory: int = setting("--memory", 0)
    memory_swap: int = setting("--memory-swap", 0)
    memory_reservation: int = setting("--memory-reservation", 0)
    memory_swappiness: int | None = setting("--memory-swappiness")
    oom_kill_disable: bool = setting("--oom-kill-disable", False)
    oom_score_adj: int = setting("--oom-score-adj", 0)
    cpu_quota: int = setting("--cpu-quota", 0)
    cpu_period: int = setting("--cpu-period", 0)
    cpu_shares: int = setting("--cpu-shares", 0)
    cpuset_cpus: str = setting("--cpuset-cpus", "")
    cpuset_mems: str = setting("--cpuset-mems", "")
    blkio_weight: int = setting("--blkio-weight", 0)
    pids_limit: int | None = setting("--pids-limit")
    cgroup_parent: str = setting("--cgroup-parent", "")

    # health
    health_cmd: str = setting("--health-cmd", "")
    health_interval: int = setting("--health-interval", 0)          # nanoseconds
    health_timeout: int = setting("--health-timeout", 0)
    health_retries: int = setting("--health-retries", 0)
    health_start_period: int = setting("--health-start-period", 0)
    health_on_failure: str = setting("--health-on-failure", "")

    # logs
    log_driver: str = setting("--log-driver", "")
    log_opts: tuple[str, ...] = setting("--log-opt", ())

    @property
    def health_check(self) -> bool:
        return bool(self.health_cmd)


@dataclass
class PodSpec:
    name: str = setting("--name", "", compare=False)
    members: list[str] = setting("members", factory=list, compare=False)
    created_by_systemd: str = setting("PODMAN_SYSTEMD_UNIT", "", compare=False)
    unknown: tuple[str, ...] = setting("unknown inspect fields", (), compare=False)

    infra: bool = setting("--infra", True)
    infra_image: str = setting("--infra-image", "")
    infra_command: tuple[str, ...] | None = setting("--infra-command")
    infra_name: str = setting("--infra-name", "")
    share: tuple[str, ...] | None = setting("--share")              # None: podman's default
    labels: dict[str, str] = setting("--label", factory=dict)
    network: tuple[str, ...] = setting("--network", ())
    publish: tuple[str, ...] = setting("--publish", ())
    hostname: str = setting("--hostname", "")
    ip: str = setting("--ip", "")
    mac: str = setting("--mac-address", "")
    add_hosts: tuple[str, ...] = setting("--add-host", ())
    dns: tuple[str, ...] = setting("--dns", ())
    dns_search: tuple[str, ...] = setting("--dns-search", ())
    dns_options: tuple[str, ...] = setting("--dns-option", ())
    no_hosts: bool = setting("--no-hosts", False)
    userns: str = setting("--userns", "")
    pid: str = setting("--pid", "")
    uts: str = setting("--uts", "")
    cgroup_parent: str = setting("--cgroup-parent", "")


def label(spec_class, name: str) -> str:
    return next(f.metadata["label"] for f in fields(spec_class) if f.name == name)


def compared_fields(spec_class) -> list:
    """The dataclasses.Field objects a comparison covers, in declaration order."""
    return [f for f in fields(spec_class) if f.metadata.get("compare", True)]


def default_of(f) -> Any:
    return f.default_factory() if f.default is MISSING else f.default
