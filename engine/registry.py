"""Which image a tag names on its registry now, asked without pulling it.

What `podman auto-update --dry-run` asks: the distribution API's manifest of
/v2/<repository>/manifests/<tag>, by its Docker-Content-Digest.  A manifest list
(multi-arch) is narrowed to the entry for the local image's platform, since podman
stores and compares that entry's digest.

Credentials come from a containers-auth.json(5) file, the way podman looks for it;
the registry's Bearer-token or Basic challenge is answered with them (or
anonymously).  Credential helpers (credHelpers, credsStore) are not run.
containers-registries.conf(5) decides where a reference is asked (a prefix
rewritten to its location), whether without TLS (insecure) or not at all
(blocked); its mirrors are not followed.

No Django here; the only I/O is the registry's HTTP and reading the auth and
registries.conf files.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import httpx

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
LISTS = (OCI_INDEX, DOCKER_LIST)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
# the key `docker login` writes for Docker Hub
DOCKER_HUB_LEGACY_KEY = "https://index.docker.io/v1/"

TIMEOUT = 30.0


class RegistryError(RuntimeError):
    """The registry could not be asked, or refused; the message says which, in words."""


@dataclass(frozen=True)
class RemoteReference:
    registry: str      # as written in the reference: docker.io, quay.io, 127.0.0.1:5000
    repository: str    # library/busybox
    tag: str           # a tag, or a digest (sha256:...)

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def manifest_path(self) -> str:
        return f"/v2/{self.repository}/manifests/{self.tag}"


def fully_qualified(reference: str) -> bool:
    """A reference that names its registry (quay.io/podman/stable:latest,
    localhost/x, 127.0.0.1:5000/x:1): the registry policy needs one."""
    first, slash, _ = reference.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def parse_reference(reference: str) -> RemoteReference:
    """A fully qualified reference (registry/name[:tag][@digest]) split for the API."""
    rest, _, digest = reference.partition("@")
    first, _, remainder = rest.partition("/")
    if not fully_qualified(rest):
        raise RegistryError(f"{reference} names no registry (a fully qualified reference is registry/name:tag)")
    repository, tag = remainder, "latest"
    last = remainder.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = remainder.rsplit(":", 1)
    if digest:
        tag = digest
    if first == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not repository or not tag:
        raise RegistryError(f"{reference} is not an image reference")
    return RemoteReference(first, repository, tag)


# -- credentials: containers-auth.json(5) ------------------------------------------

def auth_file_paths(environ: Mapping[str, str] = os.environ, explicit: str = "") -> list[Path]:
    """Where podman looks for credentials, first found first: an explicit file (the
    container's io.containers.autoupdate.authfile label) or REGISTRY_AUTH_FILE is
    the only one; else the runtime dir's, then the config dir's, then Docker's."""
    chosen = explicit or environ.get("REGISTRY_AUTH_FILE", "")
    if chosen:
        return [Path(chosen)]
    paths = []
    if environ.get("XDG_RUNTIME_DIR"):
        paths.append(Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    home = environ.get("HOME", "")
    config = environ.get("XDG_CONFIG_HOME") or (f"{home}/.config" if home else "")
    if config:
        paths.append(Path(config) / "containers" / "auth.json")
    if home:
        paths.append(Path(home) / ".docker" / "config.json")
    return paths


def _keys_for(ref: RemoteReference) -> list[str]:
    """Auth-file keys that cover the reference, most specific first
    (registry/namespace/repo, ..., registry)."""
    parts = ref.repository.split("/")
    keys = [f"{ref.registry}/{'/'.join(parts[:n])}" for n in range(len(parts), 0, -1)]
    keys.append(ref.registry)
    if ref.registry == DOCKER_HUB:
        keys += [DOCKER_HUB_API, DOCKER_HUB_LEGACY_KEY]
    return keys


def credentials_in(auths: Mapping[str, object], ref: RemoteReference) -> tuple[str, str] | None:
    """(user, password) from the "auths" table of an auth file, or None."""
    normalised = {key.removeprefix("https://").removeprefix("http://").rstrip("/")
                  if key != DOCKER_HUB_LEGACY_KEY else key: value for key, value in auths.items()}
    for key in _keys_for(ref):
        entry = normalised.get(key)
        if not isinstance(entry, dict) or not entry.get("auth"):
            continue
        try:
            user, sep, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            sep = ""
        if not sep:
            raise RegistryError(f"the credentials for {key} in the auth file are not base64 of user:password")
        return user, password
    return None


def credentials_for(ref: RemoteReference, paths: list[Path]) -> tuple[str, str] | None:
    """The credentials of the first auth file that exists (an explicit file that is
    missing is an error: podman refuses it too)."""
    for path in paths:
        try:
            text = path.read_text()
        except FileNotFoundError:
            if len(paths) == 1:
                raise RegistryError(f"the auth file {path} does not exist")
            continue
        except OSError as error:
            raise RegistryError(f"cannot read the auth file {path}: {error.strerror}")
        try:
            data = json.loads(text or "{}")
        except ValueError:
            raise RegistryError(f"the auth file {path} is not JSON")
        return credentials_in(data.get("auths") or {}, ref) if isinstance(data, dict) else None
    return None


def registry_auth_header(creds: tuple[str, str]) -> str:
    """Podman's X-Registry-Auth value: URL-safe base64 of the auth config's JSON."""
    body = json.dumps({"username": creds[0], "password": creds[1]}).encode()
    return base64.urlsafe_b64encode(body).decode()


# -- registries.conf: where a reference is asked, and how ---------------------------

@dataclass(frozen=True)
class RegistryRule:
    """One [[registry]] table of containers-registries.conf(5) (mirrors not followed)."""

    prefix: str
    location: str = ""
    insecure: bool = False
    blocked: bool = False


def registries_conf_paths(environ: Mapping[str, str] = os.environ, etc: Path = Path("/etc/containers")) -> list[Path]:
    """The files podman reads, in order (later ones win for the same prefix): the
    main file (CONTAINERS_REGISTRIES_CONF, else the user's, which then replaces the
    system's, else the system's), then the system's and the user's drop-ins."""
    home = environ.get("HOME", "")
    config = Path(environ.get("XDG_CONFIG_HOME") or f"{home}/.config") / "containers" if (
        environ.get("XDG_CONFIG_HOME") or home) else None
    user_main = config / "registries.conf" if config else None
    if environ.get("CONTAINERS_REGISTRIES_CONF"):
        main = Path(environ["CONTAINERS_REGISTRIES_CONF"])
    elif user_main and user_main.exists():
        main = user_main
    else:
        main = etc / "registries.conf"
    dropins = sorted((etc / "registries.conf.d").glob("*.conf"))
    if config:
        dropins += sorted((config / "registries.conf.d").glob("*.conf"))
    return [main, *dropins]


def rules_in(data: Mapping[str, object]) -> list[RegistryRule]:
    """The rules of one parsed registries.conf (version 2 tables, and version 1's
    [registries.insecure] / [registries.block] lists)."""
    rules = []
    for table in data.get("registry") or []:
        if not isinstance(table, dict):
            continue
        location = str(table.get("location") or "")
        prefix = str(table.get("prefix") or location)
        if prefix:
            rules.append(RegistryRule(prefix, location, bool(table.get("insecure")), bool(table.get("blocked"))))
    old = data.get("registries") if isinstance(data.get("registries"), dict) else {}
    for key, flag in (("insecure", "insecure"), ("block", "blocked")):
        for host in ((old.get(key) or {}).get("registries") or []) if isinstance(old.get(key), dict) else []:
            rules.append(RegistryRule(str(host), str(host), **{flag: True}))
    return rules


def read_rules(paths: list[Path]) -> list[RegistryRule]:
    rules: dict[str, RegistryRule] = {}
    for path in paths:
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise RegistryError(f"cannot read {path}: {error}")
        for rule in rules_in(data):
            rules[rule.prefix] = rule  # a later file's rule for the same prefix wins
    return list(rules.values())


def _matches(reference: str, prefix: str) -> bool:
    if prefix.startswith("*."):
        host = reference.split("/", 1)[0]
        return host.endswith(prefix[1:])
    return reference == prefix or (reference.startswith(prefix) and reference[len(prefix)] in "/:@")


def resolve(reference: str, rules: list[RegistryRule]) -> tuple[str, RegistryRule | None]:
    """The reference podman would pull (the longest matching prefix rewritten to its
    location) and the rule that decided it."""
    matching = [r for r in rules if _matches(reference, r.prefix)]
    if not matching:
        return reference, None
    rule = max(matching, key=lambda r: len(r.prefix))
    if rule.location and not rule.prefix.startswith("*."):
        return rule.location + reference[len(rule.prefix):], rule
    return reference, rule


# -- the registry's answer -----------------------------------------------------------

_PARAM = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """WWW-Authenticate: 'Bearer realm="...",service="..."' -> ("bearer", {...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for match in _PARAM.finditer(rest):
        key = match.group(1) or match.group(3)
        params[key.lower()] = match.group(2) if match.group(1) else match.group(4)
    return scheme.lower(), params


def platform_entry(index: Mapping[str, object], os_name: str, architecture: str, variant: str = "") -> str:
    """The digest of a manifest list's entry for the platform, "" when it has none."""
    entries = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
    fitting = [m for m in entries
               if (m.get("platform") or {}).get("os") == os_name
               and (m.get("platform") or {}).get("architecture") == architecture]
    if variant:
        fitting = [m for m in fitting if (m.get("platform") or {}).get("variant", variant) == variant] or fitting
    return str(fitting[0].get("digest", "")) if fitting else ""


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""


class _Session:
    """One registry conversation: the scheme that answers, and the Authorization
    header the registry's challenge asked for."""

    def __init__(self, client: httpx.AsyncClient, ref: RemoteReference, creds, tls_verify: bool):
        self.client, self.ref, self.creds, self.tls_verify = client, ref, creds, tls_verify
        self.base = f"https://{ref.api_host}"
        self.authorization = ""

    async def get(self, path: str, method: str = "GET") -> httpx.Response:
        response = await self._send(method, path)
        if response.status_code == 401 and not self.authorization:
            self.authorization = await self._answer_challenge(response.headers.get("WWW-Authenticate", ""))
            response = await self._send(method, path)
        if response.status_code == 401:
            raise RegistryError(f"{self.ref.registry} refused the credentials for {self.ref.repository}"
                                if self.creds else
                                f"{self.ref.registry} wants credentials for {self.ref.repository} "
                                f"(none in the auth file)")
        if response.status_code == 404:
            raise RegistryError(f"{self.ref.registry} has no {self.ref.repository}:{self.ref.tag}")
        if response.status_code >= 400:
            raise RegistryError(f"{self.ref.registry} answered {response.status_code} for {path}")
        return response

    async def _send(self, method: str, path: str) -> httpx.Response:
        headers = {"Accept": ACCEPT}
        if self.authorization:
            headers["Authorization"] = self.authorization
        try:
            return await self.client.request(method, self.base + path, headers=headers)
        except httpx.ConnectError as error:
            # an insecure registry may speak plain HTTP: podman falls back to it
            if self.tls_verify or not self.base.startswith("https://"):
                raise RegistryError(f"cannot reach {self.ref.registry}: {error}") from error
            self.base = f"http://{self.ref.api_host}"
            return await self._send(method, path)
        except httpx.HTTPError as error:
            raise RegistryError(f"cannot reach {self.ref.registry}: {error}") from error

    async def _answer_challenge(self, header: str) -> str:
        scheme, params = parse_challenge(header)
        if scheme == "basic":
            if not self.creds:
                raise RegistryError(f"{self.ref.registry} wants credentials (none in the auth file)")
            return "Basic " + base64.b64encode(f"{self.creds[0]}:{self.creds[1]}".encode()).decode()
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError(f"{self.ref.registry} asked for an authentication podman does not speak: {header!r}")
        query = {"scope": f"repository:{self.ref.repository}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        try:
            answer = await self.client.get(params["realm"], params=query, auth=self.creds or None)
        except httpx.HTTPError as error:
            raise RegistryError(f"cannot reach {self.ref.registry}'s token service: {error}") from error
        if answer.status_code != 200:
            raise RegistryError(f"{self.ref.registry}'s token service refused "
                                f"{'the credentials' if self.creds else 'an anonymous token'} "
                                f"({answer.status_code})")
        try:
            body = answer.json()
        except ValueError:
            body = {}
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else ""
        if not token:
            raise RegistryError(f"{self.ref.registry}'s token service gave no token")
        return f"Bearer {token}"


async def manifest_digest(reference: str, *, platform: Platform = Platform(), tls_verify: bool = True,
                          creds: tuple[str, str] | None = None, timeout: float = TIMEOUT,
                          transport: httpx.AsyncBaseTransport | None = None) -> str:
    """The digest of the manifest the reference names on its registry now (for a
    manifest list, of its entry for `platform`)."""
    ref = parse_reference(reference)
    async with httpx.AsyncClient(verify=tls_verify, timeout=timeout, transport=transport) as client:
        session = _Session(client, ref, creds, tls_verify)
        head = await session.get(ref.manifest_path, "HEAD")
        digest = head.headers.get("Docker-Content-Digest", "")
        media_type = head.headers.get("Content-Type", "").split(";")[0].strip()
        if digest and media_type and media_type not in LISTS:
            return digest
        # no digest in the answer, or a list to narrow: read the manifest itself
        response = await session.get(ref.manifest_path)
        body = response.content
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            manifest = json.loads(body)
        except ValueError:
            raise RegistryError(f"{ref.registry} sent a manifest that is not JSON")
        if media_type in LISTS or (isinstance(manifest, dict) and "manifests" in manifest):
            entry = platform_entry(manifest, platform.os, platform.architecture, platform.variant)
            if not entry:
                raise RegistryError(f"{reference} has no image for {platform.os}/{platform.architecture}")
            return entry
        return response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()


def local_digests(image_inspect: Mapping[str, object]) -> set[str]:
    """Every manifest digest a local image is known by (its Digest and RepoDigests)."""
    found = {str(image_inspect.get("Digest") or "")}
    found.update(str(d).rpartition("@")[2] for d in image_inspect.get("RepoDigests") or [])
    return {d for d in found if d.startswith("sha256:")}
