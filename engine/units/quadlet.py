"""Quadlet files (podman-systemd.unit(5)): NAME.container, and NAME.pod with Pod= in
its members.  The generator (podman >= 4.4, or the one the host stack provides)
turns them into NAME.service / NAME-pod.service on daemon-reload.

Every field of the spec is written (engine/units/arguments.py says how): as its
Quadlet key where Quadlet has one, else as PodmanArgs=.  Quadlet here is newer (5.4)
than the podman that runs the containers (4.3), so only keys whose podman flags 4.3
accepts are used.  Keys that take the raw rest of the line get only plain values;
others go through PodmanArgs= as one escaped word each (carried_by_key() is the
rule, and arguments.uncarried() names what it sends to PodmanArgs=).  A pod without
an infra container is refused: Quadlet's pod service follows the infra's conmon.
"""
from __future__ import annotations

import json

from engine.units.arguments import PLAIN_VALUE, Setting, carried_by_key, container_settings, pod_settings
from engine.units.escaping import exec_line, exec_word, quadlet_obstacles, specifier_text
from engine.units.generated import GeneratedUnits, UnitFile, with_marker
from engine.units.options import UnitOptions
from engine.units.spec import ContainerSpec, PodSpec

# A value Quadlet copies verbatim and systemd then reads back verbatim.
SDNOTIFY_KEYS = {"conmon": [], "container": ["Notify=true"], "healthy": ["Notify=healthy"]}


class QuadletUnsupported(ValueError):
    """The container cannot be written as a Quadlet file without changing it."""


def service_name(unit_name: str) -> str:
    return f"{unit_name}.service"


def pod_service_name(unit_name: str) -> str:
    return f"{unit_name}-pod.service"


def _setting_lines(settings: list[Setting], pod: bool = False) -> list[str]:
    lines, podman_args = [], []
    for setting in settings:
        if carried_by_key(setting, pod) and setting.quadlet_words:
            lines.append(f"{setting.quadlet_key}={exec_word(setting.quadlet_value)}")
        elif carried_by_key(setting, pod):
            lines.append(f"{setting.quadlet_key}={setting.quadlet_value}")
        else:
            podman_args.append(exec_line(list(setting.args)))
    return lines + [f"PodmanArgs={args}" for args in podman_args]


def entrypoint_argument(entrypoint: list[str]) -> str:
    """podman's --entrypoint takes one word or a JSON array."""
    if len(entrypoint) == 1:
        return f"--entrypoint={entrypoint[0]}"
    return f"--entrypoint={json.dumps(entrypoint, ensure_ascii=False)}"


def container_text(spec: ContainerSpec, options: UnitOptions, pod_unit: str = "") -> str:
    obstacles = quadlet_obstacles(spec.command or [])
    if obstacles:
        raise QuadletUnsupported(f"the command of {spec.name} has " + " and ".join(obstacles))
    settings = container_settings(spec)
    if options.auto_update:
        settings = [s for s in settings if not s.quadlet_value.startswith("io.containers.autoupdate=")]
    lines = ["[Unit]", f"Description={specifier_text(f'Podman container {spec.name}')}",
             *options.unit_lines(), "", "[Container]"]
    lines += [f"Image={spec.image}" if PLAIN_VALUE.fullmatch(spec.image) else f"Image={exec_word(spec.image)}",
              f"ContainerName={spec.name}"]
    if pod_unit:
        lines.append(f"Pod={pod_unit}.pod")
    lines += SDNOTIFY_KEYS[options.sdnotify]
    if options.auto_update:
        lines.append(f"AutoUpdate={options.auto_update}")
    lines += _setting_lines(settings)
    if spec.cgroup_parent:  # Quadlet's default --cgroups=split refuses a cgroup parent
        lines.append("CgroupsMode=no-conmon")
    if spec.entrypoint is not None:
        lines.append(f"PodmanArgs={exec_word(entrypoint_argument(spec.entrypoint))}")
    if spec.command:
        lines.append(f"Exec={exec_line(spec.command)}")
    # podman 4.3's `rm --cidfile` leaves the file, and `run --cidfile` refuses an existing one.
    lines += ["", "[Service]", "ExecStartPre=-/bin/rm -f %t/%N.cid", *options.service_lines(spec.restart_policy)]
    if not pod_unit:  # a member starts with its pod, through the pod's Wants=
        lines += options.install_lines()
    main = pod_service_name(pod_unit) if pod_unit else service_name(options.unit_name)
    return with_marker("\n".join(lines) + "\n", f"container {spec.name}", main)


def for_container(spec: ContainerSpec, options: UnitOptions) -> GeneratedUnits:
    if spec.pod:
        raise QuadletUnsupported(f"{spec.name} belongs to pod {spec.pod}: generate the pod's service instead")
    text = container_text(spec, options)
    service = service_name(options.unit_name)
    return GeneratedUnits("quadlet", [UnitFile("quadlet", f"{options.unit_name}.container", text)],
                          service, [service])


def for_pod(pod: PodSpec, members: list[ContainerSpec], options: UnitOptions) -> GeneratedUnits:
    if not pod.infra:
        raise QuadletUnsupported(f"pod {pod.name} has no infra container, and Quadlet's pod service "
                                 "follows the infra container's conmon")
    lines = ["[Unit]", f"Description={specifier_text(f'Podman pod {pod.name}')}", *options.unit_lines(),
             "", "[Pod]", f"PodName={pod.name}"]
    lines += _setting_lines(pod_settings(pod), pod=True)
    lines += ["", "[Service]", "ExecStartPre=-/bin/rm -f %t/%N.pid %t/%N.pod-id",
              *options.service_lines(), *options.install_lines()]
    files = [UnitFile("quadlet", f"{options.unit_name}.pod",
                      with_marker("\n".join(lines) + "\n", f"pod {pod.name}",
                                                  pod_service_name(options.unit_name)))]
    services = [pod_service_name(options.unit_name)]
    for member in members:
        files.append(UnitFile("quadlet", f"{member.name}.container",
                              container_text(member, options.for_member(member.name), pod_unit=options.unit_name)))
        services.append(service_name(member.name))
    return GeneratedUnits("quadlet", files, services[0], services)
