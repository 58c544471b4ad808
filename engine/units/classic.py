"""Classic unit files in the shape of `podman generate systemd --new`: the unit runs
`podman run --replace` itself, so the container is created fresh on each start.

Every field of the spec is written as podman arguments (engine/units/arguments.py).
A pod is a pod unit (pod create with --infra-conmon-pidfile and --pod-id-file,
Type=forking, PIDFile=; a pod without infra: Type=oneshot, RemainAfterExit=) plus one unit per member tied to it with BindsTo= and
After=; the pod unit Wants= and comes Before= its members.
"""
from __future__ import annotations

from engine.units.arguments import container_settings, pod_settings
from engine.units.escaping import exec_line, specifier_text
from engine.units.generated import GeneratedUnits, UnitFile, with_marker
from engine.units.options import UnitOptions
from engine.units.quadlet import entrypoint_argument, pod_service_name, service_name
from engine.units.spec import ContainerSpec, PodSpec

PODMAN = "/usr/bin/podman"


def run_argv(spec: ContainerSpec, options: UnitOptions, pod_service: str = "") -> tuple[list[str], list[str]]:
    """(our words, whose specifiers %t/%n stay live; the container's words, escaped)."""
    fixed = [PODMAN, "run", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon", "--rm",
             f"--sdnotify={options.sdnotify}", "-d", "--replace"]
    if pod_service:
        fixed.append(f"--pod-id-file=%t/{pod_service}.pod-id")
    argv = [f"--name={spec.name}"]
    for setting in container_settings(spec):
        if options.auto_update and setting.quadlet_value.startswith("io.containers.autoupdate="):
            continue
        argv += setting.args
    if options.auto_update:
        argv += ["--label", f"io.containers.autoupdate={options.auto_update}"]
    if spec.entrypoint is not None:
        argv.append(entrypoint_argument(spec.entrypoint))
    argv.append(spec.image)
    return fixed, argv + list(spec.command or [])


def command_line(words: tuple[list[str], list[str]]) -> str:
    fixed, values = words
    return " ".join(fixed) + " " + exec_line(values)


def container_text(spec: ContainerSpec, options: UnitOptions, pod_service: str = "") -> str:
    lines = ["[Unit]", f"Description={specifier_text(f'Podman container {spec.name}')}",
             "Documentation=man:podman-generate-systemd(1)",
             "Wants=network-online.target", "After=network-online.target",
             "RequiresMountsFor=%t/containers"]
    if pod_service:
        lines += [f"BindsTo={pod_service}", f"After={pod_service}"]
    lines += options.unit_lines()
    stop = options.stop_timeout
    lines += ["", "[Service]", "Environment=PODMAN_SYSTEMD_UNIT=%n", *options.service_lines(spec.restart_policy),
              # A cidfile left by a killed run would make `podman run --cidfile` refuse.
              "ExecStartPre=/bin/rm -f %t/%n.ctr-id",
              f"ExecStart={command_line(run_argv(spec, options, pod_service))}",
              f"ExecStop={PODMAN} stop --ignore -t {stop} --cidfile=%t/%n.ctr-id",
              f"ExecStopPost=-{PODMAN} rm -f --ignore -t {stop} --cidfile=%t/%n.ctr-id",
              "Type=notify", "NotifyAccess=all"]
    if not pod_service:
        lines += options.install_lines()
    return with_marker("\n".join(lines) + "\n", f"container {spec.name}",
                       pod_service or service_name(options.unit_name))


def for_container(spec: ContainerSpec, options: UnitOptions) -> GeneratedUnits:
    service = service_name(options.unit_name)
    return GeneratedUnits("classic", [UnitFile("unit", service, container_text(spec, options))], service, [service])


def pod_create_argv(pod: PodSpec) -> tuple[list[str], list[str]]:
    fixed = [PODMAN, "pod", "create", *(["--infra-conmon-pidfile=%t/%n.pid"] if pod.infra else []),
             "--pod-id-file=%t/%n.pod-id", "--exit-policy=stop", "--replace"]
    argv = [f"--name={pod.name}"]
    for setting in pod_settings(pod):
        argv += setting.args
    return fixed, argv


def _pod_service_lines(pod: PodSpec, stop: int) -> list[str]:
    """A pod with an infra container is a forking service that follows the infra's
    conmon; one without has nothing to follow: a oneshot that stays active."""
    stop_lines = [f"ExecStop={PODMAN} pod stop --ignore --pod-id-file=%t/%n.pod-id -t {stop}",
                  f"ExecStopPost=-{PODMAN} pod rm --ignore -f --pod-id-file=%t/%n.pod-id"]
    if pod.infra:
        return ["ExecStartPre=/bin/rm -f %t/%n.pid %t/%n.pod-id",
                f"ExecStartPre={command_line(pod_create_argv(pod))}",
                f"ExecStart={PODMAN} pod start --pod-id-file=%t/%n.pod-id",
                *stop_lines, "PIDFile=%t/%n.pid", "Type=forking"]
    return ["ExecStartPre=/bin/rm -f %t/%n.pod-id",
            f"ExecStart={command_line(pod_create_argv(pod))}",
            *stop_lines, "Type=oneshot", "RemainAfterExit=yes"]


def for_pod(pod: PodSpec, members: list[ContainerSpec], options: UnitOptions) -> GeneratedUnits:
    pod_service = pod_service_name(options.unit_name)
    member_services = [service_name(m.name) for m in members]
    stop = options.stop_timeout
    lines = ["[Unit]", f"Description={specifier_text(f'Podman pod {pod.name}')}",
             "Documentation=man:podman-generate-systemd(1)",
             "Wants=network-online.target", "After=network-online.target",
             "RequiresMountsFor=%t/containers",
             *[f"Wants={s}" for s in member_services], *[f"Before={s}" for s in member_services],
             *options.unit_lines(),
             "", "[Service]", "Environment=PODMAN_SYSTEMD_UNIT=%n", *options.service_lines(),
             *_pod_service_lines(pod, stop), *options.install_lines()]
    files = [UnitFile("unit", pod_service, with_marker("\n".join(lines) + "\n", f"pod {pod.name}", pod_service))]
    for member, service in zip(members, member_services):
        files.append(UnitFile("unit", service, container_text(member, options.for_member(member.name), pod_service)))
    return GeneratedUnits("classic", files, pod_service, [pod_service, *member_services])
