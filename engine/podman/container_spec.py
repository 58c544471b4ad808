"""What a person asks for when creating a container, checked before podman is called,
and turned into a libpod SpecGenerator; and the project's ONE reader of inspect data.

The reader (end of this module):
  read_container(container, image, pod_name="") -> ContainerSpec
  read_pod(pod, infra=None) -> PodSpec
  await read_container_spec(client, name, pod_name="") / await read_pod_spec(client, name)
  unknown_fields(container) / unknown_pod_fields(pod) -> ["unknown field HostConfig.X", ...]
  unknown_flag("unknown field Config.Timeout") -> "--timeout" (for the dialog)
Every inspect field of podman 4.3 to 5.4 is classified at the end of this module: read
into the spec, not a setting (state, runtime paths, what the unit decides), or a
setting Podhouse does not carry (named as an unknown field when it is set).
ContainerSpec/PodSpec (engine/units/spec.py) hold every setting of `podman create` /
`podman pod create` that inspect shows, normalised for comparison.  Entrypoint and
command come from Config.Entrypoint/Config.Cmd, never from Path/Args.  The edit
form's settings_from_inspect() reads through read_container() too.

Validation collects every problem by field, so a form can show each message beside
its field and create nothing."""
from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass, fields

from engine.units.spec import ContainerSpec, PodSpec, SpecError

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*\Z")
VOLUME_NAME_RE = NAME_RE
# The image reference grammar of the distribution project, reduced to what a form
# needs: [registry[:port]/]path[:tag][@digest], or an image id.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_RE = re.compile(
    rf"^(?:(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?"
    rf"{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?\Z", re.ASCII)
IMAGE_ID_RE = re.compile(r"^(?:sha256:)?[0-9a-f]{12,64}\Z")
# re.ASCII: \d would otherwise take any script's digits ("٣"), which int() accepts.
PORT_RE = re.compile(r"^(?:(?P<ip>\d{1,3}(?:\.\d{1,3}){3}):)?(?:(?P<host>\d+):)?(?P<container>\d+)(?:/(?P<proto>tcp|udp|sctp))?\Z", re.ASCII)
SIZE_RE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[bkmgt]?)b?\Z", re.I | re.ASCII)
DURATION_RE = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+)ms)?\Z", re.ASCII)
WHOLE_RE = re.compile(r"[0-9]+")
# What podman's API takes: sizes and durations (Go's time.Duration, in ns) are int64,
# retry counts uint (kept to int32 here: no one retries two billion times).
MAX_INT64 = 2 ** 63 - 1
MAX_COUNT = 2 ** 31 - 1

RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
LOG_DRIVERS = ("journald", "k8s-file", "none", "passthrough")
SYSTEMD_MODES = ("true", "false", "always")
SDNOTIFY_MODES = ("container", "conmon", "ignore")
DEFAULT_LOG_DRIVER = "journald"
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
CPU_PERIOD = 100_000


class InvalidSettings(ValueError):
    """Settings that must not reach podman; errors maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ContainerSettings:
    """The create form's fields, as text, the way a person types them."""
    image: str = ""
    name: str = ""
    command: str = ""
    entrypoint: str = ""
    env: str = ""            # KEY=VALUE per line
    ports: str = ""          # [ip:][host:]container[/proto] per line
    volumes: str = ""        # /host/path:/dest[:opts] or volume-name:/dest[:opts] per line
    labels: str = ""         # key=value per line
    restart_policy: str = "no"
    restart_tries: str = ""
    memory: str = ""         # 512m, 1g
    cpus: str = ""           # 1.5
    health_cmd: str = ""
    health_interval: str = ""
    health_timeout: str = ""
    health_retries: str = ""
    health_start_period: str = ""
    log_driver: str = DEFAULT_LOG_DRIVER
    network: str = ""        # "" (podman's default), host, none, or a network name
    user: str = ""
    workdir: str = ""
    systemd: str = "true"
    sdnotify: str = "container"
    pod: str = ""
    start: bool = True

    @classmethod
    def from_mapping(cls, data) -> "ContainerSettings":
        """From a form's data (QueryDict or dict); missing fields keep their default."""
        values = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data.get(f.name)
            if f.type == "bool" or isinstance(f.default, bool):
                values[f.name] = str(value).lower() in ("1", "true", "on", "yes")
            else:
                values[f.name] = (value or "").strip() if f.name not in ("env", "labels") else (value or "")
        return cls(**values)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def parse_size(text: str) -> int:
    match = SIZE_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a size (examples: 512m, 1g, 1048576)")
    size = float(match["number"]) * _UNITS[match["unit"].lower()]
    if not math.isfinite(size) or size > MAX_INT64:
        raise ValueError(f"{text[:40]!r}{'…' if len(text) > 40 else ''} is more than podman can take (at most 8191p)")
    return int(size)


def parse_duration_ns(text: str) -> int:
    match = DURATION_RE.match(text.strip())
    if not text.strip() or not match or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not a duration (examples: 30s, 1m30s, 500ms)")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0) + parts.get("ms", 0) / 1000
    if not math.isfinite(seconds) or seconds * 1_000_000_000 > MAX_INT64:
        raise ValueError(f"{text[:40]!r}{'…' if len(text) > 40 else ''} is longer than podman can take (at most 2562047h)")
    return int(seconds * 1_000_000_000)


def valid_image_reference(ref: str) -> bool:
    return bool(IMAGE_RE.match(ref) or IMAGE_ID_RE.match(ref))


def parse_port(line: str) -> dict:
    match = PORT_RE.match(line)
    if not match:
        raise ValueError(f"{line!r}: write [ip:][host-port:]container-port[/tcp|udp|sctp], e.g. 8080:80")
    container = int(match["container"])
    host = int(match["host"]) if match["host"] else 0
    for port in (container, host) if match["host"] else (container,):
        if not 1 <= port <= 65535:
            raise ValueError(f"{line!r}: port {port} is outside 1-65535")
    if match["ip"] and any(int(part) > 255 for part in match["ip"].split(".")):
        raise ValueError(f"{line!r}: {match['ip']} is not an IPv4 address")
    spec = {"container_port": container, "host_port": host, "protocol": match["proto"] or "tcp"}
    if match["ip"]:
        spec["host_ip"] = match["ip"]
    return spec


def parse_volume(line: str) -> tuple[str, dict]:
    """("mount", OCI mount) for a host path, ("volume", named volume) otherwise."""
    parts = line.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ValueError(f"{line!r}: write SOURCE:/container/path[:options], SOURCE a host path or a volume name")
    source, dest = parts[0], parts[1]
    options = [o for o in parts[2].split(",") if o] if len(parts) == 3 else []
    if not dest.startswith("/"):
        raise ValueError(f"{line!r}: the container path {dest!r} must be absolute")
    bad = [o for o in options if o not in ("ro", "rw", "z", "Z", "U", "O", "copy", "nocopy", "rbind", "bind",
                                             "shared", "slave", "private", "rshared", "rslave", "rprivate",
                                             "noexec", "exec", "nodev", "dev", "nosuid", "suid")]
    if bad:
        raise ValueError(f"{line!r}: unknown option {', '.join(bad)}")
    if source.startswith("/"):
        return "mount", {"destination": dest, "source": source, "type": "bind", "options": options or ["rbind"]}
    if not VOLUME_NAME_RE.match(source):
        raise ValueError(f"{line!r}: {source!r} is neither an absolute host path nor a volume name")
    return "volume", {"Name": source, "Dest": dest, "Options": options}


def _pairs(text: str, key_re: re.Pattern, what: str) -> dict[str, str]:
    pairs = {}
    for line in _lines(text):
        key, sep, value = line.partition("=")
        if not sep or not key_re.match(key):
            raise ValueError(f"{line!r}: write {what}=value with a {what} of letters, digits and _"
                             + (" (not starting with a digit)" if what == "KEY" else ""))
        pairs[key] = value
    return pairs


def validate(settings: ContainerSettings) -> dict:
    """The SpecGenerator for these settings, or InvalidSettings with every problem."""
    errors: dict[str, list[str]] = {}
    spec: dict = {}

    def check(name: str, build):
        try:
            build()
        except ValueError as error:
            errors.setdefault(name, []).append(str(error))

    s = settings
    for f in fields(s):
        value = getattr(s, f.name)
        if isinstance(value, str) and "\0" in value:
            errors[f.name] = ["A NUL character cannot be passed on to podman."]
    if errors:
        raise InvalidSettings(errors)
    if not s.image:
        errors["image"] = ["An image is required."]
    elif not valid_image_reference(s.image):
        errors["image"] = [f"{s.image!r} is not an image reference (e.g. localhost/busybox:latest)."]
    else:
        spec["image"] = s.image
    if s.name:
        if NAME_RE.match(s.name):
            spec["name"] = s.name
        else:
            errors["name"] = [f"{s.name!r}: a name starts with a letter or digit and has only letters, "
                              "digits, _ . and -."]

    def shell_words(field_name, key):
        value = getattr(s, field_name)
        if value:
            try:
                spec[key] = shlex.split(value)
            except ValueError as error:
                raise ValueError(f"cannot split {value!r} into words: {error}") from None

    check("command", lambda: shell_words("command", "command"))
    check("entrypoint", lambda: shell_words("entrypoint", "entrypoint"))

    def env():
        if s.env.strip():
            spec["env"] = _pairs(s.env, ENV_KEY_RE, "KEY")

    def labels():
        if s.labels.strip():
            spec["labels"] = _pairs(s.labels, LABEL_KEY_RE, "key")

    check("env", env)
    check("labels", labels)

    def ports():
        mappings = [parse_port(line) for line in _lines(s.ports)]
        taken = [(m["host_port"], m["protocol"]) for m in mappings if m["host_port"]]
        if len(taken) != len(set(taken)):
            raise ValueError("the same host port is given twice")
        if mappings:
            spec["portmappings"] = mappings

    def volumes():
        for line in _lines(s.volumes):
            kind, entry = parse_volume(line)
            spec.setdefault("mounts" if kind == "mount" else "volumes", []).append(entry)

    check("ports", ports)
    check("volumes", volumes)

    def restart():
        if s.restart_policy not in RESTART_POLICIES:
            raise ValueError(f"choose one of {', '.join(RESTART_POLICIES)}")
        if s.restart_policy != "no":
            spec["restart_policy"] = s.restart_policy
        if s.restart_tries and s.restart_policy != "on-failure":
            raise ValueError("retries are only for the on-failure policy")

    def restart_tries():
        if s.restart_tries and s.restart_policy == "on-failure":
            if not WHOLE_RE.fullmatch(s.restart_tries) or int(s.restart_tries) > MAX_COUNT:
                raise ValueError(f"{s.restart_tries[:40]!r} is not a whole number of retries (0 to {MAX_COUNT})")
            spec["restart_tries"] = int(s.restart_tries)

    check("restart_policy", restart)
    check("restart_tries", restart_tries)

    def memory():
        if s.memory:
            size = parse_size(s.memory)
            if size < 6 * 1024 ** 2:
                raise ValueError("podman needs at least 6m of memory")
            spec.setdefault("resource_limits", {})["memory"] = {"limit": size}

    def cpus():
        if s.cpus:
            try:
                value = float(s.cpus)
            except ValueError:
                raise ValueError(f"{s.cpus!r} is not a number of CPUs (e.g. 0.5, 2)") from None
            if not 0.01 <= value <= 1024:
                raise ValueError("CPUs must be between 0.01 and 1024")
            spec.setdefault("resource_limits", {})["cpu"] = {"quota": int(value * CPU_PERIOD), "period": CPU_PERIOD}

    check("memory", memory)
    check("cpus", cpus)

    def health():
        timing = {"health_interval": "Interval", "health_timeout": "Timeout", "health_start_period": "StartPeriod"}
        given = [k for k in (*timing, "health_retries") if getattr(s, k)]
        if not s.health_cmd:
            if given:
                errors.setdefault("health_cmd", []).append("a health check needs a command")
            return
        config = {"Test": ["CMD-SHELL", s.health_cmd], "Interval": 30_000_000_000, "Timeout": 30_000_000_000,
                  "Retries": 3}
        for key, api_key in timing.items():
            value = getattr(s, key)
            if value:
                try:
                    config[api_key] = parse_duration_ns(value)
                except ValueError as error:
                    errors.setdefault(key, []).append(str(error))
        if s.health_retries:
            if WHOLE_RE.fullmatch(s.health_retries) and 0 < int(s.health_retries) <= MAX_COUNT:
                config["Retries"] = int(s.health_retries)
            else:
                errors.setdefault("health_retries", []).append(
                    f"{s.health_retries[:40]!r} is not a positive whole number (at most {MAX_COUNT})")
        spec["healthconfig"] = config

    health()

    if s.log_driver not in LOG_DRIVERS:
        errors["log_driver"] = [f"choose one of {', '.join(LOG_DRIVERS)}"]
    else:
        spec["log_configuration"] = {"driver": s.log_driver}

    if s.network:
        if s.network in ("host", "none", "private", "slirp4netns"):
            spec["netns"] = {"nsmode": s.network}
        elif s.pod:
            errors["network"] = ["a container in a pod uses the pod's network"]
        elif NAME_RE.match(s.network):
            spec["netns"] = {"nsmode": "bridge"}
            spec["Networks"] = {s.network: {}}
        else:
            errors["network"] = [f"{s.network!r} is not a network name"]

    if s.user:
        if re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$", s.user):
            spec["user"] = s.user
        else:
            errors["user"] = [f"{s.user!r}: write user[:group], names or numbers"]
    if s.workdir:
        if s.workdir.startswith("/"):
            spec["work_dir"] = s.workdir
        else:
            errors["workdir"] = [f"{s.workdir!r}: the working directory must be an absolute path"]
    if s.systemd not in SYSTEMD_MODES:
        errors["systemd"] = [f"choose one of {', '.join(SYSTEMD_MODES)}"]
    elif s.systemd != "true":
        spec["systemd"] = s.systemd
    if s.sdnotify not in SDNOTIFY_MODES:
        errors["sdnotify"] = [f"choose one of {', '.join(SDNOTIFY_MODES)}"]
    elif s.sdnotify != "container":
        spec["sdnotifyMode"] = s.sdnotify
    if s.pod:
        if NAME_RE.match(s.pod) or IMAGE_ID_RE.match(s.pod):
            spec["pod"] = s.pod
            if spec.get("portmappings"):
                errors.setdefault("ports", []).append("a container in a pod publishes ports through the pod")
        else:
            errors["pod"] = [f"{s.pod!r} is not a pod name"]
    if errors:
        raise InvalidSettings(errors)
    return spec


def runs_init(words: list[str]) -> bool:
    """Podman's rule for systemd=true: the command is init or systemd."""
    return bool(words) and words[0].rsplit("/", 1)[-1] in ("init", "systemd") or (
        bool(words) and words[0] in ("/usr/sbin/init", "/sbin/init", "/usr/lib/systemd/systemd", "/lib/systemd/systemd"))


def _systemd_mode(systemd_on: bool, words: list[str]) -> str:
    # inspect says only on/off: "always" is on without an init command, "false" off with one
    if systemd_on and not runs_init(words):
        return "always"
    if not systemd_on and runs_init(words):
        return "false"
    return "true"


def _size_text(size: int) -> str:
    for unit, factor in (("g", 1024 ** 3), ("m", 1024 ** 2), ("k", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def _join_words(words) -> str:
    return shlex.join(words) if words else ""


def settings_from_inspect(record: dict, image_config: dict | None = None) -> ContainerSettings:
    """The settings that recreate the inspected container (for edit), read by
    read_container() like everything else.  Values the image itself supplies (its
    CMD, ENTRYPOINT, ENV) are left out when image_config is given, so a recreated
    container still follows its image."""
    spec = read_container(record, {"Config": image_config or {}})
    entrypoint = list(spec.entrypoint or [])
    command = list(spec.command or [])
    ports = []
    for value in spec.publish:
        ip, host_port, container = value.rsplit(":", 2) if value.count(":") >= 2 else ("", *value.rpartition(":")[::2])
        number, _, proto = container.partition("/")
        prefix = f"{ip}:" if ip and ip not in ("0.0.0.0", "::") else ""
        ports.append(f"{prefix}{host_port}:{number}/{proto or 'tcp'}")
    network = spec.network if spec.network in ("host", "none") else (
        spec.networks[0].partition(":")[0] if len(spec.networks) == 1 else "")

    def nanos(value: int) -> str:
        if not value:
            return ""
        millis = value // 1_000_000
        return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"

    runs = (record.get("Config") or {}).get("SystemdMode")
    test_cmd = spec.health_cmd
    if test_cmd.startswith("["):
        test_cmd = _join_words(json.loads(test_cmd))
    return ContainerSettings(
        image=spec.image,
        name=spec.name.lstrip("/"),
        command=_join_words(command) if spec.command is not None else "",
        entrypoint=_join_words(entrypoint) if spec.entrypoint is not None else "",
        env="\n".join(f"{k}={v}" for k, v in spec.env.items() if k not in ("PATH", "HOME", "HOSTNAME")),
        ports="\n".join(ports),
        volumes="\n".join(spec.volumes),
        labels="\n".join(f"{k}={v}" for k, v in sorted(spec.labels.items())),
        restart_policy=spec.restart_policy if spec.restart_policy in RESTART_POLICIES else "no",
        restart_tries=str(spec.restart_retries) if spec.restart_policy == "on-failure" and spec.restart_retries else "",
        memory=_size_text(spec.memory) if spec.memory else "",
        cpus=f"{spec.cpu_quota / (spec.cpu_period or CPU_PERIOD):g}" if spec.cpu_quota > 0 else "",
        health_cmd=test_cmd if spec.health_cmd != "none" else "",
        health_interval=nanos(spec.health_interval), health_timeout=nanos(spec.health_timeout),
        health_retries=str(spec.health_retries or "") if spec.health_cmd else "",
        health_start_period=nanos(spec.health_start_period),
        log_driver=spec.log_driver or DEFAULT_LOG_DRIVER,
        network=network, user=spec.user, workdir=spec.workdir,
        systemd=_systemd_mode(bool(runs), _words((record.get("Config") or {}).get("Entrypoint"))
                              + list((record.get("Config") or {}).get("Cmd") or [])),
        sdnotify=(record.get("Config") or {}).get("sdNotifyMode") or (record.get("Config") or {}).get("SdNotifyMode")
        or "container",
        pod=record.get("Pod") or "",
        start=(record.get("State") or {}).get("Running", False),
    )


def pod_spec(name: str, ports: str = "", labels: str = "") -> dict:
    """The PodSpecGenerator for the pod form (name, published ports, labels)."""
    errors: dict[str, list[str]] = {}
    spec: dict = {}
    if not name:
        errors["name"] = ["A pod needs a name."]
    elif not NAME_RE.match(name):
        errors["name"] = [f"{name!r}: a name starts with a letter or digit and has only letters, digits, _ . and -."]
    else:
        spec["name"] = name
    try:
        mappings = [parse_port(line) for line in _lines(ports)]
        if mappings:
            spec["portmappings"] = mappings
    except ValueError as error:
        errors["ports"] = [str(error)]
    try:
        if labels.strip():
            spec["labels"] = _pairs(labels, LABEL_KEY_RE, "key")
    except ValueError as error:
        errors["labels"] = [str(error)]
    if errors:
        raise InvalidSettings(errors)
    return spec


# -- The one reader of inspect data ------------------------------------------------
#
# read_container() / read_pod() turn libpod inspect records into the ContainerSpec /
# PodSpec of engine/units/spec.py; unknown_fields() / unknown_pod_fields() name what
# inspect shows that Podhouse does not map.  Everything that recreates a container
# (the edit form, the unit generators, the shadow verification) goes through here.

# What podman adds to every container's environment by itself.
PODMAN_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PODMAN_ADDED_ENV = {"container": "podman", "TERM": "xterm"}
# Labels podman or systemd put on a container: never copied into a unit.
RUNTIME_LABELS = {"PODMAN_SYSTEMD_UNIT"}
# Annotations podman writes itself from flags (the flags are read where they live),
# and those it adds when the container starts.
PODMAN_ANNOTATION_PREFIXES = ("io.podman.annotations.", "io.kubernetes.cri-o.")
PODMAN_RUNTIME_ANNOTATIONS = {"io.container.manager", "org.opencontainers.image.stopSignal"}
# Mount and tmpfs options podman adds by itself.
BIND_DEFAULT_OPTIONS = {"rbind"}
VOLUME_DEFAULT_OPTIONS = {"nosuid", "nodev", "rbind"}
TMPFS_DEFAULT_OPTIONS = {"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"}
# --read-only mounts these tmpfs unless --read-only-tmpfs=false.
READ_ONLY_TMPFS = ("/run", "/tmp", "/var/tmp")
DEFAULT_STOP_SIGNAL = 15
DEFAULT_STOP_TIMEOUT = 10
DEFAULT_SHM_SIZE = 65536000           # podman's 64m
DEFAULT_PIDS_LIMIT = 2048             # containers.conf's pids_limit
DEFAULT_UMASK = "0022"
DEFAULT_INFRA_IMAGE_PREFIX = "localhost/podman-pause:"  # the pause image podman builds itself
DEFAULT_INFRA_COMMAND = ("/catatonit", "-P")
DEFAULT_POD_SHARE = ("ipc", "net", "uts")
DEFAULT_POD_CGROUP_PARENT = "/libpod_parent"
# Network modes podman picks when none is asked for.
DEFAULT_NETWORK_MODES = {"", "default", "bridge", "private"}
DEFAULT_NETWORK = "podman"
# Settings podman 4.3's inspect does not show: read from the stored create command
# (CLI-created containers only).  flag -> spec field
CREATE_COMMAND_ONLY = {"--sysctl": "sysctls", "--ip": "networks", "--ip6": "networks",
                       "--mac-address": "networks", "--pull": "pull", "--ipc": "ipc", "--userns": "userns",
                       "--secret": "secrets", "--unsetenv": "unsetenv"}


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


def _words(value) -> list[str]:
    """Config.Entrypoint: a list (podman 5, or the client's compat fix) or, in libpod
    4.x, one space-joined string (PodmanClient.inspect_container replaces an ambiguous
    one by the compat API's list)."""
    if isinstance(value, list):
        return list(value)
    return value.split(" ") if value else []


def _create_flags(container: dict) -> dict[str, list[str]]:
    """Values of the CREATE_COMMAND_ONLY flags in the stored create command, up to the
    image (words after it are the container's command)."""
    words = list((container.get("Config") or {}).get("CreateCommand") or [])
    command = list((container.get("Config") or {}).get("Cmd") or [])
    if command and words[len(words) - len(command):] == command:
        words = words[:len(words) - len(command)]
    words = words[:-1]  # the image
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        word = words[i]
        flag, eq, value = word.partition("=")
        if flag in CREATE_COMMAND_ONLY or flag in ("--network", "--net"):
            if not eq and i + 1 < len(words):
                value, i = words[i + 1], i + 1
            found.setdefault("--network" if flag == "--net" else flag, []).append(value)
        i += 1
    return found


def _sorted(values) -> tuple[str, ...]:
    return tuple(sorted(values or []))


def _ports(port_bindings: dict | None) -> tuple[str, ...]:
    values = []
    for port, bindings in (port_bindings or {}).items():
        for binding in bindings or []:
            host_ip, host_port = binding.get("HostIp") or "", binding.get("HostPort") or ""
            values.append(f"{host_ip}:{host_port}:{port}" if host_ip else (f"{host_port}:{port}" if host_port else port))
    return tuple(sorted(values))


def _namespace(mode: str, default: str, in_pod: bool) -> str:
    if not mode or mode == default or (in_pod and mode.startswith("container:")):
        return ""
    return mode


def _networks(container: dict, flags: dict[str, list[str]]) -> tuple[str, ...]:
    """Named networks with their aliases, and static addresses from the create
    command: NAME[:alias=A,...,ip=I,mac=M] in podman's own --network syntax."""
    short_id = (container.get("Id") or "")[:12]
    attached = ((container.get("NetworkSettings") or {}).get("Networks") or {})
    options: dict[str, list[str]] = {}
    for name, network in attached.items():
        options[name] = [f"alias={a}" for a in sorted(network.get("Aliases") or []) if a != short_id]
    for value in flags.get("--network", []):  # NAME:ip=...,mac=... as typed
        name, _, opts = value.partition(":")
        for opt in opts.split(",") if opts else []:
            if opt.startswith(("ip=", "ip6=", "mac=")) and name in options:
                options[name].append(opt)
    if len(options) == 1:  # --ip/--mac-address apply to the only network
        only = next(iter(options))
        for flag, key in (("--ip", "ip"), ("--ip6", "ip6"), ("--mac-address", "mac")):
            options[only] += [f"{key}={value}" for value in flags.get(flag, [])]
    if set(options) == {DEFAULT_NETWORK} and not options[DEFAULT_NETWORK]:
        return ()
    return tuple(sorted(f"{name}:{','.join(sorted(set(opts)))}" if opts else name
                        for name, opts in options.items()))


def _mounts(container: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(--volume values for bind and named volumes, --mount values for the rest)."""
    volumes, mounts = [], []
    own = container.get("StaticDir") or ""
    for mount in container.get("Mounts") or []:
        kind, source, dest = mount.get("Type"), mount.get("Source") or "", mount.get("Destination") or ""
        if kind == "bind" and own and source.startswith(own + "/"):
            continue  # podman's own mount of an image mount or overlay, shown while running
        options = list(mount.get("Options") or [])
        if kind == "bind" and not source.startswith("/"):  # devpts shows as a bind of "devpts"
            mounts.append(",".join([f"type={source}", f"destination={dest}", *options]))
            continue
        if kind == "image":
            mounts.append(f"type=image,source={source},destination={dest}" + (",rw=true" if mount.get("RW") else ""))
            continue
        if kind not in ("bind", "volume"):
            mounts.append(",".join([f"type={kind}", f"source={source}", f"destination={dest}", *options]))
            continue
        if kind == "volume":
            source = mount.get("Name") or source
        defaults = BIND_DEFAULT_OPTIONS if kind == "bind" else VOLUME_DEFAULT_OPTIONS
        flags = [] if mount.get("RW", True) else ["ro"]
        flags += [o for o in options if o not in defaults]
        if mount.get("Mode"):
            flags.append(mount["Mode"])
        if mount.get("Propagation") not in ("", "rprivate", None):
            flags.append(mount["Propagation"])
        volumes.append(f"{source}:{dest}" + (":" + ",".join(flags) if flags else ""))
    return tuple(sorted(volumes)), tuple(sorted(mounts))


def _health_command(test: list[str]) -> str:
    if test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    if test[0] == "CMD":
        return json.dumps(test[1:])
    if test[0] == "NONE":
        return "none"
    return json.dumps(test)


def _ulimit(entry: dict) -> str:
    name = (entry.get("Name") or "").lower().removeprefix("rlimit_")
    return f"{name}={entry.get('Soft')}:{entry.get('Hard')}"


def read_container(container: dict, image: dict, pod_name: str = "") -> ContainerSpec:
    """The spec of `container` (libpod inspect) against its `image` (libpod inspect);
    `pod_name` for a pod member (it shares the pod's network, ports, hostname and
    namespaces, which the PodSpec carries)."""
    config = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    image_config = image.get("Config") or {}
    name = container.get("Name") or ""
    image_ref = container.get("ImageName") or config.get("Image") or container.get("Image") or ""
    if not name or not image_ref:
        raise SpecError("the inspect data has no container name or image")
    in_pod = bool(pod_name)
    labels = config.get("Labels") or {}
    flags = _create_flags(container)
    spec = ContainerSpec(name=name, image=image_ref, pod=pod_name,
                         created_by_systemd=labels.get("PODMAN_SYSTEMD_UNIT", ""))

    # Entrypoint and command from Config (never Path/Args, which carry --init's
    # wrapper and, in podman 4.x, argv[0] twice), only where they differ from the
    # image's.  Setting an entrypoint makes podman drop the image's command.
    entrypoint, command = _words(config.get("Entrypoint")), list(config.get("Cmd") or [])
    if entrypoint != list(image_config.get("Entrypoint") or []):
        spec.entrypoint, spec.command = tuple(entrypoint), tuple(command)
    elif command != list(image_config.get("Cmd") or []):
        spec.command = tuple(command)
    if config.get("SystemdMode") and not runs_init(entrypoint + command):
        spec.systemd = "always"
    elif not config.get("SystemdMode") and runs_init(entrypoint + command):
        spec.systemd = "false"

    image_env = _split_env(image_config.get("Env"))
    for key, value in _split_env(config.get("Env")).items():
        if image_env.get(key) == value or PODMAN_ADDED_ENV.get(key) == value:
            continue
        if key == "PATH" and value == PODMAN_DEFAULT_PATH and "PATH" not in image_env:
            continue
        if key == "HOSTNAME" and (value == config.get("Hostname") or host.get("UTSMode") == "host"):
            continue  # podman's, from the hostname (the host's one with --uts host)
        if key == "container_uuid" and config.get("SystemdMode"):
            continue  # podman's, for systemd in the container
        if key == "HOME" and "HOME" not in image_env and _podman_home(value, config.get("User") or ""):
            continue
        spec.env[key] = value
    container_env = _split_env(config.get("Env"))
    # podman 4.3 keeps an --unsetenv variable of the image in Config.Env (it is taken
    # away when the process starts): the create command says which were
    spec.unsetenv = tuple(sorted({k for k in image_env if k not in container_env} | set(flags.get("--unsetenv", []))))
    image_labels = image_config.get("Labels") or {}
    spec.labels = {k: v for k, v in sorted(labels.items()) if k not in RUNTIME_LABELS and image_labels.get(k) != v}
    spec.annotations = {k: v for k, v in sorted((config.get("Annotations") or {}).items())
                        if not k.startswith(PODMAN_ANNOTATION_PREFIXES) and k not in PODMAN_RUNTIME_ANNOTATIONS}
    user = config.get("User") or ""
    spec.user = user if user != (image_config.get("User") or "") else ""
    workdir = config.get("WorkingDir") or ""
    spec.workdir = workdir if workdir and workdir != (image_config.get("WorkingDir") or "/") else ""
    spec.group_add = _sorted(host.get("GroupAdd"))
    spec.init = bool(host.get("Init"))
    spec.tty = bool(config.get("Tty"))
    spec.interactive = bool(config.get("OpenStdin"))
    spec.timezone = config.get("Timezone") or ""
    spec.umask = "" if config.get("Umask") in (None, "", DEFAULT_UMASK) else config["Umask"]
    if config.get("StopSignal") not in (None, 0, DEFAULT_STOP_SIGNAL):
        spec.stop_signal = int(config["StopSignal"])
    if config.get("StopTimeout") not in (None, DEFAULT_STOP_TIMEOUT):
        spec.stop_timeout = int(config["StopTimeout"])
    pull = (flags.get("--pull") or [""])[-1]
    spec.pull = "" if pull == "missing" else pull

    # A member of a pod with an infra container shares the pod's network (ports,
    # hosts, DNS) and usually its UTS namespace: those belong to the PodSpec.
    shares_network = in_pod and (host.get("NetworkMode") or "").startswith("container:")
    shares_uts = in_pod and (host.get("UTSMode") or "").startswith("container:")
    if not shares_network:
        mode = host.get("NetworkMode") or ""
        spec.network = "" if mode in DEFAULT_NETWORK_MODES else mode
        if not spec.network:
            spec.networks = _networks(container, flags)
        spec.publish = _ports(host.get("PortBindings"))
        spec.add_hosts = tuple(host.get("ExtraHosts") or ())
        spec.dns = tuple(host.get("Dns") or ())
        spec.dns_search = tuple(host.get("DnsSearch") or ())
        spec.dns_options = tuple(host.get("DnsOptions") or ())
    if not shares_uts:
        hostname = config.get("Hostname") or ""
        if hostname and hostname != (container.get("Id") or "")[:12] and host.get("UTSMode") != "host" \
                and spec.network != "host":
            spec.hostname = hostname
        spec.uts = _namespace(host.get("UTSMode") or "", "private", in_pod)

    spec.volumes, spec.mounts = _mounts(container)
    tmpfs = {}
    for path, raw in sorted((host.get("Tmpfs") or {}).items()):
        tmpfs[path] = ",".join(o for o in raw.split(",") if o and o not in TMPFS_DEFAULT_OPTIONS)
    spec.read_only = bool(host.get("ReadonlyRootfs"))
    if spec.read_only:
        spec.read_only_tmpfs = all(tmpfs.get(path) == "" for path in READ_ONLY_TMPFS)
        if spec.read_only_tmpfs:
            tmpfs = {p: o for p, o in tmpfs.items() if p not in READ_ONLY_TMPFS}
    spec.tmpfs = tmpfs
    secrets = []
    for secret in config.get("Secrets") or []:
        value = secret.get("Name") or ""
        if secret.get("UID"):
            value += f",uid={secret['UID']}"
        if secret.get("GID"):
            value += f",gid={secret['GID']}"
        if secret.get("Mode") not in (None, 0, 0o444):
            value += f",mode=0{secret['Mode']:o}"
        secrets.append(value)
    # inspect 4.3 shows no secret's type or target: the create command, where there is one, has all
    spec.secrets = _sorted(flags["--secret"] if "--secret" in flags else secrets)
    if host.get("ShmSize") not in (None, 0, DEFAULT_SHM_SIZE):
        spec.shm_size = int(host["ShmSize"])

    spec.privileged = bool(host.get("Privileged"))
    if not spec.privileged:  # privileged means every capability and every host device
        spec.cap_add = _sorted(host.get("CapAdd"))
        spec.cap_drop = _sorted(host.get("CapDrop"))
        devices = []
        for device in host.get("Devices") or []:
            value = device.get("PathOnHost") or ""
            inside = device.get("PathInContainer") or value
            perms = device.get("CgroupPermissions") or ""
            if inside != value or perms:
                value += f":{inside}"
            if perms:
                value += f":{perms}"
            devices.append(value)
        spec.devices = _sorted(devices)
    spec.security_opt = _sorted(host.get("SecurityOpt"))
    sysctls = {}  # libpod's inspect (4.3 to 5.4) shows none: the create command has them
    for entry in flags.get("--sysctl", []):
        key, _, value = entry.partition("=")
        sysctls.setdefault(key, value)
    spec.sysctls = dict(sorted(sysctls.items()))
    spec.ulimits = _sorted(_ulimit(u) for u in host.get("Ulimits") or [])

    spec.pid = _namespace(host.get("PidMode") or "", "private", in_pod)
    # inspect 4.3 shows IpcMode "shareable" for host, none and private alike, and
    # UsernsMode "" for host: the create command says what was asked
    spec.ipc = _namespace((flags.get("--ipc") or [host.get("IpcMode") or ""])[-1], "shareable", in_pod)
    spec.cgroupns = _namespace(host.get("CgroupMode") or "", "", in_pod)
    spec.userns = _namespace((flags.get("--userns") or [host.get("UsernsMode") or ""])[-1], "", in_pod)

    memory = int(host.get("Memory") or 0)
    spec.memory = memory
    swap = int(host.get("MemorySwap") or 0)
    spec.memory_swap = swap if swap and swap != 2 * memory else 0
    spec.memory_reservation = int(host.get("MemoryReservation") or 0)
    if host.get("MemorySwappiness") not in (None, 0, -1):
        spec.memory_swappiness = int(host["MemorySwappiness"])
    spec.oom_kill_disable = bool(host.get("OomKillDisable"))
    spec.oom_score_adj = int(host.get("OomScoreAdj") or 0)
    # --cpus is stored as quota/period (NanoCpus is derived from them): written back
    # as quota and period, the exact values return
    if host.get("CpuQuota"):
        spec.cpu_quota = int(host["CpuQuota"])
        spec.cpu_period = int(host.get("CpuPeriod") or 0)
    elif host.get("NanoCpus"):
        spec.cpu_quota, spec.cpu_period = int(host["NanoCpus"]) * CPU_PERIOD // 1_000_000_000, CPU_PERIOD
    spec.cpu_shares = 0 if host.get("CpuShares") in (None, 0, 1024) else int(host["CpuShares"])
    spec.cpuset_cpus = host.get("CpusetCpus") or ""
    spec.cpuset_mems = host.get("CpusetMems") or ""
    spec.blkio_weight = int(host.get("BlkioWeight") or 0)
    if host.get("PidsLimit") not in (None, DEFAULT_PIDS_LIMIT):
        spec.pids_limit = int(host["PidsLimit"])
    if not in_pod:  # a member's cgroup parent is its pod's
        spec.cgroup_parent = host.get("CgroupParent") or ""

    health = config.get("Healthcheck") or None
    image_health = image_config.get("Healthcheck") or image.get("HealthCheck") or None
    if health and health.get("Test") and health != image_health:
        spec.health_cmd = _health_command(list(health["Test"]))
        spec.health_interval = int(health.get("Interval") or 0)
        spec.health_timeout = int(health.get("Timeout") or 0)
        spec.health_retries = int(health.get("Retries") or 0)
        spec.health_start_period = int(health.get("StartPeriod") or 0)
    action = config.get("HealthcheckOnFailureAction") or "none"
    spec.health_on_failure = "" if action == "none" else action

    log = host.get("LogConfig") or {}
    spec.log_driver = log.get("Type") or ""
    opts = [f"{k}={v}" for k, v in (log.get("Config") or {}).items()]
    if log.get("Tag"):
        opts.append(f"tag={log['Tag']}")
    if log.get("Size") not in (None, "", "0B", "-1B"):
        opts.append(f"max-size={log['Size']}")
    spec.log_opts = _sorted(opts)

    policy = host.get("RestartPolicy") or {}
    spec.restart_policy = policy.get("Name") or ""
    spec.restart_retries = int(policy.get("MaximumRetryCount") or 0)
    spec.unknown = tuple(unknown_fields(container))
    if not config.get("CreateCommand"):
        spec.unreadable = tuple(sorted(CREATE_COMMAND_ONLY))
    return spec


def read_pod(pod: dict, infra: dict | None = None) -> PodSpec:
    """The spec of a pod (libpod pod inspect) and, when it has one, of its infra
    container (libpod container inspect: infra image, command and name)."""
    name = pod.get("Name") or ""
    if not name:
        raise SpecError("the pod inspect data has no name")
    infra_id = pod.get("InfraContainerID") or ""
    members = sorted(c["Name"] for c in pod.get("Containers") or [] if c.get("Id") != infra_id)
    labels = pod.get("Labels") or {}
    spec = PodSpec(name=name, members=members, created_by_systemd=labels.get("PODMAN_SYSTEMD_UNIT", ""))
    spec.infra = bool(pod.get("CreateInfra", bool(infra_id)))
    spec.labels = {k: v for k, v in sorted(labels.items()) if k not in RUNTIME_LABELS}
    spec.hostname = pod.get("Hostname") or ""
    parent = pod.get("CgroupParent") or ""
    spec.cgroup_parent = "" if parent == DEFAULT_POD_CGROUP_PARENT else parent
    shared = tuple(sorted(pod.get("SharedNamespaces") or ()))
    if spec.infra and shared != DEFAULT_POD_SHARE:
        spec.share = shared
    config = pod.get("InfraConfig") or {}
    if config:
        networks = tuple(sorted(config.get("Networks") or ()))
        spec.network = ("host",) if config.get("HostNetwork") else (() if networks in ((), (DEFAULT_NETWORK,)) else networks)
        spec.publish = _ports(config.get("PortBindings"))
        # podman 4.3 leaves StaticIP/StaticMAC empty: the create command has them
        words = list(pod.get("CreateCommand") or [])
        asked = {}
        for i, word in enumerate(words):
            flag, eq, value = word.partition("=")
            if flag in ("--ip", "--mac-address"):
                asked[flag] = value if eq else (words[i + 1] if i + 1 < len(words) else "")
        spec.ip = config.get("StaticIP") or asked.get("--ip", "")
        spec.mac = config.get("StaticMAC") or asked.get("--mac-address", "")
        spec.add_hosts = tuple(config.get("HostAdd") or ())
        spec.dns = tuple(config.get("DNSServer") or ())
        spec.dns_search = tuple(config.get("DNSSearch") or ())
        spec.dns_options = tuple(config.get("DNSOption") or ())
        spec.no_hosts = bool(config.get("NoManageHosts"))
        spec.userns = "" if config.get("userns") in (None, "", "host") else config["userns"]
        spec.pid = "" if config.get("pid_ns") in (None, "", "private") else config["pid_ns"]
        spec.uts = "" if config.get("uts_ns") in (None, "", "private") else config["uts_ns"]
    if infra:
        image = infra.get("ImageName") or ""
        if not image.startswith(DEFAULT_INFRA_IMAGE_PREFIX):
            spec.infra_image = image
        command = tuple(_words((infra.get("Config") or {}).get("Entrypoint")))
        if command and command != DEFAULT_INFRA_COMMAND:
            spec.infra_command = command
        infra_name = infra.get("Name") or ""
        if infra_name not in (f"{(pod.get('Id') or '')[:12]}-infra", f"{name}-infra"):  # podman's, Quadlet's
            spec.infra_name = infra_name
    spec.unknown = tuple(unknown_pod_fields(pod))
    return spec


async def read_container_spec(client, name: str, pod_name: str = "") -> ContainerSpec:
    """Inspect container `name` and its image through a PodmanClient; read_container()."""
    container = await client.inspect_container(name)
    image = await client.inspect_image(container.get("Image") or container.get("ImageName"))
    return read_container(container, image, pod_name=pod_name)


async def read_pod_spec(client, name: str) -> PodSpec:
    """Inspect pod `name` and its infra container through a PodmanClient; read_pod()."""
    pod = await client.inspect_pod(name)
    infra = await client.inspect_container(pod["InfraContainerID"]) if pod.get("InfraContainerID") else None
    return read_pod(pod, infra)


# -- What inspect shows, field by field ----------------------------------------------
#
# Every field of libpod's inspect records (libpod/define/container_inspect.go and
# pod_inspect.go, podman 4.3 to 5.4) is in exactly one of three sets per section:
#   MAPPED_FIELDS      read into the spec by read_container() / read_pod()
#   NOT_SETTINGS       state, runtime paths, values derived from other fields, what
#                      the unit decides: field -> why it is not carried
#   UNCARRIED_SETTINGS settings `podman create` can give that Podhouse does not
#                      carry: field -> (the flag, its value when not given)
# An uncarried setting away from that value, or a field in none of the sets (a newer
# podman's) holding a non-zero value, is "unknown field Section.Key": enabling a
# service is refused unless the user confirms (dashboard/flows/services.py).
# tests/unit/test_units_spec_drift.py holds podman's own field lists and fails when
# these sets and podman's structs, or these sets and the reader, drift apart.

_ZERO_VALUES = (None, "", 0, False, [], {}, "0B", [0, 0])


def _unset(value) -> bool:
    return value in _ZERO_VALUES


def _unset_or(default):
    return lambda value, _record: value in _ZERO_VALUES or value == default


def _exposed_beyond_published(value, config_and_host) -> bool:
    # podman 5 lists published container ports among the exposed ones.
    published = set(((config_and_host.get("HostConfig") or {}).get("PortBindings") or {}))
    return not (set(value or {}) - published)


MAPPED_FIELDS = {
    "": {"ImageName", "Mounts", "NetworkSettings", "Name"},
    "Config": {"Hostname", "User", "Tty", "OpenStdin", "Env", "Cmd", "Image", "WorkingDir", "Entrypoint",
               "Labels", "Annotations", "StopSignal", "StopTimeout", "HealthcheckOnFailureAction", "Healthcheck",
               "Timezone", "Umask", "Secrets", "SystemdMode", "CreateCommand"},
    "HostConfig": {"CgroupMode", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy", "CapAdd",
                   "CapDrop", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode", "OomScoreAdj",
                   "PidMode", "Privileged", "ReadonlyRootfs", "SecurityOpt", "Tmpfs", "UTSMode",
                   "UsernsMode", "ShmSize", "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight",
                   "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "Devices", "MemoryReservation", "MemorySwap",
                   "MemorySwappiness", "OomKillDisable", "Init", "PidsLimit", "Ulimits"},
}
NOT_SETTINGS = {
    "": {"Id": "identity", "Created": "state", "Path": "derived (argv with wrappers): Config is read",
         "Args": "derived (argv with wrappers): Config is read", "State": "state", "Image": "the image's id",
         "ImageDigest": "the image's digest", "ResolvConfPath": "runtime path", "HostnamePath": "runtime path",
         "HostsPath": "runtime path", "StaticDir": "runtime path", "OCIConfigPath": "runtime path",
         "OCIRuntime": "the host's runtime", "ConmonPidFile": "runtime path", "PidFile": "runtime path",
         "RestartCount": "state", "Driver": "storage driver of the host",
         "MountLabel": "derived from --security-opt label", "ProcessLabel": "derived from --security-opt label",
         "AppArmorProfile": "derived from --security-opt apparmor",
         "EffectiveCaps": "derived from --cap-add/--cap-drop", "BoundingCaps": "derived from --cap-add/--cap-drop",
         "ExecIDs": "state", "GraphDriver": "storage of the host", "Namespace": "libpod namespace (deprecated)",
         "IsInfra": "a pod's infra container is read with its pod",
         "Pod": "a member is read with its pod (read_container's pod_name), whose service carries it", "IsService": "kube play service container",
         "KubeExitCodePropagation": "kube play service container", "lockNumber": "state",
         "SizeRw": "state", "SizeRootFs": "state", "Config": "read field by field",
         "HostConfig": "read field by field", "Dependencies": "podman's own dependencies (the pod's infra)"},
    "Config": {"Domainname": "not settable by podman create", "AttachStdin": "attach mode of `run`",
               "AttachStdout": "attach mode of `run`", "AttachStderr": "attach mode of `run`",
               "StdinOnce": "attach mode of `run`", "Volumes": "the image's VOLUME list", "OnBuild": "image build",
               "sdNotifyMode": "the unit decides --sdnotify",
               "sdNotifySocket": "the socket systemd gave the unit that created it"},
    "HostConfig": {"CgroupManager": "the host's cgroup manager", "ContainerIDFile": "the unit's --cidfile",
                   "AutoRemove": "the unit decides --rm", "AutoRemoveImage": "the unit decides --rm",
                   "Binds": "the same mounts as Mounts, read there",
                   "Annotations": "the same annotations as Config.Annotations, read there",
                   "VolumeDriver": "volumes are read from Mounts",
                   "Cgroup": "deprecated", "Cgroups": "the unit decides --cgroups", "Links": "not supported by podman",
                   "Runtime": "always oci", "ConsoleSize": "terminal size of `run`", "Isolation": "Windows only",
                   "PublishAllPorts": "-P is resolved into PortBindings when the container is created",
                   "DiskQuota": "not settable by podman create (Docker compatibility)",
                   "KernelMemory": "not settable by podman create (Docker compatibility)",
                   "CpuCount": "Windows only", "CpuPercent": "Windows only",
                   "IOMaximumIOps": "Windows only", "IOMaximumBandwidth": "Windows only"},
}
UNCARRIED_SETTINGS = {
    "": {"Rootfs": ("--rootfs", _unset_or("")), "UseImageHosts": ("--no-hosts", _unset_or(False)),
         "UseImageHostname": ("--no-hostname", _unset_or(False))},
    "Config": {"Timeout": ("--timeout", _unset_or(0)), "ChrootDirs": ("--chrootdirs", _unset_or(None)),
               "Passwd": ("--passwd", lambda value, _record: value is None or value is True),
               "StartupHealthCheck": ("--health-startup-cmd", _unset_or(None)),
               "HealthLogDestination": ("--health-log-destination", _unset_or("local")),
               "HealthcheckMaxLogCount": ("--health-max-log-count", _unset_or(5)),
               "HealthcheckMaxLogSize": ("--health-max-log-size", _unset_or(500)),
               "ExposedPorts": ("--expose", _exposed_beyond_published)},
    "HostConfig": {"VolumesFrom": ("--volumes-from", _unset_or(None)),
                   "IDMappings": ("--uidmap/--gidmap", _unset_or(None)),
                   "BlkioWeightDevice": ("--blkio-weight-device", _unset_or(None)),
                   "BlkioDeviceReadBps": ("--device-read-bps", _unset_or(None)),
                   "BlkioDeviceWriteBps": ("--device-write-bps", _unset_or(None)),
                   "BlkioDeviceReadIOps": ("--device-read-iops", _unset_or(None)),
                   "BlkioDeviceWriteIOps": ("--device-write-iops", _unset_or(None)),
                   "CpuRealtimePeriod": ("--cpu-rt-period", _unset_or(0)),
                   "CpuRealtimeRuntime": ("--cpu-rt-runtime", _unset_or(0)),
                   "CgroupConf": ("--cgroup-conf", _unset_or(None)),
                   "HostsFile": ("--hosts-file", _unset_or("")),
                   "IntelRdtClosID": ("--rdt-class", _unset_or(""))},
}


def _unknown(section: str, record: dict, whole: dict, mapped, not_settings, uncarried) -> list[str]:
    found = []
    for key, value in record.items():
        if key in mapped or key in not_settings:
            continue
        if key in uncarried and uncarried[key][1](value, whole):
            continue
        if key not in uncarried and _unset(value):
            continue
        found.append(f"unknown field {section + '.' if section else ''}{key}")
    return found


def unknown_fields(container: dict) -> list[str]:
    """Fields of a container's inspect record that hold a setting Podhouse does not
    carry: "unknown field HostConfig.X" (see the sets above)."""
    unknown = []
    for section in ("", "Config", "HostConfig"):
        record = container if not section else (container.get(section) or {})
        unknown += _unknown(section, record, container, MAPPED_FIELDS[section], NOT_SETTINGS[section],
                            UNCARRIED_SETTINGS[section])
    return sorted(unknown)


POD_MAPPED_FIELDS = {"Name", "Labels", "Hostname", "CgroupParent", "SharedNamespaces", "InfraConfig", "Containers",
                     "CreateInfra", "InfraContainerID"}
POD_NOT_SETTINGS = {"Id": "identity", "Created": "state", "CreateCommand": "read field by field", "State": "state",
                    "CreateCgroup": "podman's default for a pod with a cgroup parent",
                    "CgroupPath": "derived from the cgroup parent", "NumContainers": "state",
                    "ExitPolicy": "the unit decides --exit-policy", "Namespace": "libpod namespace (deprecated)",
                    "LockNumber": "state", "RestartPolicy": "systemd restarts the pod's service"}
POD_UNCARRIED_SETTINGS = {
    "cpu_period": ("--cpus", _unset_or(0)), "cpu_quota": ("--cpus", _unset_or(0)),
    "cpu_shares": ("--cpu-shares", _unset_or(0)), "cpuset_cpus": ("--cpuset-cpus", _unset_or("")),
    "cpuset_mems": ("--cpuset-mems", _unset_or("")), "mounts": ("--volume", _unset_or(None)),
    "devices": ("--device", _unset_or(None)), "device_read_bps": ("--device-read-bps", _unset_or(None)),
    "device_write_bps": ("--device-write-bps", _unset_or(None)),
    "volumes_from": ("--volumes-from", _unset_or(None)), "security_opt": ("--security-opt", _unset_or(None)),
    "memory_limit": ("--memory", _unset_or(0)), "memory_swap": ("--memory-swap", _unset_or(0)),
    "blkio_weight": ("--blkio-weight", _unset_or(0)),
    "blkio_weight_device": ("--blkio-weight-device", _unset_or(None)),
}
POD_INFRA_MAPPED = {"PortBindings", "HostNetwork", "StaticIP", "StaticMAC", "DNSServer", "DNSSearch", "DNSOption",
                    "NoManageHosts", "HostAdd", "Networks", "userns", "pid_ns", "uts_ns"}
POD_INFRA_NOT_SETTINGS = {"cpu_period": "the pod's --cpus, named at the pod's level",
                          "cpu_quota": "the pod's --cpus, named at the pod's level",
                          "cpuset_cpus": "the pod's --cpuset-cpus, named at the pod's level"}
POD_INFRA_UNCARRIED = {"NoManageResolvConf": ("--dns=none", _unset_or(False)),
                       "NoManageHostname": ("--no-hostname", _unset_or(False)),
                       "HostsFile": ("--hosts-file", _unset_or("")),
                       "NetworkOptions": ("--network-alias / --network options", _unset_or(None))}


def unknown_pod_fields(pod: dict) -> list[str]:
    unknown = _unknown("", pod, pod, POD_MAPPED_FIELDS, POD_NOT_SETTINGS, POD_UNCARRIED_SETTINGS)
    unknown += _unknown("InfraConfig", pod.get("InfraConfig") or {}, pod, POD_INFRA_MAPPED, POD_INFRA_NOT_SETTINGS,
                        POD_INFRA_UNCARRIED)
    return sorted(unknown)


def unknown_flag(field_name: str) -> str:
    """The flag behind "unknown field Section.Key", when the field is a known one ("" if not)."""
    path = field_name.removeprefix("unknown field ").split(": ")[-1]
    section, _, key = path.rpartition(".")
    for table in (UNCARRIED_SETTINGS.get(section, {}), POD_UNCARRIED_SETTINGS if not section else {},
                  POD_INFRA_UNCARRIED if section == "InfraConfig" else {}):
        if key in table:
            return table[key][0]
    return ""
