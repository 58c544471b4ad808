"""Keeping containers current, with Podman's auto-update semantics, done by Podhouse.

`podman auto-update` dials the system manager, which the embedded stack does not
have (docs/host-stack.md), so Podhouse does what it does through the clients it
already has: engine.autoupdate decides, this module acts.

- check: the registry policy asks the registry for the manifest the reference
  names now (engine.registry, as `podman auto-update --dry-run` does) and compares
  its digest with the container's image's; local looks the reference up in local
  storage.  A check pulls nothing and moves no tag, so an unrelated restart of the
  unit still runs the same image.
- update: the same; when due, pull (registry), then restart the container's unit;
  when the restart fails, or the unit does not come back running the new image,
  tag the previous image back to the reference and restart again ("rolled back",
  with systemd's reason).
- roll back by hand: an update that worked but is bad goes back to the image it
  replaced, from the record kept of it (dashboard.models.UpdateRecord).

The old image is never pruned here: a roll back needs it.

Checks and updates run as jobs of this process (dashboard.live.progress): each line
names its container, the page follows them over a websocket."""
from __future__ import annotations

from channels.db import database_sync_to_async

from dashboard import audit
from dashboard.flows import services
from dashboard.models import UpdateRecord
from dashboard.host.podman_clients import client_for
from dashboard.live.progress import ProgressJob, ProgressJobs
from dashboard.host.scopes import Scope, available_scopes
from dashboard.host.systemd import SERVICE_RESULT_REASONS, SystemdError, manager_for
from engine import autoupdate, registry
from engine.autoupdate import Candidate, Outcome, short_id
from engine.podman import NotFound, PodmanError

CHECK, UPDATE = "check", "update"
MODES = (CHECK, UPDATE)
# A restart counts as worked when the unit is still active, running the new image,
# this long after systemd's job was done (podman's own auto-update trusts the job).
SETTLE = 3.0

jobs = ProgressJobs("update")


class UpdateError(RuntimeError):
    """A roll back (or update) Podhouse refuses, with the reason in words."""


async def read_candidates(scope_name: str) -> list[Candidate]:
    """Every container of the scope that takes part, those that cannot be updated too."""
    return autoupdate.candidates(await client_for(scope_name).list_containers(all=True))


async def _nothing(message: str) -> None:
    pass


def _registry_env(scope_name: str) -> dict[str, str]:
    """The environment podman's auth and registries files are looked up in."""
    return available_scopes()[scope_name].child_env()


def _registry_credentials(env, candidate: Candidate, reference: str = "") -> tuple[str, str] | None:
    """The credentials podman would use for the registry asked: from the container's
    authfile label, else from podman's default auth files."""
    ref = registry.parse_reference(reference or candidate.reference)
    return registry.credentials_for(ref, registry.auth_file_paths(env, explicit=candidate.authfile))


def _where_to_ask(env, candidate: Candidate, tls_verify: bool) -> tuple[str, bool]:
    """The reference to ask for and whether with TLS checked, as registries.conf
    says (a blocked registry is refused in words)."""
    asked, rule = registry.resolve(candidate.reference,
                                   registry.read_rules(registry.registries_conf_paths(env)))
    if rule and rule.blocked:
        raise registry.RegistryError(f"{rule.prefix} is blocked in registries.conf")
    return asked, tls_verify and not (rule and rule.insecure)


async def _registry_check(scope_name: str, candidate: Candidate, say, tls_verify: bool) -> Outcome:
    """Ask the registry for the manifest the reference names now and compare its
    digest with the container's image: nothing is pulled, no tag moves."""
    try:
        local = await client_for(scope_name).inspect_image(candidate.image_id)
    except NotFound:
        local = {}
    platform = registry.Platform(local.get("Os") or "linux", local.get("Architecture") or "amd64",
                                 local.get("Variant") or "")
    env = _registry_env(scope_name)
    asked, verify = _where_to_ask(env, candidate, tls_verify)
    await say(f"asking {registry.parse_reference(asked).registry} for {asked}"
              + ("" if verify else " (without TLS checks)"))
    remote = await registry.manifest_digest(asked, platform=platform, tls_verify=verify,
                                            creds=_registry_credentials(env, candidate, asked))
    if remote in registry.local_digests(local):
        return Outcome(candidate.name, candidate.unit, autoupdate.UP_TO_DATE,
                       f"{candidate.reference} is still {short_digest(remote)} on the registry, the image "
                       f"the container runs ({candidate.short_image_id}).", candidate.image_id, candidate.image_id)
    return Outcome(candidate.name, candidate.unit, autoupdate.DUE,
                   f"{candidate.reference} is {short_digest(remote)} on the registry; the container runs "
                   f"{candidate.short_image_id}, which is not it. Update pulls it.", candidate.image_id)


async def pull_new_image(scope_name: str, candidate: Candidate, say=_nothing, tls_verify: bool = True) -> str:
    """Pull the reference again (podman's progress said line by line): the image ID it names now."""
    creds = _registry_credentials(_registry_env(scope_name), candidate)
    image_id = ""
    async for step in client_for(scope_name).pull_image(
            candidate.reference, tls_verify=tls_verify,
            registry_auth=registry.registry_auth_header(creds) if creds else ""):
        if step.done:
            image_id = step.image_id
        else:
            await say(step.message)
    return image_id


async def _local_image(scope_name: str, candidate: Candidate) -> str:
    """The ID of the image the reference names in local storage, "" when absent."""
    try:
        return (await client_for(scope_name).inspect_image(candidate.reference))["Id"]
    except NotFound:
        return ""


async def check(scope_name: str, candidate: Candidate, say=_nothing, tls_verify: bool = True) -> Outcome:
    """Is an update due?  Nothing restarts, nothing is pulled, no tag moves."""
    try:
        if candidate.policy == "registry":
            return await _registry_check(scope_name, candidate, say, tls_verify)
        return _compare(candidate, await _local_image(scope_name, candidate))
    except (PodmanError, registry.RegistryError) as error:
        return Outcome(candidate.name, candidate.unit, autoupdate.FAILED, f"Could not check: {error}",
                       candidate.image_id)


def _compare(candidate: Candidate, available: str) -> Outcome:
    """The container's image against the image ID the reference names here."""
    if not available:
        return Outcome(candidate.name, candidate.unit, autoupdate.UP_TO_DATE,
                       f"No image is called {candidate.reference} here: nothing to update to.", candidate.image_id)
    if autoupdate.update_due(candidate.image_id, available):
        return Outcome(candidate.name, candidate.unit, autoupdate.DUE,
                       f"{candidate.reference} is now {short_id(available)}; the container runs "
                       f"{candidate.short_image_id}.", candidate.image_id, available)
    return Outcome(candidate.name, candidate.unit, autoupdate.UP_TO_DATE,
                   f"{candidate.reference} is still {short_id(available)}.", candidate.image_id, available)


def short_digest(digest: str) -> str:
    return digest[:len("sha256:") + 12]


async def _running_image(scope_name: str, container: str) -> str:
    """The image ID of the container of that name when it runs, else ""."""
    try:
        record = await client_for(scope_name).inspect_container(container)
    except PodmanError:
        return ""
    return record.get("Image", "") if (record.get("State") or {}).get("Running") else ""


async def restart_unit(scope: Scope, unit: str, container: str, expected_image: str) -> tuple[bool, str]:
    """Restart the unit and tell whether it came back running `expected_image`,
    with systemd's words (or what went wrong after a job that said done)."""
    async with manager_for(scope) as manager:
        try:
            # A failed unit would not start again, and a container that failed in a
            # loop (Restart=on-failure) has used up the unit's start limit: reset both.
            await manager.reset_failed(unit)
            job = await manager.restart(unit)
            state = await manager.active_state(unit)
        except SystemdError as error:
            return False, f"systemd refused to restart {unit}: {error}"
        if job.ok and state == "active":
            # conmon said ready as the container started; a container that ends at
            # once fails its unit a moment later: the unit must stay active a while.
            state = await services.wait_while_active(manager, unit, timeout=SETTLE)
        running = await _running_image(scope.name, container)
        if autoupdate.restart_worked(job.ok, state, running, expected_image):
            return True, job.message
        if not job.ok:
            return False, job.message
        if state != "active" or not running:
            return False, f"{unit} restarted, but its container ended at once ({state}{await _why(manager, unit)})."
    return False, (f"{unit} is active, but its container runs {short_id(running) or 'nothing'}, "
                   f"not {short_id(expected_image)}.")


async def _why(manager, unit: str) -> str:
    """systemd's reason a service ended, in systemctl's words ("" when it has none)."""
    try:
        props = await manager.unit_properties(unit)
    except SystemdError:
        return ""
    reason = SERVICE_RESULT_REASONS.get(props.get("Result", ""))
    status = props.get("ExecMainStatus")
    return (f": {reason}" if reason else "") + (f", exit status {status}" if status else "")


async def _point_and_restart(scope: Scope, candidate_name: str, unit: str, reference: str,
                             image_id: str) -> tuple[bool, str]:
    """Tag `image_id` to the reference again, then restart the unit on it."""
    repository, tag = autoupdate.split_reference(reference)
    try:
        await client_for(scope.name).tag_image(image_id, repository, tag)
    except PodmanError as error:
        return False, f"Could not tag {short_id(image_id)} as {reference}: {error}"
    return await restart_unit(scope, unit, candidate_name, image_id)


async def update(scope: Scope, candidate: Candidate, say=_nothing, tls_verify: bool = True) -> Outcome:
    """Check, and when due restart the unit; roll back when that fails."""
    if not candidate.can_update:
        return Outcome(candidate.name, candidate.unit, autoupdate.FAILED, candidate.problem, candidate.image_id)
    checked = await check(scope.name, candidate, say, tls_verify)
    if checked.result != autoupdate.DUE:
        return checked
    if candidate.policy == "registry":
        try:
            checked = _compare(candidate, await pull_new_image(scope.name, candidate, say, tls_verify))
        except (PodmanError, registry.RegistryError) as error:
            return Outcome(candidate.name, candidate.unit, autoupdate.FAILED, f"Could not pull: {error}",
                           candidate.image_id)
        if checked.result != autoupdate.DUE:  # the registry's new manifest is the same image
            return checked
    old, new = candidate.image_id, checked.new_image_id
    await say(f"{candidate.reference}: {short_id(old)} → {short_id(new)}; restarting {candidate.unit}")
    worked, message = await restart_unit(scope, candidate.unit, candidate.name, new)
    if worked:
        return Outcome(candidate.name, candidate.unit, autoupdate.UPDATED,
                       f"{message} {candidate.name} now runs {short_id(new)}.", old, new)
    await say(f"{message} Rolling back to {short_id(old)}.")
    back, how = await _point_and_restart(scope, candidate.name, candidate.unit, candidate.reference, old)
    if back:
        return Outcome(candidate.name, candidate.unit, autoupdate.ROLLED_BACK,
                       f"{message} Rolled back: {candidate.name} runs {short_id(old)} again.", old, new)
    return Outcome(candidate.name, candidate.unit, autoupdate.FAILED,
                   f"{message} The roll back to {short_id(old)} failed too: {how}", old, new)


# The jobs outlive their request: each reach for the database closes its connection
# after it (channels' database_sync_to_async), as a consumer's would.

@database_sync_to_async
def _remember(scope: str, username: str, candidate_reference: str, outcome: Outcome,
              action: str = "update") -> UpdateRecord:
    return UpdateRecord.objects.create(
        scope=scope, username=username, unit=outcome.unit, container=outcome.container,
        reference=candidate_reference, old_image_id=outcome.old_image_id, new_image_id=outcome.new_image_id,
        action=action, outcome=outcome.result, message=outcome.message)


@database_sync_to_async
def _record(scope: str, record_id: int) -> UpdateRecord | None:
    return UpdateRecord.objects.filter(pk=record_id, scope=scope).first()


_audit = database_sync_to_async(audit.record)


async def roll_back(scope: Scope, record_id: int, user) -> Outcome:
    """Go back to the image an update replaced: tag it to the reference again and
    restart the unit.  Refused (UpdateError) when that image is gone."""
    record = await _record(scope.name, record_id)
    if record is None:
        raise UpdateError(f"There is no update {record_id} in the {scope.name} scope.")
    if record.action != "update" or record.outcome != autoupdate.UPDATED:
        raise UpdateError(f"Only an update that worked can be rolled back; this one was {record.outcome}.")
    client = client_for(scope.name)
    if not await client.image_exists(record.old_image_id):
        raise UpdateError(f"The image {short_id(record.old_image_id)} that {record.container} ran before this "
                          f"update no longer exists (removed or pruned): there is nothing to roll back to.")
    running = await _running_image(scope.name, record.container)
    worked, message = await _point_and_restart(scope, record.container, record.unit, record.reference,
                                               record.old_image_id)
    outcome = Outcome(record.container, record.unit, autoupdate.ROLLED_BACK if worked else autoupdate.FAILED,
                      (f"{message} {record.container} runs {short_id(record.old_image_id)} again."
                       if worked else f"Roll back to {short_id(record.old_image_id)} failed: {message}"),
                      running or record.new_image_id, record.old_image_id)
    await _remember(scope.name, getattr(user, "username", ""), record.reference, outcome, action="roll back")
    return outcome


# -- jobs: a check or an update of some containers, followed by the page -----------------

def start(job_id: str, mode: str, scope: Scope, chosen: list[Candidate], user,
          tls_verify: bool = True) -> ProgressJob:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    job = ProgressJob(job_id, scope.name, info={"mode": mode, "containers": chosen})
    return jobs.start(job, lambda job: _run(job, mode, scope, chosen, user, tls_verify))


async def _run(job: ProgressJob, mode: str, scope: Scope, chosen: list[Candidate], user, tls_verify: bool) -> None:
    outcomes: list[Outcome] = []
    try:
        for candidate in chosen:
            outcome = await _one(job, mode, scope, candidate, tls_verify)
            outcomes.append(outcome)
            await _keep(mode, scope, user, candidate, outcome)
    finally:
        # the page is told the job ended, whatever happened
        await jobs.emit(job, finished=True, message=autoupdate.summary(outcomes) or "nothing done",
                        scope=scope.name)


async def _keep(mode: str, scope: Scope, user, candidate: Candidate, outcome: Outcome) -> None:
    """The history record of an update that did something, and the audit entry."""
    if mode == UPDATE and outcome.result in (autoupdate.UPDATED, autoupdate.ROLLED_BACK, autoupdate.FAILED):
        await _remember(scope.name, getattr(user, "username", ""), candidate.reference, outcome)
    await _audit(user, f"autoupdate-{mode}", scope=scope.name, target=candidate.name,
                 result="ok" if outcome.ok else outcome.result.replace(" ", "-"),
                 detail=f"{outcome.result}: {outcome.message}")


async def _guarded(mode: str, scope: Scope, candidate: Candidate, say, tls_verify: bool) -> Outcome:
    try:
        if mode == CHECK:
            return await check(scope.name, candidate, say, tls_verify)
        return await update(scope, candidate, say, tls_verify)
    except Exception as error:  # one container's trouble must not stop the others
        return Outcome(candidate.name, candidate.unit, autoupdate.FAILED, f"{type(error).__name__}: {error}",
                       candidate.image_id)


async def _one(job: ProgressJob, mode: str, scope: Scope, candidate: Candidate, tls_verify: bool) -> Outcome:
    async def say(message: str) -> None:
        await jobs.emit(job, container=candidate.id, message=message)

    await say("checking…" if mode == CHECK else "checking, then updating if due…")
    outcome = await _guarded(mode, scope, candidate, say, tls_verify)
    await jobs.emit(job, container=candidate.id, outcome=outcome.result, message=outcome.message,
                    image=short_id(outcome.new_image_id))
    return outcome


async def update_scope(scope: Scope, user, say_line, tls_verify: bool = True) -> list[Outcome]:
    """Update every container of the scope that can be (the schedule's run, through
    `manage.py autoupdate`): each line said names its container."""
    outcomes = []
    for candidate in [c for c in await read_candidates(scope.name) if c.can_update]:
        async def say(message: str, name: str = candidate.name) -> None:
            await say_line(f"{name}: {message}")

        outcome = await _guarded(UPDATE, scope, candidate, say, tls_verify)
        await say(f"{outcome.result}: {outcome.message}")
        await _keep(UPDATE, scope, user, candidate, outcome)
        outcomes.append(outcome)
    return outcomes
