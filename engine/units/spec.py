"""What a container (or pod) is, read from podman's inspect data alone.

Containers created through the REST API have no stored create command, so Podhouse
rebuilds the `podman run` arguments from the inspect data of the container and of
its image: each field is kept only where it differs from what podman would do by
itself with that image, so that the container systemd starts is the same container.

Each field becomes one Setting: the podman arguments (for classic units and for
Quadlet's PodmanArgs=) and, where Quadlet has a key for it, that key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

# What podman adds to every container's environment by itself.
PODMAN_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PODMAN_ADDED_ENV = {"container": "podman", "TERM": "xterm"}
# Labels podman or systemd put on a container: never copied into a unit.
RUNTIME_LABELS = {"PODMAN_SYSTEMD_UNIT"}
# Mount and tmpfs options podman adds by itself.
BIND_DEFAULT_OPTIONS = {"rbind"}
VOLUME_DEFAULT_OPTIONS = {"nosuid", "nodev", "rbind"}
TMPFS_DEFAULT_OPTIONS = {"rprivate", "nosuid", "nodev", "tmpcopyup"}
DEFAULT_STOP_SIGNAL = 15
DEFAULT_STOP_TIMEOUT = 10
# Networks podman picks when none is asked for.
DEFAULT_NETWORK_MODES = {"", "default", "bridge", "slirp4netns", "private"}


class SpecError(ValueError):
    """The inspect data cannot be turned into a unit (a clear message for the page)."""


@dataclass(frozen=True)
class Setting:
    """One field of the container as podman arguments, plus Quadlet's key for it.

    `quadlet_words` is True for Quadlet keys that split their value into words
    (Environment=, Label=): the value is written escaped as one word.  Other keys
    take the raw rest of the line, so they are used only for plain values."""

    args: tuple[str, ...]
    quadlet_key: str = ""
    quadlet_value: str = ""
    quadlet_words: bool = False


@dataclass
class ContainerSpec:
    name: str
    image: str
    entrypoint: list[str] | None = None  # None: the image's
    command: list[str] | None = None     # None: the image's
    settings: list[Setting] = field(default_factory=list)
    pod: str = ""                        # pod name when the container is a member
    restart_policy: str = ""             # podman's policy; systemd takes it over
    restart_retries: int = 0
    created_by_systemd: str = ""         # PODMAN_SYSTEMD_UNIT label: the unit that runs it
    health_check: bool = False


@dataclass
class PodSpec:
    name: str
    members: list[str]
    settings: list[Setting] = field(default_factory=list)
    created_by_systemd: str = ""


def _split_env(entries) -> dict[str, str]:
    env = {}
    for entry in entries or []:
        key, _, value = entry.partition("=")
        env[key] = value
    return env


def _podman_home(value: str, user: str) -> bool:
    """podman sets HOME at first start from the user's passwd entry (or "/"): a
    container that has run shows it although nobody asked for it."""
    return value == "/" or (value == "/root" and user.partition(":")[0] in ("", "root", "0"))


def _duration(nanoseconds: int) -> str:
    """A Go duration podman's --health-* flags read back exactly."""
    if nanoseconds % 1_000_000_000 == 0:
        return f"{nanoseconds // 1_000_000_000}s"
    if nanoseconds % 1_000_000 == 0:
        return f"{nanoseconds // 1_000_000}ms"
    return f"{nanoseconds}ns"


def _entrypoint_and_command(container: dict) -> tuple[list[str], list[str]]:
    """libpod 4.x reports Config.Entrypoint as one space-joined string, which loses
    word boundaries; Path + Args is the exact argv (entrypoint + command)."""
    config = container.get("Config") or {}
    command = list(config.get("Cmd") or [])
    entry = config.get("Entrypoint")
    if isinstance(entry, list):
        return list(entry), command
    argv = ([container["Path"]] if container.get("Path") else []) + list(container.get("Args") or [])
    if command and argv[len(argv) - len(command):] == command:
        return argv[:len(argv) - len(command)], command
    if not entry:
        return [], command
    return argv, []


def _image_healthcheck(image: dict) -> dict | None:
    return (image.get("Config") or {}).get("Healthcheck") or image.get("HealthCheck") or None


def _flag(name: str, value: str) -> tuple[str, ...]:
    # One word per flag: it can never be empty or a lone ';' (see escaping.quadlet_obstacles).
    return (f"--{name}={value}",)


def _port_settings(port_bindings: dict | None) -> list[Setting]:
    settings = []
    for port, bindings in sorted((port_bindings or {}).items()):
        for binding in bindings or []:
            host_ip, host_port = binding.get("HostIp") or "", binding.get("HostPort") or ""
            value = f"{host_ip}:{host_port}:{port}" if host_ip else (f"{host_port}:{port}" if host_port else port)
            settings.append(Setting(_flag("publish", value), "PublishPort", value))
    return settings


def container_spec(container: dict, image: dict, pod_name: str = "") -> ContainerSpec:
    """Build the spec of `container` (libpod inspect) against its `image` (libpod inspect)."""
    config = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    image_config = image.get("Config") or {}
    name = container.get("Name") or ""
    image_ref = container.get("ImageName") or config.get("Image") or container.get("Image") or ""
    if not name or not image_ref:
        raise SpecError("the inspect data has no container name or image")
    labels = config.get("Labels") or {}
    spec = ContainerSpec(name=name, image=image_ref, pod=pod_name,
                         created_by_systemd=labels.get("PODMAN_SYSTEMD_UNIT", ""))
    add = spec.settings.append

    # Entrypoint and command: only where they differ from the image's.  Setting an
    # entrypoint makes podman drop the image's command, so the command goes with it.
    entrypoint, command = _entrypoint_and_command(container)
    image_entrypoint = list(image_config.get("Entrypoint") or [])
    image_command = list(image_config.get("Cmd") or [])
    if entrypoint != image_entrypoint:
        spec.entrypoint = entrypoint
        spec.command = command
    elif command != image_command:
        spec.command = command

    # Environment: what differs from the image and from what podman adds itself.
    image_env = _split_env(image_config.get("Env"))
    for key, value in _split_env(config.get("Env")).items():
        if image_env.get(key) == value or PODMAN_ADDED_ENV.get(key) == value:
            continue
        if key == "PATH" and value == PODMAN_DEFAULT_PATH and "PATH" not in image_env:
            continue
        if key == "HOSTNAME" and value == config.get("Hostname"):
            continue
        if key == "HOME" and "HOME" not in image_env and _podman_home(value, config.get("User") or ""):
            continue
        add(Setting(("--env", f"{key}={value}"), "Environment", f"{key}={value}", True))

    image_labels = image_config.get("Labels") or {}
    for key, value in sorted(labels.items()):
        if key in RUNTIME_LABELS or image_labels.get(key) == value:
            continue
        add(Setting(("--label", f"{key}={value}"), "Label", f"{key}={value}", True))

    if not pod_name:  # a pod member shares the pod's network, ports and hostname
        spec.settings += _port_settings(host.get("PortBindings"))
        network = host.get("NetworkMode") or ""
        if network not in DEFAULT_NETWORK_MODES:
            add(Setting(_flag("network", network), "Network", network))
        hostname = config.get("Hostname") or ""
        if hostname and hostname != (container.get("Id") or "")[:12]:
            add(Setting(_flag("hostname", hostname), "HostName", hostname))

    for mount in container.get("Mounts") or []:
        kind = mount.get("Type")
        if kind not in ("bind", "volume"):
            continue
        source = mount.get("Source") if kind == "bind" else mount.get("Name")
        defaults = BIND_DEFAULT_OPTIONS if kind == "bind" else VOLUME_DEFAULT_OPTIONS
        options = [] if mount.get("RW", True) else ["ro"]
        options += [o for o in mount.get("Options") or [] if o not in defaults]
        if mount.get("Propagation") not in ("", "rprivate", None):
            options.append(mount["Propagation"])
        value = f"{source}:{mount['Destination']}" + (":" + ",".join(options) if options else "")
        add(Setting(_flag("volume", value), "Volume", value))
    for path, raw in sorted((host.get("Tmpfs") or {}).items()):
        options = ",".join(o for o in raw.split(",") if o and o not in TMPFS_DEFAULT_OPTIONS)
        value = f"{path}:{options}" if options else path
        add(Setting(_flag("tmpfs", value), "Tmpfs", value))

    user = config.get("User") or ""
    if user and user != (image_config.get("User") or ""):
        add(Setting(_flag("user", user), "User", user) if ":" not in user else Setting(_flag("user", user)))
    workdir = config.get("WorkingDir") or ""
    if workdir and workdir != (image_config.get("WorkingDir") or "/"):
        add(Setting(_flag("workdir", workdir), "WorkingDir", workdir))

    health = config.get("Healthcheck") or None
    if health and health.get("Test") and health != _image_healthcheck(image):
        spec.health_check = True
        test = list(health["Test"])
        if test[0] == "CMD-SHELL":
            command_value = " ".join(test[1:])
        elif test[0] == "CMD":
            command_value = json.dumps(test[1:])
        elif test[0] == "NONE":
            command_value = "none"
        else:
            command_value = json.dumps(test)
        add(Setting(_flag("health-cmd", command_value), "HealthCmd", command_value))
        for key, flag, quadlet in (("Interval", "health-interval", "HealthInterval"),
                                   ("Timeout", "health-timeout", "HealthTimeout"),
                                   ("StartPeriod", "health-start-period", "HealthStartPeriod")):
            if health.get(key):
                add(Setting(_flag(flag, _duration(health[key])), quadlet, _duration(health[key])))
        if health.get("Retries"):
            add(Setting(_flag("health-retries", str(health["Retries"])), "HealthRetries", str(health["Retries"])))
    action = config.get("HealthcheckOnFailureAction") or "none"
    if action != "none":
        add(Setting(_flag("health-on-failure", action), "HealthOnFailure", action))

    memory = host.get("Memory") or 0
    if memory:
        add(Setting(_flag("memory", str(memory))))
        swap = host.get("MemorySwap") or 0
        if swap and swap != 2 * memory:
            add(Setting(_flag("memory-swap", str(swap))))
    if host.get("MemoryReservation"):
        add(Setting(_flag("memory-reservation", str(host["MemoryReservation"]))))
    if host.get("NanoCpus"):
        add(Setting(_flag("cpus", _decimal(host["NanoCpus"] / 1e9))))
    elif host.get("CpuQuota"):
        add(Setting(_flag("cpu-quota", str(host["CpuQuota"]))))
        if host.get("CpuPeriod"):
            add(Setting(_flag("cpu-period", str(host["CpuPeriod"]))))
    if host.get("CpuShares") and host["CpuShares"] != 1024:
        add(Setting(_flag("cpu-shares", str(host["CpuShares"]))))

    log = host.get("LogConfig") or {}
    if log.get("Type"):
        add(Setting(_flag("log-driver", log["Type"]), "LogDriver", log["Type"]))
    if log.get("Tag"):
        add(Setting(_flag("log-opt", f"tag={log['Tag']}")))
    if config.get("SystemdMode"):
        add(Setting(_flag("systemd", "always")))
    if config.get("StopSignal") not in (None, DEFAULT_STOP_SIGNAL):
        add(Setting(_flag("stop-signal", str(config["StopSignal"]))))
    if config.get("StopTimeout") not in (None, DEFAULT_STOP_TIMEOUT):
        add(Setting(_flag("stop-timeout", str(config["StopTimeout"]))))

    policy = host.get("RestartPolicy") or {}
    spec.restart_policy = policy.get("Name") or ""
    spec.restart_retries = int(policy.get("MaximumRetryCount") or 0)
    return spec


def _decimal(number: float) -> str:
    return f"{number:.3f}".rstrip("0").rstrip(".")


def pod_spec(pod: dict) -> PodSpec:
    """The spec of a pod (libpod pod inspect): its name, its published ports, labels
    and hostname, and its members (without the infra container)."""
    name = pod.get("Name") or ""
    if not name:
        raise SpecError("the pod inspect data has no name")
    infra_id = pod.get("InfraContainerID") or ""
    members = sorted(c["Name"] for c in pod.get("Containers") or [] if c.get("Id") != infra_id)
    labels = pod.get("Labels") or {}
    spec = PodSpec(name=name, members=members, created_by_systemd=labels.get("PODMAN_SYSTEMD_UNIT", ""))
    infra = pod.get("InfraConfig") or {}
    spec.settings += _port_settings(infra.get("PortBindings"))
    for key, value in sorted(labels.items()):
        if key not in RUNTIME_LABELS:
            spec.settings.append(Setting(("--label", f"{key}={value}"), "Label", f"{key}={value}", True))
    if pod.get("Hostname"):
        spec.settings.append(Setting(_flag("hostname", pod["Hostname"])))
    return spec

