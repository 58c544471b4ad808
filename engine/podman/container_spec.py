"""What a person asks for when creating a container, checked before podman is called,
and turned into a libpod SpecGenerator.  Also the reverse (settings from an inspect
record) so that "edit" can recreate a container with changed settings.

Validation collects every problem by field, so a form can show each message beside
its field and create nothing."""
from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, fields

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
    """The settings that recreate the inspected container (for edit).  Values the image
    itself supplies (its CMD, ENTRYPOINT, ENV) are left out when image_config is given,
    so a recreated container still follows its image."""
    config = record.get("Config") or {}
    host = record.get("HostConfig") or {}
    image_config = image_config or {}
    image_env = set(image_config.get("Env") or [])
    env = [e for e in config.get("Env") or [] if e not in image_env
           and not e.startswith(("PATH=", "container=", "HOSTNAME=", "HOME=", "TERM="))]
    ports = []
    for container_port, bindings in (host.get("PortBindings") or {}).items():
        number, _, proto = container_port.partition("/")
        for binding in bindings or []:
            ip = binding.get("HostIp") or ""
            prefix = f"{ip}:" if ip and ip not in ("0.0.0.0", "::") else ""
            ports.append(f"{prefix}{binding.get('HostPort') or ''}:{number}/{proto or 'tcp'}".replace("::", ":"))
    volumes = []
    for mount in record.get("Mounts") or []:
        source = mount.get("Name") if mount.get("Type") == "volume" else mount.get("Source")
        option = "" if mount.get("RW", True) else ":ro"
        volumes.append(f"{source}:{mount.get('Destination')}{option}")
    restart = host.get("RestartPolicy") or {}
    policy = restart.get("Name") or "no"
    memory = host.get("Memory") or 0
    quota, period = host.get("CpuQuota") or 0, host.get("CpuPeriod") or CPU_PERIOD
    health = config.get("Healthcheck") or {}
    test = health.get("Test") or []
    image_cmd = image_config.get("Cmd") or []
    image_entrypoint = image_config.get("Entrypoint") or []
    labels = {k: v for k, v in (config.get("Labels") or {}).items() if k not in (image_config.get("Labels") or {})}
    network = ""
    mode = host.get("NetworkMode") or ""
    if mode in ("host", "none"):
        network = mode
    elif mode and mode not in ("bridge", "default", "slirp4netns", "private") and not mode.startswith("container:"):
        network = mode
    command = config.get("Cmd") or []
    entrypoint = config.get("Entrypoint") or []
    if isinstance(entrypoint, str):
        entrypoint = [entrypoint]

    def nanos(value) -> str:
        if not value:
            return ""
        millis = int(value) // 1_000_000
        return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"

    return ContainerSettings(
        image=config.get("Image") or record.get("ImageName") or "",
        name=(record.get("Name") or "").lstrip("/"),
        command="" if command == image_cmd else _join_words(command),
        entrypoint="" if entrypoint == image_entrypoint else _join_words(entrypoint),
        env="\n".join(env), ports="\n".join(ports), volumes="\n".join(volumes),
        labels="\n".join(f"{k}={v}" for k, v in sorted(labels.items())),
        restart_policy=policy if policy in RESTART_POLICIES else "no",
        restart_tries=str(restart.get("MaximumRetryCount")) if policy == "on-failure" and restart.get("MaximumRetryCount") else "",
        memory=_size_text(memory) if memory else "",
        cpus=f"{quota / period:g}" if quota > 0 else "",
        health_cmd=test[1] if len(test) > 1 and test[0] == "CMD-SHELL" else _join_words(test[1:]) if test[:1] == ["CMD"] else "",
        health_interval=nanos(health.get("Interval")), health_timeout=nanos(health.get("Timeout")),
        health_retries=str(health.get("Retries") or "") if test else "",
        health_start_period=nanos(health.get("StartPeriod")),
        log_driver=(host.get("LogConfig") or {}).get("Type") or DEFAULT_LOG_DRIVER,
        network=network, user=config.get("User") or "", workdir=config.get("WorkingDir") if config.get("WorkingDir") not in ("", "/") else "",
        systemd=_systemd_mode(bool(config.get("SystemdMode")), list(entrypoint) + list(command)),
        sdnotify=config.get("sdNotifyMode") or config.get("SdNotifyMode") or "container",
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
