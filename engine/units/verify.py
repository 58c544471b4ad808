"""Proving a generated service gives back the same container (or pod) before it is enabled.

The unit will run `podman run ...` (a pod: `podman pod create ...` and one `podman run`
per member).  From exactly those words, read out of the unit text (classic) or out of
the service Quadlet generates (`quadlet -dryrun`), Podhouse creates a *shadow*: the
same container under a temporary name, created and never started.  Its inspect data
and the original's go through the one reader (engine.units.spec), and every field of
the spec is compared.  The shadow is always removed, also on error or cancel.

Shelling out to the podman binary is deliberate here: the unit runs the CLI argv, and
the point is to prove what that argv makes (the REST API would test another path).
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from engine.podman.errors import NotFound, PodmanError
from engine.units.escaping import UnitSyntaxError, split_exec_line
from engine.units.generated import GeneratedUnits
from engine.podman.container_spec import read_container_spec, read_pod_spec
from engine.units.spec import ContainerSpec, PodSpec

CREATE_TIMEOUT = 30.0
SHADOW_MARK = "podhouse-shadow"

# Flags of `podman run` / `podman create` / `podman pod create` that take no value
# (cobra bool flags; `--flag=false` still carries one inline).  Read from podman's
# cmd/podman/common/create.go, netflags.go, containers/run.go and pods/create.go.
BOOLEAN_FLAGS = frozenset({
    "disable-content-trust", "unsetenv-all", "env-host", "http-proxy", "init", "interactive",
    "oom-kill-disable", "privileged", "publish-all", "quiet", "read-only", "read-only-tmpfs", "rm",
    "rootfs", "tty", "replace", "no-healthcheck", "help", "sig-proxy", "rmi", "detach", "passwd",
    "no-hostname", "no-hosts", "infra", "share-parent", "tls-verify"})
SHORT_BOOLEAN_FLAGS = frozenset("itqdP")
SHORT_TO_LONG = {"i": "interactive", "t": "tty", "q": "quiet", "d": "detach", "P": "publish-all"}


class VerifyError(RuntimeError):
    """The unit's own words could not be read or did not create a shadow."""


@dataclass
class Difference:
    label: str
    original: str
    shadow: str

    def __str__(self) -> str:
        return f"{self.label}: {self.original} -> {self.shadow}"


@dataclass
class Verification:
    """What comparing the original with the shadow found.  `compared` counts the
    settings compared (each spec field of the pod and of every container)."""

    compared: int = 0
    differences: list[Difference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # settings the format cannot carry, from the generator
    error: str = ""  # the shadow could not be made: the unit would fail the same way
    shadows: list[str] = field(default_factory=list)  # the temporary names used (all removed)
    # The shadow's removal, under way when verify() was asked not to wait for it:
    # await removed() before the request ends.
    removal: asyncio.Future | None = field(default=None, repr=False, compare=False)

    async def removed(self) -> None:
        if self.removal is not None:
            await asyncio.shield(self.removal)

    @property
    def identical(self) -> bool:
        return not self.error and not self.differences

    @property
    def summary(self) -> str:
        if self.error:
            return f"Not verified: {self.error}"
        if self.differences:
            return f"{len(self.differences)} difference(s) on {self.compared} settings"
        return f"identical on {self.compared} settings"


# -- reading the unit's words --------------------------------------------------------


def service_sections(units: GeneratedUnits, dryrun: str) -> dict[str, str]:
    """service name -> the text of the unit systemd will load: the classic files
    themselves, or each `---NAME.service---` part of Quadlet's -dryrun output."""
    if units.format == "classic":
        return {unit_file.filename: unit_file.text for unit_file in units.files}
    sections: dict[str, str] = {}
    current = None
    for line in dryrun.splitlines():
        if line.startswith("---") and line.endswith("---") and len(line) > 6:
            current = line.strip("-")
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def _service_values(text: str) -> dict[str, list[str]]:
    """Key -> values of the [Service] section (continuation lines joined)."""
    values: dict[str, list[str]] = {}
    section, pending = "", ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        if section == "Service" and "=" in stripped:
            key, _, value = stripped.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def _specifiers(service: str, runtime_dir: str) -> dict[str, str]:
    return {"t": runtime_dir, "n": service, "N": service.removesuffix(".service"),
            "h": os.path.expanduser("~"), "p": service.removesuffix(".service").partition("@")[0]}


def podman_commands(text: str, service: str, runtime_dir: str) -> list[list[str]]:
    """The podman argvs of a unit's ExecStartPre= and ExecStart= lines, as systemd
    will split them (quotes, escapes, specifiers, $VARIABLES from Environment=)."""
    values = _service_values(text)
    environment: dict[str, str] = {}
    specifiers = _specifiers(service, runtime_dir)
    for line in values.get("Environment", []):
        for word in (split_exec_line(line, {}, specifiers) or [[]])[0]:
            key, _, value = word.partition("=")
            environment[key] = value
    commands = []
    for key in ("ExecStartPre", "ExecStart"):
        for line in values.get(key, []):
            # Exec prefixes (-, @, :, +, !) say how systemd runs the line, not what.
            for argv in split_exec_line(line.lstrip("-@:+!"), environment, specifiers):
                if argv and Path(argv[0]).name == "podman":
                    commands.append(argv)
    return commands


@dataclass
class Words:
    """One podman invocation split into its parts: [binary, *verb], options, rest."""

    command: list[str]
    options: list[tuple[str, str | None, str]]  # (long name, value or None, the words as written)
    rest: list[str]                              # image and command (pod create: none)


def split_options(argv: list[str]) -> Words:
    verb_length = 3 if argv[1:3] == ["pod", "create"] else 2
    command, words = argv[:verb_length], argv[verb_length:]
    options: list[tuple[str, str | None, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if word.startswith("--"):
            name, has_value, value = word[2:].partition("=")
            if has_value or name in BOOLEAN_FLAGS:
                options.append((name, value if has_value else None, word))
                i += 1
                continue
        else:
            letters, has_value, value = word[1:].partition("=")
            if not has_value and all(letter in SHORT_BOOLEAN_FLAGS for letter in letters):
                options += [(SHORT_TO_LONG[letter], None, f"-{letter}") for letter in letters]
                i += 1
                continue
            name = word[1]
            if len(word) > 2:  # -eX or -e=X: the value glued to the letter
                glued = word[2:]
                options.append((name, glued[1:] if glued.startswith("=") else glued, word))
                i += 1
                continue
        if i + 1 >= len(words):
            raise VerifyError(f"{word} has no value in the unit's command")
        options.append((name, words[i + 1], f"{word} {words[i + 1]}"))
        i += 2
    return Words(command, options, words[i:])


def _rewrite(words: Words, replacements: dict[str, str | None]) -> list[str]:
    argv = list(words.command)
    for name, value, _written in words.options:
        if name in replacements:
            new = replacements[name]
            if new is not None:
                argv.append(f"--{name}={new}" if name != "pod-id-file" else f"--pod={new}")
        elif len(name) == 1:  # a short flag that takes a value (-e, -v, ...)
            argv += [f"-{name}", value or ""]
        else:
            argv.append(f"--{name}" if value is None else f"--{name}={value}")
    return argv + words.rest


def shadow_run_argv(argv: list[str], shadow_name: str, shadow_pod: str = "") -> list[str]:
    """`podman create` from the unit's `podman run` words, for a shadow never started."""
    words = split_options(argv)
    if words.command[1:] != ["run"]:
        raise VerifyError(f"expected `podman run` in the unit, found {' '.join(words.command)}")
    words.command = [words.command[0], "create"]
    replacements: dict[str, str | None] = {
        "name": shadow_name,
        # The shadow's name is new, so there is nothing to replace; kept, a wrong name
        # could remove a real container.
        "replace": None,
        # --rm and -d are about the unit's life cycle (created fresh at each start,
        # run in the background), not settings of the container; `create` has no -d.
        "rm": None, "detach": None,
        # Files under %t that belong to the real service: the shadow must not touch them.
        "cidfile": None, "conmon-pidfile": None, "pidfile": None,
        # How the unit tells systemd it is ready (the dialog's choice); `container`
        # needs the NOTIFY_SOCKET only systemd provides.
        "sdnotify": None,
    }
    if shadow_pod:
        # The member joins the pod the unit's pod service made, by its id file or
        # name: the shadow joins the shadow pod instead.
        replacements["pod-id-file"] = shadow_pod
        replacements["pod"] = shadow_pod
    return _rewrite(words, replacements)


def shadow_pod_argv(argv: list[str], shadow_pod: str) -> list[str]:
    """`podman pod create` from the unit's words, under the shadow's name."""
    words = split_options(argv)
    names = {name for name, _value, _written in words.options}
    replacements: dict[str, str | None] = {
        "name": shadow_pod, "replace": None,
        # Files under %t that belong to the real pod service.
        "infra-conmon-pidfile": None, "pod-id-file": None,
    }
    if "infra-name" in names:  # a shadow's must not take the real infra container's name
        replacements["infra-name"] = f"{shadow_pod}-infra"
    return _rewrite(words, replacements)


# -- comparing -----------------------------------------------------------------------


def _compared(spec_field: dataclasses.Field) -> bool:
    # The spec's fields say themselves (metadata compare=False) what is not compared:
    # identity (the shadow differs there by construction), what systemd takes over
    # (the restart policy becomes the unit's Restart=), what is no setting (unknown).
    return spec_field.metadata.get("compare", True)


def _label(spec_field: dataclasses.Field) -> str:
    return spec_field.metadata.get("label") or spec_field.name


def _show(value: Any) -> str:
    if value is None:
        return "(the image's)"
    if value == [] or value == () or value == {} or value == "":
        return "(none)"
    if isinstance(value, (list, tuple)):
        return " ".join(_show(v) if not isinstance(v, str) else v for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def compare_specs(original, shadow, prefix: str = "") -> tuple[int, list[Difference]]:
    """(settings compared, differences) over every compared field of the spec's
    dataclass (a dict field key by key): the project's one comparison of two specs
    (the shadow's, and the fidelity tests' of a service's container)."""
    compared, differences = 0, []
    for spec_field in dataclasses.fields(original):
        if not _compared(spec_field):
            continue
        label = prefix + _label(spec_field)
        mine, theirs = getattr(original, spec_field.name), getattr(shadow, spec_field.name)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            for key in sorted(set(mine) | set(theirs)):
                compared += 1
                if mine.get(key) != theirs.get(key):
                    differences.append(Difference(f"{label} {key}", _show(mine.get(key)), _show(theirs.get(key))))
            continue
        compared += 1
        if mine != theirs:
            differences.append(Difference(label, _show(mine), _show(theirs)))
    return compared, differences


# -- the shadow ----------------------------------------------------------------------


SpecReader = Callable[[Any, str, str], Awaitable[ContainerSpec]]


class Shadows:
    """The shadow containers and pod made so far; remove() takes them all away."""

    def __init__(self, client, env: dict[str, str]):
        self.client, self.env = client, env
        self.containers: list[str] = []
        self.pod = ""
        self._running: set[asyncio.Future] = set()

    async def create(self, argv: list[str], name: str, is_pod: bool = False) -> None:
        if is_pod:
            self.pod = name
        else:
            self.containers.append(name)
        proc = await asyncio.create_subprocess_exec(*argv, env=self.env, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        done = asyncio.ensure_future(proc.communicate())
        self._running.add(done)
        try:
            _out, err = await asyncio.wait_for(asyncio.shield(done), CREATE_TIMEOUT)
        finally:
            if done.done():
                self._running.discard(done)
        if proc.returncode != 0:
            what = "pod create" if is_pod else "create"
            raise VerifyError(f"podman {what} from the unit's arguments failed: "
                              f"{err.decode(errors='replace').strip()}")

    async def remove(self) -> None:
        # A create still under way (cancelled caller) finishes first, so that what
        # it makes is removed too.
        for done in list(self._running):
            try:
                await asyncio.wait_for(done, CREATE_TIMEOUT)
            except Exception:  # noqa: BLE001 - its failure was reported, or is moot now
                pass
        for name in self.containers:
            try:
                await self.client.remove_container(name, force=True, volumes=True)  # anonymous volumes only
            except NotFound:
                pass
        if self.pod:
            try:
                await self.client.remove_pod(self.pod, force=True)
            except NotFound:
                pass


def shadow_name(name: str, token: str) -> str:
    return f"{name}-{SHADOW_MARK}-{token}"


async def verify(client, env: dict[str, str], runtime_dir: str, units: GeneratedUnits, dryrun: str,
                 original: ContainerSpec | PodSpec, members: list[ContainerSpec] | None = None,
                 warnings: list[str] | None = None, wait_for_removal: bool = True) -> Verification:
    """Make the shadow from the unit's words, compare it with `original` (a container's
    spec, or a pod's spec with its `members`), and remove it.  Never raises for what
    the unit's words do: a shadow that cannot be made is the Verification's error.
    With `wait_for_removal=False` the removal goes on while the caller does other
    work (the result is known once the shadow is read); the caller awaits
    `removed()` before it is done, and the removal finishes even if it is cancelled."""
    result = Verification(warnings=list(warnings or []))
    shadows = Shadows(client, env)
    token = secrets.token_hex(3)
    try:
        sections = service_sections(units, dryrun)
        if isinstance(original, PodSpec):
            await _verify_pod(shadows, sections, units, runtime_dir, original, members or [], token, result)
        else:
            text = sections.get(units.main_service)
            if text is None:
                raise VerifyError(f"no {units.main_service} in the generated units")
            argv = _only(podman_commands(text, units.main_service, runtime_dir), "run", units.main_service)
            name = shadow_name(original.name, token)
            await shadows.create(shadow_run_argv(argv, name), name)
            shadow = await read_container_spec(client, name)
            result.compared, result.differences = compare_specs(original, shadow)
    except (VerifyError, UnitSyntaxError, PodmanError) as error:
        result.error = str(error)
    except asyncio.TimeoutError:
        result.error = f"podman create from the unit's arguments took longer than {CREATE_TIMEOUT:.0f} s"
    finally:
        result.shadows = [*([shadows.pod] if shadows.pod else []), *shadows.containers]
        result.removal = asyncio.ensure_future(shadows.remove())
        if wait_for_removal:
            await result.removed()
    return result


def _only(commands: list[list[str]], verb: str, service: str) -> list[str]:
    found = [argv for argv in commands if (argv[1:3] == ["pod", "create"] if verb == "pod create"
                                           else argv[1:2] == [verb])]
    if len(found) != 1:
        raise VerifyError(f"expected one `podman {verb}` in {service}, found {len(found)}")
    return found[0]


async def _verify_pod(shadows: Shadows, sections: dict[str, str], units: GeneratedUnits, runtime_dir: str,
                      pod: PodSpec, members: list[ContainerSpec], token: str, result: Verification) -> None:
    pod_service = units.main_service
    if pod_service not in sections:
        raise VerifyError(f"no {pod_service} in the generated units")
    pod_argv = _only(podman_commands(sections[pod_service], pod_service, runtime_dir), "pod create", pod_service)
    shadow_pod = shadow_name(pod.name, token)
    await shadows.create(shadow_pod_argv(pod_argv, shadow_pod), shadow_pod, is_pod=True)
    member_services = units.services[1:]
    if len(member_services) != len(members):
        raise VerifyError(f"{len(members)} member(s) but {len(member_services)} member service(s)")
    names = []
    creations = []
    for member, service in zip(members, member_services):
        if service not in sections:
            raise VerifyError(f"no {service} in the generated units")
        argv = _only(podman_commands(sections[service], service, runtime_dir), "run", service)
        name = shadow_name(member.name, token)
        names.append(name)
        creations.append(shadows.create(shadow_run_argv(argv, name, shadow_pod), name))
    await asyncio.gather(*creations)
    client = shadows.client
    shadow_spec, *shadow_members = await asyncio.gather(
        read_pod_spec(client, shadow_pod), *(read_container_spec(client, n, shadow_pod) for n in names))
    compared, differences = compare_specs(pod, shadow_spec, "pod: ")
    for member, shadow in zip(members, shadow_members):
        count, found = compare_specs(member, shadow, f"{member.name}: ")
        compared += count
        differences += found
    result.compared, result.differences = compared, differences


async def recreate(client, env: dict[str, str], runtime_dir: str, units: GeneratedUnits, dryrun: str,
                   pod_name: str, member_names: list[str]) -> None:
    """Make the pod and its members from the pod service's own words under their own
    names, not started: how an original pod comes back when its service fails
    (podman cannot rename a pod, so it cannot be set aside; the verification proved
    these words give the same pod)."""
    sections = service_sections(units, dryrun)
    pod_service = units.main_service
    pod_argv = _only(podman_commands(sections[pod_service], pod_service, runtime_dir), "pod create", pod_service)
    made = Shadows(client, env)  # the same creation, kept this time
    await made.create(shadow_pod_argv(pod_argv, pod_name), pod_name, is_pod=True)
    for name, service in zip(member_names, units.services[1:]):
        argv = _only(podman_commands(sections[service], service, runtime_dir), "run", service)
        await made.create(shadow_run_argv(argv, name, pod_name), name)
