"""Every field of a ContainerSpec / PodSpec as podman arguments, and as a Quadlet key
where Quadlet (the 5.4 generator this host provides) has one whose podman flag the
host's podman (4.3) accepts.  Both generators (quadlet.py, classic.py) write what
container_settings() / pod_settings() return, so a field is written the same way by
both; a field missing here fails tests/unit/test_units_spec_drift.py.

uncarried(spec, format) -> list[Uncarried] names, before anything is written, what
the chosen format does not carry as a key of its own:
  kind "podman-args" -- written, but as Quadlet PodmanArgs= (no key for it)
  kind "refused"     -- the format cannot carry it at all (the generator refuses)
  kind "unreadable"  -- flags podman 4.3's inspect does not show (--sysctl, --ip, ...)
                        of a container without a stored create command (API-created)
  kind "unknown"     -- an inspect field holding a setting Podhouse does not carry
                        (spec.unknown, with its flag where known): enabling is
                        refused unless the user confirms (dashboard/flows/services.py)
str(item) is the sentence for the page, e.g.
  "--device /dev/fuse: not carried by Quadlet 5.4 keys, written as PodmanArgs".
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

from engine.podman.container_spec import unknown_flag
from engine.units.escaping import quadlet_obstacles
from engine.units.spec import ContainerSpec, PodSpec

QUADLET_VERSION = "5.4"


@dataclass(frozen=True)
class Setting:
    """One value of one field as podman arguments, plus Quadlet's key for it.

    `quadlet_words` is True for Quadlet keys that split their value into words
    (Environment=, Label=, Annotation=): the value is written escaped as one word.
    Other keys take the raw rest of the line, so they get only plain values (the
    generator falls back to PodmanArgs= for the others)."""

    args: tuple[str, ...]
    quadlet_key: str = ""
    quadlet_value: str = ""
    quadlet_words: bool = False
    label: str = ""


@dataclass(frozen=True)
class Uncarried:
    label: str
    value: str
    reason: str
    kind: str  # "podman-args", "refused" or "unknown"

    def __str__(self) -> str:
        return f"{self.label} {self.value}: {self.reason}".replace(" : ", ": ") if self.value else \
            f"{self.label}: {self.reason}"


# A Quadlet value written as it is (anything else is escaped or goes to PodmanArgs=).
PLAIN_VALUE = re.compile(r"[A-Za-z0-9_@+=:,./-]+")


def carried_by_key(setting: Setting, pod: bool = False) -> bool:
    """Whether the Quadlet generator writes the setting as its own key (else PodmanArgs=)."""
    if not setting.quadlet_key:
        return False
    return setting.quadlet_words or bool(PLAIN_VALUE.fullmatch(setting.quadlet_value))


def _flag(name: str, value) -> tuple[str, ...]:
    # One word per flag: it can never be empty or a lone ';' (see escaping.quadlet_obstacles).
    return (f"--{name}={value}",)


def _each(flag: str, key: str = "", words: bool = False):
    """A field holding several values: one --flag=value (and one Key=value) each."""
    def render(values) -> list[Setting]:
        return [Setting(_flag(flag, v), key, str(v), words, f"--{flag}") for v in values]
    return render


def _pairs(flag: str, key: str = "", words: bool = True):
    def render(values: dict) -> list[Setting]:
        return [Setting((f"--{flag}", f"{k}={v}"), key, f"{k}={v}", words, f"--{flag}") for k, v in values.items()]
    return render


def _one(flag: str, key: str = "", text=str):
    """A field with one value; its default writes nothing."""
    def render(value) -> list[Setting]:
        return [Setting(_flag(flag, text(value)), key, text(value), False, f"--{flag}")]
    return render


def _switch(flag: str, key: str = "", on: bool = True):
    """A boolean field: written when it differs from podman's default."""
    def render(value: bool) -> list[Setting]:
        word = "true" if value else "false"
        return [Setting(_flag(flag, word), key, word, False, f"--{flag}")]
    return render


def _duration(nanoseconds: int) -> str:
    """A Go duration podman's --health-* flags read back exactly."""
    if nanoseconds % 1_000_000_000 == 0:
        return f"{nanoseconds // 1_000_000_000}s"
    if nanoseconds % 1_000_000 == 0:
        return f"{nanoseconds // 1_000_000}ms"
    return f"{nanoseconds}ns"


def _user(value: str) -> list[Setting]:
    # Quadlet's User= takes no group: a user:group goes through PodmanArgs=.
    return [Setting(_flag("user", value), "User" if ":" not in value else "", value, False, "--user")]


_SECURITY_KEYS = {"no-new-privileges": ("NoNewPrivileges", "true"), "label=disable": ("SecurityLabelDisable", "true")}
_SECURITY_PREFIXES = {"seccomp=": "SeccompProfile", "mask=": "Mask", "unmask=": "Unmask",
                      "label=type:": "SecurityLabelType", "label=level:": "SecurityLabelLevel",
                      "label=filetype:": "SecurityLabelFileType"}


def _security(values) -> list[Setting]:
    settings = []
    for value in values:
        key, key_value = _SECURITY_KEYS.get(value, ("", ""))
        for prefix, prefixed_key in _SECURITY_PREFIXES.items():
            if not key and value.startswith(prefix):
                key, key_value = prefixed_key, value[len(prefix):]
        settings.append(Setting(_flag("security-opt", value), key, key_value, False, "--security-opt"))
    return settings


def _tmpfs(values: dict) -> list[Setting]:
    return [Setting(_flag("tmpfs", f"{p}:{o}" if o else p), "Tmpfs", f"{p}:{o}" if o else p, False, "--tmpfs")
            for p, o in values.items()]


def _health(flag: str, key: str):
    return _one(flag, key, _duration)


# field -> renderer of its (non-default) value.  The generators write these fields
# themselves: identity, the image and argv, and what the unit decides.
WRITTEN_BY_GENERATOR = {"name": "ContainerName= / --name", "pod": "Pod= / --pod-id-file",
                        "restart_policy": "systemd's Restart=", "restart_retries": "systemd's Restart=",
                        "created_by_systemd": "the unit sets PODMAN_SYSTEMD_UNIT", "image": "Image= / the image word",
                        "entrypoint": "--entrypoint (PodmanArgs=)", "command": "Exec= / the argv after the image",
                        "unknown": "not a setting: named by uncarried()",
                        "unreadable": "not a setting: named by uncarried()"}
CONTAINER_ARGUMENTS: dict[str, Callable] = {
    "env": _pairs("env", "Environment"),
    "unsetenv": _each("unsetenv"),
    "labels": _pairs("label", "Label"),
    "annotations": _pairs("annotation", "Annotation"),
    "user": _user,
    "workdir": _one("workdir", "WorkingDir"),
    "group_add": _each("group-add", "GroupAdd"),
    "systemd": _one("systemd"),
    "init": _switch("init", "RunInit"),
    "tty": _switch("tty"),
    "interactive": _switch("interactive"),
    "timezone": _one("tz", "Timezone"),
    "umask": _one("umask"),
    "stop_signal": _one("stop-signal", "StopSignal"),
    "stop_timeout": _one("stop-timeout", "StopTimeout"),
    "pull": _one("pull", "Pull"),
    "network": _one("network", "Network"),
    "networks": _each("network", "Network"),
    "publish": _each("publish", "PublishPort"),
    "hostname": _one("hostname", "HostName"),
    "add_hosts": _each("add-host", "AddHost"),
    "dns": _each("dns", "DNS"),
    "dns_search": _each("dns-search", "DNSSearch"),
    "dns_options": _each("dns-option", "DNSOption"),
    "volumes": _each("volume", "Volume"),
    "mounts": _each("mount", "Mount"),
    "tmpfs": _tmpfs,
    "read_only": _switch("read-only", "ReadOnly"),
    "read_only_tmpfs": _switch("read-only-tmpfs", "ReadOnlyTmpfs"),
    "secrets": _each("secret", "Secret"),
    "shm_size": _one("shm-size", "ShmSize"),
    "privileged": _switch("privileged"),
    "cap_add": _each("cap-add", "AddCapability"),
    "cap_drop": _each("cap-drop", "DropCapability"),
    "security_opt": _security,
    "devices": _each("device", "AddDevice"),
    "sysctls": _pairs("sysctl", "Sysctl", words=False),
    "ulimits": _each("ulimit", "Ulimit"),
    "pid": _one("pid"),
    "ipc": _one("ipc"),
    "uts": _one("uts"),
    "cgroupns": _one("cgroupns"),
    "userns": _one("userns", "UserNS"),
    "memory": _one("memory"),               # Quadlet 5.4 has no Memory= key
    "memory_swap": _one("memory-swap"),
    "memory_reservation": _one("memory-reservation"),
    "memory_swappiness": _one("memory-swappiness"),
    "oom_kill_disable": _switch("oom-kill-disable"),
    "oom_score_adj": _one("oom-score-adj"),
    "cpu_quota": _one("cpu-quota"),
    "cpu_period": _one("cpu-period"),
    "cpu_shares": _one("cpu-shares"),
    "cpuset_cpus": _one("cpuset-cpus"),
    "cpuset_mems": _one("cpuset-mems"),
    "blkio_weight": _one("blkio-weight"),
    "pids_limit": _one("pids-limit", "PidsLimit"),
    "cgroup_parent": _one("cgroup-parent"),
    "health_cmd": _one("health-cmd", "HealthCmd"),
    "health_interval": _health("health-interval", "HealthInterval"),
    "health_timeout": _health("health-timeout", "HealthTimeout"),
    "health_retries": _one("health-retries", "HealthRetries"),
    "health_start_period": _health("health-start-period", "HealthStartPeriod"),
    "health_on_failure": _one("health-on-failure", "HealthOnFailure"),
    "log_driver": _one("log-driver", "LogDriver"),
    "log_opts": _each("log-opt", "LogOpt"),
}

POD_WRITTEN_BY_GENERATOR = {"name": "PodName= / --name", "members": "one unit per member",
                            "created_by_systemd": "the unit sets PODMAN_SYSTEMD_UNIT",
                            "unknown": "not a setting: named by uncarried()"}
POD_ARGUMENTS: dict[str, Callable] = {
    "infra": _switch("infra"),
    "infra_image": _one("infra-image"),
    "infra_command": lambda words: [Setting(_flag("infra-command", json.dumps(list(words)) if len(words) > 1
                                                  else words[0]), label="--infra-command")],
    "infra_name": _one("infra-name"),
    "share": lambda values: [Setting(_flag("share", ",".join(values) or "none"), label="--share")],
    "labels": _pairs("label", words=False),     # Quadlet 5.4's [Pod] has no Label=
    "network": _each("network", "Network"),
    "publish": _each("publish", "PublishPort"),
    "hostname": _one("hostname"),
    "ip": _one("ip", "IP"),
    "mac": _one("mac-address"),
    "add_hosts": _each("add-host", "AddHost"),
    "dns": _each("dns", "DNS"),
    "dns_search": _each("dns-search", "DNSSearch"),
    "dns_options": _each("dns-option", "DNSOption"),
    "no_hosts": _switch("no-hosts"),
    "userns": _one("userns", "UserNS"),
    "pid": _one("pid"),
    "uts": _one("uts"),
    "cgroup_parent": _one("cgroup-parent"),
}


def _is_default(spec, field_name: str) -> bool:
    from dataclasses import MISSING, fields
    f = next(f for f in fields(type(spec)) if f.name == field_name)
    default = f.default_factory() if f.default is MISSING else f.default
    return getattr(spec, field_name) == default


def _settings(spec, table: dict[str, Callable]) -> list[Setting]:
    settings = []
    for name, render in table.items():
        if not _is_default(spec, name):
            settings += render(getattr(spec, name))
    return settings


def container_settings(spec: ContainerSpec) -> list[Setting]:
    """Every non-default field of `spec`, in a fixed order (the table's)."""
    return _settings(spec, CONTAINER_ARGUMENTS)


def pod_settings(pod: PodSpec) -> list[Setting]:
    return _settings(pod, POD_ARGUMENTS)


def _shown(setting: Setting) -> str:
    word = setting.args[-1]
    return word.partition("=")[2] if word.startswith("--") else word


def uncarried(spec: ContainerSpec | PodSpec, fmt: str) -> list[Uncarried]:
    """What `fmt` ("quadlet" or "classic") does not carry as a key of its own, and the
    inspect fields Podhouse does not know (see the module's docstring)."""
    items: list[Uncarried] = []
    is_pod = isinstance(spec, PodSpec)
    if fmt == "quadlet":
        settings = pod_settings(spec) if is_pod else container_settings(spec)
        reason = f"not carried by Quadlet {QUADLET_VERSION} keys, written as PodmanArgs"
        items += [Uncarried(s.label, _shown(s), reason, "podman-args") for s in settings if not carried_by_key(s, is_pod)]
        if is_pod and not spec.infra:
            items.append(Uncarried("--infra", "false", "Quadlet's pod service follows the infra container: "
                                   "not carried by Quadlet, classic units are used", "refused"))
        if not is_pod:
            if spec.entrypoint is not None:
                items.append(Uncarried("--entrypoint", json.dumps(list(spec.entrypoint)), reason, "podman-args"))
            obstacles = quadlet_obstacles(list(spec.command or []))
            if obstacles:
                items.append(Uncarried("command", "", "has " + " and ".join(obstacles)
                                       + ": not carried by Quadlet, classic units are used", "refused"))
    if getattr(spec, "unreadable", ()):
        items.append(Uncarried(", ".join(spec.unreadable), "", "podman 4.3's inspect does not show these and the "
                               "container has no stored create command (made through the API): any it was given "
                               "are not carried", "unreadable"))
    for field_name in spec.unknown:
        flag = unknown_flag(field_name)
        items.append(Uncarried(f"{field_name} ({flag})" if flag else field_name, "",
                               "Podhouse does not carry it, so the service's container would not have it",
                               "unknown"))
    return items
