"""One sample of a container's resource use, as Podman's stats stream gives it.

Podman samples the container's cgroup every `interval` seconds and reports CPU as a
percentage of one CPU over the last interval.  A stopped container is still reported,
with every figure zero: `running` tells the two apart (a running container has at
least one process)."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ContainerStats:
    container_id: str
    name: str
    cpu_percent: float   # of one CPU, over the last interval
    memory_bytes: int
    memory_limit_bytes: int
    pids: int
    net_in_bytes: int
    net_out_bytes: int
    block_in_bytes: int
    block_out_bytes: int

    @property
    def running(self) -> bool:
        return self.pids > 0

    @classmethod
    def from_api(cls, data: dict) -> "ContainerStats":
        def number(key: str) -> int:
            return max(0, int(data.get(key) or 0))

        return cls(container_id=data.get("ContainerID", ""), name=data.get("Name", ""),
                   # the first sample after a start measures against a stale baseline: never below 0
                   cpu_percent=max(0.0, float(data.get("CPU") or 0.0)),
                   memory_bytes=number("MemUsage"), memory_limit_bytes=number("MemLimit"), pids=number("PIDs"),
                   net_in_bytes=number("NetInput"), net_out_bytes=number("NetOutput"),
                   block_in_bytes=number("BlockInput"), block_out_bytes=number("BlockOutput"))

    def as_dict(self) -> dict:
        return {**asdict(self), "running": self.running}
