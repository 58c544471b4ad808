"""Choosing the format: Quadlet where the generator exists and can carry the
container unchanged, classic otherwise (or when asked)."""
from __future__ import annotations

from engine.units import classic, quadlet
from engine.units.generated import GeneratedUnits
from engine.units.options import UnitOptions
from engine.units.spec import ContainerSpec, PodSpec


class FormatUnavailable(ValueError):
    pass


def _pick(options: UnitOptions, quadlet_available: bool, build_quadlet, build_classic) -> GeneratedUnits:
    if options.format == "classic":
        return build_classic()
    if options.format == "quadlet" and not quadlet_available:
        raise FormatUnavailable("this host has no Quadlet generator (podman >= 4.4 or the host stack's); "
                                "choose classic or auto")
    if not quadlet_available:
        units = build_classic()
        units.notes.append("classic units: this host has no Quadlet generator")
        return units
    try:
        return build_quadlet()
    except quadlet.QuadletUnsupported as error:
        if options.format == "quadlet":
            raise FormatUnavailable(f"Quadlet cannot carry this unchanged: {error}; choose classic or auto") from None
        units = build_classic()
        units.notes.append(f"classic units: {error}")
        return units


def for_container(spec: ContainerSpec, options: UnitOptions, quadlet_available: bool) -> GeneratedUnits:
    return _pick(options, quadlet_available, lambda: quadlet.for_container(spec, options),
                 lambda: classic.for_container(spec, options))


def for_pod(pod: PodSpec, members: list[ContainerSpec], options: UnitOptions,
            quadlet_available: bool) -> GeneratedUnits:
    return _pick(options, quadlet_available, lambda: quadlet.for_pod(pod, members, options),
                 lambda: classic.for_pod(pod, members, options))
