"""Typed views of what the libpod list endpoints return.

Built from one list call each (no inspect per row): everything a list page shows is
in the list answer.  `raw` keeps the whole record for whoever needs more."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

# Label (or environment variable) podman puts on a container started by a systemd unit.
SYSTEMD_UNIT_LABEL = "PODMAN_SYSTEMD_UNIT"


def parse_time(value) -> datetime | None:
    """Podman gives times as RFC 3339 strings with nanoseconds, or as unix seconds."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc) if value > 0 else None
    text = str(value).replace("Z", "+00:00")
    # Python takes at most 6 fraction digits: cut nanoseconds to microseconds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if moment.year < 1971 else moment


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    host_port: int
    protocol: str = "tcp"
    host_ip: str = ""
    range: int = 1

    @classmethod
    def from_api(cls, data: dict) -> "PortMapping":
        return cls(container_port=int(data.get("container_port") or 0),
                   host_port=int(data.get("host_port") or 0),
                   protocol=data.get("protocol") or "tcp", host_ip=data.get("host_ip") or "",
                   range=int(data.get("range") or 1))

    def __str__(self) -> str:
        host = f"{self.host_ip}:" if self.host_ip else ""
        if self.range > 1:
            return (f"{host}{self.host_port}-{self.host_port + self.range - 1}->"
                    f"{self.container_port}-{self.container_port + self.range - 1}/{self.protocol}")
        return f"{host}{self.host_port}->{self.container_port}/{self.protocol}"

    def as_spec(self) -> dict:
        spec = {"container_port": self.container_port, "host_port": self.host_port,
                "protocol": self.protocol}
        if self.host_ip:
            spec["host_ip"] = self.host_ip
        if self.range > 1:
            spec["range"] = self.range
        return spec


@dataclass
class Container:
    id: str
    name: str
    image: str
    image_id: str
    state: str
    command: list[str]
    created: datetime | None
    started: datetime | None
    exit_code: int
    ports: list[PortMapping]
    pod_id: str
    pod_name: str
    labels: dict[str, str]
    is_infra: bool
    networks: list[str]
    raw: dict = field(repr=False, default_factory=dict)

    @classmethod
    def from_list(cls, data: dict) -> "Container":
        names = data.get("Names") or [data.get("Id", "")[:12]]
        return cls(
            id=data.get("Id", ""), name=names[0], image=data.get("Image", ""),
            image_id=data.get("ImageID", ""), state=(data.get("State") or "unknown").lower(),
            command=list(data.get("Command") or []), created=parse_time(data.get("Created")),
            started=parse_time(data.get("StartedAt")), exit_code=int(data.get("ExitCode") or 0),
            ports=[PortMapping.from_api(p) for p in data.get("Ports") or []],
            pod_id=data.get("Pod") or "", pod_name=data.get("PodName") or "",
            labels=dict(data.get("Labels") or {}), is_infra=bool(data.get("IsInfra")),
            networks=list(data.get("Networks") or []), raw=data)

    @classmethod
    def from_inspect(cls, record: dict, pod: dict | None = None) -> "Container":
        """The same row from an inspect record (one container, O(1) for podman, where a
        filtered list still reads every container).  A member of a pod shows the pod's
        name and published ports, which only the pod's inspect record holds: pass it."""
        config, state, host = record.get("Config") or {}, record.get("State") or {}, record.get("HostConfig") or {}
        pod = pod or {}
        bindings_by_port = host.get("PortBindings") or (pod.get("InfraConfig") or {}).get("PortBindings") or {}
        ports = []
        for container_port, bindings in bindings_by_port.items():
            number, _, protocol = container_port.partition("/")
            for binding in bindings or []:
                ports.append(PortMapping(container_port=int(number), host_port=int(binding.get("HostPort") or 0),
                                         protocol=protocol or "tcp", host_ip=binding.get("HostIp") or ""))
        status = (state.get("Status") or "unknown").lower()
        return cls(
            id=record.get("Id", ""), name=(record.get("Name") or "").lstrip("/"),
            image=record.get("ImageName") or config.get("Image") or "", image_id=record.get("Image") or "",
            state="created" if status == "configured" else status,
            command=list(config.get("Cmd") or []), created=parse_time(record.get("Created")),
            started=parse_time(state.get("StartedAt")), exit_code=int(state.get("ExitCode") or 0),
            ports=ports, pod_id=record.get("Pod") or "", pod_name=pod.get("Name", ""),
            labels=dict(config.get("Labels") or {}),
            is_infra=bool(record.get("IsInfra")),
            networks=sorted((record.get("NetworkSettings") or {}).get("Networks") or {}), raw=record)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def systemd_unit(self) -> str:
        """The unit that runs this container, when a systemd unit started it."""
        return self.labels.get(SYSTEMD_UNIT_LABEL, "")

    @property
    def is_running(self) -> bool:
        return self.state == "running"


def unit_of_inspect(record: dict) -> str:
    """The systemd unit named by an inspect record, as a label or in the environment."""
    config = record.get("Config") or {}
    unit = (config.get("Labels") or {}).get(SYSTEMD_UNIT_LABEL, "")
    if unit:
        return unit
    for entry in config.get("Env") or []:
        key, _, value = entry.partition("=")
        if key == SYSTEMD_UNIT_LABEL:
            return value
    return ""


@dataclass
class PodMember:
    id: str
    name: str
    state: str


@dataclass
class Pod:
    id: str
    name: str
    state: str
    created: datetime | None
    infra_id: str
    members: list[PodMember]
    labels: dict[str, str]
    networks: list[str]
    raw: dict = field(repr=False, default_factory=dict)

    @classmethod
    def from_list(cls, data: dict) -> "Pod":
        members = [PodMember(id=m.get("Id", ""), name=m.get("Names", ""), state=(m.get("Status") or "").lower())
                   for m in data.get("Containers") or []]
        return cls(id=data.get("Id", ""), name=data.get("Name", ""), state=(data.get("Status") or "").lower(),
                   created=parse_time(data.get("Created")), infra_id=data.get("InfraId") or "",
                   members=members, labels=dict(data.get("Labels") or {}),
                   networks=list(data.get("Networks") or []), raw=data)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def infra(self) -> PodMember | None:
        return next((m for m in self.members if m.id == self.infra_id), None)

    @property
    def containers(self) -> list[PodMember]:
        """Members other than the infra container."""
        return [m for m in self.members if m.id != self.infra_id]


@dataclass
class Image:
    id: str
    names: list[str]
    created: datetime | None
    size: int
    containers: int
    labels: dict[str, str]
    dangling: bool
    raw: dict = field(repr=False, default_factory=dict)

    @classmethod
    def from_list(cls, data: dict) -> "Image":
        names = list(data.get("Names") or data.get("RepoTags") or [])
        return cls(id=data.get("Id", ""), names=names, created=parse_time(data.get("Created")),
                   size=int(data.get("Size") or 0), containers=int(data.get("Containers") or 0),
                   labels=dict(data.get("Labels") or {}), dangling=bool(data.get("Dangling")) or not names,
                   raw=data)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def name(self) -> str:
        return self.names[0] if self.names else "<none>"
