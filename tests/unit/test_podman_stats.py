"""engine.podman.stats: a sample from Podman's stats record."""
from engine.podman.stats import ContainerStats

RECORD = {"ContainerID": "c1", "Name": "web", "CPU": 12.5, "MemUsage": 643072, "MemLimit": 67108864, "PIDs": 2,
          "NetInput": 656, "NetOutput": 1610, "BlockInput": 4096, "BlockOutput": 0, "AvgCPU": 163.8}


def test_a_running_sample():
    s = ContainerStats.from_api(RECORD)
    assert (s.cpu_percent, s.memory_bytes, s.memory_limit_bytes, s.pids, s.running) == (12.5, 643072, 67108864, 2, True)
    assert s.as_dict()["running"] is True and s.as_dict()["net_out_bytes"] == 1610


def test_a_stopped_container_gives_zeros_and_is_not_running():
    s = ContainerStats.from_api({"ContainerID": "c1", "Name": "web", "CPU": 0, "PerCPU": None, "PIDs": 0})
    assert not s.running and s.memory_bytes == 0 and s.cpu_percent == 0.0


def test_nothing_is_negative_or_missing():
    s = ContainerStats.from_api({"CPU": -3.2, "MemUsage": None, "NetInput": -1})
    assert s.cpu_percent == 0.0 and s.memory_bytes == 0 and s.net_in_bytes == 0 and s.name == ""
