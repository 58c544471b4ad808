"""An async client of Podman's libpod REST API over its unix socket.

One client per scope (and per event loop: httpx connections belong to the loop that
opened them).  The API version is read once from /version, so the same code speaks
to podman 4.3 and 5.x.  Every failure is raised as a typed error from
engine.podman.errors carrying podman's own message."""
from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx

from engine.podman.errors import EngineUnavailable, NotFound, PodmanError, error_for
from engine.podman.events import Event, ReplayFilter
from engine.podman.log_frames import LogFrameDecoder
from engine.podman.models import Container, Image, Pod
from engine.podman.stats import ContainerStats

DEFAULT_TIMEOUT = 30.0
# Stopping waits for the container's own stop timeout; allow for it above podman's.
STOP_GRACE = 15.0
_TRANSPORT_ERRORS = (httpx.TransportError, OSError)


@dataclass(frozen=True)
class PullProgress:
    """One step of an image pull: a line of podman's progress, and at the end the id."""
    message: str
    image_id: str = ""

    @property
    def done(self) -> bool:
        return bool(self.image_id)


def _timestamp(value) -> str:
    if isinstance(value, datetime):
        return f"{value.timestamp():.9f}"
    return str(value)


def _name(value: str) -> str:
    return quote(value, safe="")


class PodmanClient:
    def __init__(self, socket_path: str, *, timeout: float = DEFAULT_TIMEOUT, api_version: str | None = None):
        self.socket_path = socket_path
        self.timeout = timeout
        self._api_version = api_version
        self._http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=socket_path),
                                       base_url="http://podman", timeout=timeout)

    async def __aenter__(self) -> "PodmanClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- plumbing -------------------------------------------------------------------

    def _unavailable(self, error: BaseException) -> EngineUnavailable:
        detail = str(error) or type(error).__name__
        try:
            os.stat(self.socket_path)
        except FileNotFoundError:
            detail = "no such socket (is the Podman API service running?)"
        except PermissionError:
            # rootful podman's /run/podman is root's alone: the socket is there, not for this account
            detail = f"permission denied: this account (uid {os.geteuid()}) may not use this socket"
        return EngineUnavailable(f"Podman API at {self.socket_path}: {detail}")

    async def version(self) -> str:
        """The libpod API version the service speaks (its podman version).  Read from
        /_ping's Libpod-Api-Version header: podman answers /_ping at once, while its
        /version gathers host facts and took 6-11 s on a loaded machine (measured),
        which every new client paid before its first request."""
        if self._api_version is None:
            try:
                response = await self._http.get("/_ping")
                version = self._checked(response).headers.get("Libpod-Api-Version")
                if not version:
                    response = await self._http.get("/version")
                    data = self._checked(response).json()
                    engine = next((c for c in data.get("Components") or [] if c.get("Name") == "Podman Engine"), {})
                    version = (engine.get("Details") or {}).get("APIVersion") or data.get("Version") or "4.0.0"
            except _TRANSPORT_ERRORS as error:
                raise self._unavailable(error) from error
            self._api_version = version
        return self._api_version

    async def _url(self, path: str) -> str:
        return f"/v{await self.version()}/libpod{path}"

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        try:
            body = response.json()
        except ValueError:
            body = response.text
        raise error_for(response.status_code, body)

    async def _request(self, method: str, path: str, *, params=None, json_body=None, content=None,
                       headers=None, timeout: float | None = -1.0) -> httpx.Response:
        url = await self._url(path)
        kwargs = {} if timeout == -1.0 else {"timeout": timeout}
        try:
            response = await self._http.request(method, url, params=params, json=json_body, content=content,
                                                headers=headers, **kwargs)
        except _TRANSPORT_ERRORS as error:
            raise self._unavailable(error) from error
        if response.status_code >= 400:
            await response.aread()
        return self._checked(response)

    async def _exists(self, path: str) -> bool:
        """The exists endpoints answer 204 or 404: no error body to raise."""
        try:
            response = await self._http.get(await self._url(path))
        except _TRANSPORT_ERRORS as error:
            raise self._unavailable(error) from error
        if response.status_code == 404:
            return False
        self._checked(response)
        return True

    async def _get_json(self, path: str, params=None):
        return (await self._request("GET", path, params=params)).json()

    @asynccontextmanager
    async def _stream(self, method: str, path: str, *, params=None, content=None, headers=None):
        url = await self._url(path)
        try:
            async with self._http.stream(method, url, params=params, content=content, headers=headers,
                                         timeout=httpx.Timeout(self.timeout, read=None)) as response:
                if response.status_code >= 400:
                    await response.aread()
                    self._checked(response)
                yield response
        except _TRANSPORT_ERRORS as error:
            raise self._unavailable(error) from error

    @staticmethod
    async def _json_lines(response: httpx.Response) -> AsyncIterator[tuple[str, dict | None]]:
        """Each non-blank line of a streamed answer, with its JSON object (None when the
        line is not JSON: podman mixes plain progress lines into some streams)."""
        async for line in response.aiter_lines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            yield line, item if isinstance(item, dict) else None

    @staticmethod
    def _raise_report_errors(reports, what: str) -> None:
        """Remove/prune/pod calls answer 200 with a list of reports; each may hold an error."""
        for report in reports if isinstance(reports, list) else [reports]:
            if not isinstance(report, dict):
                continue
            errors = report.get("Errs") or ([report["Err"]] if report.get("Err") else [])
            if errors:
                message = "; ".join(str(e) for e in errors)
                raise error_for(409 if "running" in message or "in use" in message else 500,
                                {"message": f"{what}: {message}"})

    # -- the service ----------------------------------------------------------------

    async def ping(self) -> bool:
        await self._request("GET", "/_ping")
        return True

    async def info(self) -> dict:
        return await self._get_json("/info")

    # -- containers -----------------------------------------------------------------

    async def list_containers_raw(self, all: bool = True, filters: dict | None = None) -> list[dict]:
        params = {"all": "true" if all else "false"}
        if filters:
            params["filters"] = json.dumps(filters)
        return await self._get_json("/containers/json", params) or []

    async def list_containers(self, all: bool = True, filters: dict | None = None) -> list[Container]:
        return [Container.from_list(c) for c in await self.list_containers_raw(all, filters)]

    async def inspect_container(self, name: str) -> dict:
        """libpod's inspect record.  libpod 4.x gives Config.Entrypoint as one
        space-joined string, which loses word boundaries: when it holds a space, the
        compat (Docker) endpoint's list replaces it, so readers get the exact words."""
        record = await self._get_json(f"/containers/{_name(name)}/json")
        config = record.get("Config") or {}
        if isinstance(config.get("Entrypoint"), str) and " " in config["Entrypoint"]:
            url = f"/v{await self.version()}/containers/{_name(record.get('Id') or name)}/json"
            try:
                response = await self._http.get(url)
            except _TRANSPORT_ERRORS as error:
                raise self._unavailable(error) from error
            compat = (self._checked(response).json().get("Config") or {}).get("Entrypoint")
            if isinstance(compat, list) and " ".join(compat) == config["Entrypoint"]:
                config["Entrypoint"] = compat
        return record

    async def pod_of(self, record: dict, pods: dict[str, dict] | None = None) -> dict | None:
        """The inspect record of the pod a container (given by its inspect record) is in,
        or None.  With `pods` (pod id -> record) a pod is inspected once per caller."""
        pod_id = record.get("Pod") or ""
        if not pod_id:
            return None
        if pods is not None and pod_id in pods:
            return pods[pod_id]
        try:
            pod = await self.inspect_pod(pod_id)
        except NotFound:
            return None
        if pods is not None:
            pods[pod_id] = pod
        return pod

    async def container(self, name: str, pods: dict[str, dict] | None = None) -> Container:
        """One container as its list row shows it, from its inspect record: O(1) for
        podman, where podman 4.3 reads every container for a filtered list.  Raises
        NotFound."""
        record = await self.inspect_container(name)
        return Container.from_inspect(record, await self.pod_of(record, pods))

    async def container_exists(self, name: str) -> bool:
        return await self._exists(f"/containers/{_name(name)}/exists")

    async def create_container(self, spec: dict) -> str:
        """Create from a libpod SpecGenerator; returns the new container's id."""
        data = (await self._request("POST", "/containers/create", json_body=spec)).json()
        return data.get("Id", "")

    async def start_container(self, name: str) -> None:
        await self._request("POST", f"/containers/{_name(name)}/start")  # 304 when already running

    async def stop_container(self, name: str, timeout: int | None = None) -> None:
        params = {} if timeout is None else {"timeout": timeout}
        await self._request("POST", f"/containers/{_name(name)}/stop", params=params,
                            timeout=self.timeout + (timeout if timeout is not None else STOP_GRACE))

    async def restart_container(self, name: str, timeout: int | None = None) -> None:
        params = {} if timeout is None else {"t": timeout}
        await self._request("POST", f"/containers/{_name(name)}/restart", params=params,
                            timeout=self.timeout + (timeout if timeout is not None else STOP_GRACE))

    async def kill_container(self, name: str, signal: str = "SIGKILL") -> None:
        await self._request("POST", f"/containers/{_name(name)}/kill", params={"signal": signal})

    async def pause_container(self, name: str) -> None:
        await self._request("POST", f"/containers/{_name(name)}/pause")

    async def unpause_container(self, name: str) -> None:
        await self._request("POST", f"/containers/{_name(name)}/unpause")

    async def rename_container(self, name: str, new_name: str) -> None:
        await self._request("POST", f"/containers/{_name(name)}/rename", params={"name": new_name})

    async def remove_container(self, name: str, force: bool = False, volumes: bool = False) -> None:
        response = await self._request(
            "DELETE", f"/containers/{_name(name)}",
            params={"force": str(force).lower(), "v": str(volumes).lower()},
            timeout=self.timeout + STOP_GRACE)
        if response.content:
            self._raise_report_errors(response.json(), f"remove {name}")

    async def wait_container(self, name: str, condition: str = "stopped") -> int:
        response = await self._request("POST", f"/containers/{_name(name)}/wait",
                                       params={"condition": condition}, timeout=None)
        return int(response.text.strip() or 0)

    async def container_logs(self, name: str, follow: bool = False, since=None, tail: int | None = None,
                             timestamps: bool = False) -> AsyncIterator[tuple[str, str]]:
        """(stream, line) pairs from the libpod logs endpoint; stream is stdout or stderr."""
        params = {"stdout": "true", "stderr": "true", "follow": str(follow).lower()}
        if since is not None:
            params["since"] = _timestamp(since)
        if tail is not None:
            params["tail"] = str(tail)
        if timestamps:
            params["timestamps"] = "true"
        decoder = LogFrameDecoder()
        async with self._stream("GET", f"/containers/{_name(name)}/logs", params=params) as response:
            try:
                async for chunk in response.aiter_raw():
                    for pair in decoder.feed(chunk):
                        yield pair
            except _TRANSPORT_ERRORS as error:
                raise self._unavailable(error) from error
        for pair in decoder.finish():
            yield pair

    # -- pods -----------------------------------------------------------------------

    async def list_pods_raw(self, filters: dict | None = None) -> list[dict]:
        params = {"filters": json.dumps(filters)} if filters else None
        return await self._get_json("/pods/json", params) or []

    async def list_pods(self, filters: dict | None = None) -> list[Pod]:
        return [Pod.from_list(p) for p in await self.list_pods_raw(filters)]

    async def inspect_pod(self, name: str) -> dict:
        return await self._get_json(f"/pods/{_name(name)}/json")

    async def create_pod(self, spec: dict) -> str:
        """Create from a libpod PodSpecGenerator; returns the new pod's id."""
        data = (await self._request("POST", "/pods/create", json_body=spec)).json()
        return data.get("Id", "")

    async def _pod_action(self, name: str, action: str, params=None, timeout: float | None = -1.0) -> None:
        response = await self._request("POST", f"/pods/{_name(name)}/{action}", params=params, timeout=timeout)
        if response.content:
            self._raise_report_errors(response.json(), f"{action} pod {name}")

    async def start_pod(self, name: str) -> None:
        await self._pod_action(name, "start")

    async def stop_pod(self, name: str, timeout: int | None = None) -> None:
        await self._pod_action(name, "stop", {} if timeout is None else {"t": timeout},
                               timeout=self.timeout + (timeout if timeout is not None else STOP_GRACE))

    async def restart_pod(self, name: str) -> None:
        await self._pod_action(name, "restart", timeout=self.timeout + STOP_GRACE)

    async def remove_pod(self, name: str, force: bool = False) -> None:
        response = await self._request("DELETE", f"/pods/{_name(name)}", params={"force": str(force).lower()},
                                       timeout=self.timeout + STOP_GRACE)
        if response.content:
            self._raise_report_errors(response.json(), f"remove pod {name}")

    # -- images ---------------------------------------------------------------------

    async def list_images_raw(self, all: bool = False) -> list[dict]:
        return await self._get_json("/images/json", {"all": str(all).lower()}) or []

    async def list_images(self, all: bool = False) -> list[Image]:
        return [Image.from_list(i) for i in await self.list_images_raw(all)]

    async def inspect_image(self, ref: str) -> dict:
        return await self._get_json(f"/images/{_name(ref)}/json")

    async def image_exists(self, ref: str) -> bool:
        return await self._exists(f"/images/{_name(ref)}/exists")

    async def tag_image(self, image: str, repository: str, tag: str = "latest") -> None:
        """Point repository:tag at `image` (an ID or a reference); the name leaves
        whichever image held it before."""
        await self._request("POST", f"/images/{_name(image)}/tag", params={"repo": repository, "tag": tag})

    async def pull_image(self, reference: str, policy: str = "always", tls_verify: bool = True,
                         registry_auth: str = "") -> AsyncIterator[PullProgress]:
        """Podman's progress lines as they come; the last item carries the image id.
        The API pulls from registries only (the docker transport).  `registry_auth` is
        an X-Registry-Auth value (engine.registry.registry_auth_header); without it the
        service uses its own default auth file, not one the caller names."""
        params = {"reference": reference, "policy": policy, "tlsVerify": str(tls_verify).lower()}
        headers = {"X-Registry-Auth": registry_auth} if registry_auth else None
        async with self._stream("POST", "/images/pull", params=params, headers=headers) as response:
            async for line, item in self._json_lines(response):
                if item is None:
                    yield PullProgress(line.strip())
                    continue
                if item.get("error"):
                    raise error_for(500, {"message": item["error"]})
                if item.get("stream"):
                    yield PullProgress(item["stream"].strip())
                if item.get("id"):
                    yield PullProgress(f"pulled {reference}", image_id=item["id"].removeprefix("sha256:"))

    async def import_image(self, tarball: bytes | Iterable[bytes] | AsyncIterator[bytes], reference: str = "",
                           changes: list[str] | None = None, message: str = "") -> str:
        """Import a root filesystem tarball as an image; returns its id.  `changes` are
        Dockerfile instructions such as 'CMD ["/sbin/init"]'."""
        params: list[tuple[str, str]] = []
        if reference:
            params.append(("reference", reference))
        if message:
            params.append(("message", message))
        params.extend(("changes", change) for change in changes or [])
        response = await self._request("POST", "/images/import", params=params, content=tarball,
                                       headers={"Content-Type": "application/x-tar"}, timeout=None)
        return response.json().get("Id", "").removeprefix("sha256:")

    async def remove_image(self, ref: str, force: bool = False) -> None:
        response = await self._request("DELETE", f"/images/{_name(ref)}", params={"force": str(force).lower()})
        data = response.json() if response.content else {}
        if isinstance(data, dict) and data.get("Errors"):
            raise error_for(409, {"message": "; ".join(map(str, data["Errors"]))})

    async def prune_images(self, all: bool = False) -> list[dict]:
        """Remove unused images (dangling only unless all); returns podman's reports."""
        response = await self._request("POST", "/images/prune", params={"all": str(all).lower()}, timeout=None)
        reports = response.json() or []
        self._raise_report_errors(reports, "prune")
        return reports

    # -- networks and volumes (choices for the create form) ------------------------

    async def list_networks(self) -> list[dict]:
        return await self._get_json("/networks/json") or []

    async def list_volumes(self) -> list[dict]:
        return await self._get_json("/volumes/json") or []

    async def remove_volume(self, name: str, force: bool = False) -> None:
        await self._request("DELETE", f"/volumes/{_name(name)}", params={"force": str(force).lower()})

    # -- stats ----------------------------------------------------------------------

    async def container_stats(self, name: str, interval: int = 1) -> AsyncIterator[ContainerStats]:
        """A sample of the container's resource use every `interval` seconds, for as long
        as the caller reads (a stopped container gives zero samples, not an end).  Raises
        NotFound when there is no such container; ends when it is removed."""
        await self.inspect_container(name)  # podman's stats error for an unknown name carries no message
        params = {"containers": name, "stream": "true", "interval": str(max(1, int(interval)))}
        async with self._stream("GET", "/containers/stats", params=params) as response:
            async for _, sample in self._json_lines(response):
                if sample is None:
                    continue
                records = sample.get("Stats") or []
                if sample.get("Error") is not None and not records:
                    return  # removed while we read
                for record in records:
                    yield ContainerStats.from_api(record)

    # -- events ---------------------------------------------------------------------

    async def events(self, filters: dict | None = None, reconnect: bool = True, max_backoff: float = 5.0,
                     since: float | None = None) -> AsyncIterator[Event]:
        """Podman's event stream, for ever (from now, or from `since`, unix seconds).
        When the stream breaks (podman restarted, socket gone) it reconnects with
        backoff, has podman replay from a little before the last event seen, skips
        what it gave already (events.ReplayFilter), and yields Event.reconnected() so
        that a consumer can re-read its state; when it breaks (or the first open fails)
        it yields Event.lost() once, so that a consumer can say it is no longer live."""
        replays = ReplayFilter(int(since * 1_000_000_000) if since else 0)
        backoff = 0.1
        first = True
        lost_said = False
        while True:
            params = {"stream": "true"}
            if filters:
                params["filters"] = json.dumps(filters)
            since_param = replays.since()
            if since_param:
                params["since"] = since_param
            try:
                async with self._stream("GET", "/events", params=params) as response:
                    if not first:
                        yield Event.reconnected()
                    first = False
                    lost_said = False
                    backoff = 0.1
                    async for _, item in self._json_lines(response):
                        if item is None:
                            continue
                        try:
                            event = Event.from_api(item)
                        except ValueError:  # a time that is not a number
                            continue
                        if replays.is_new(event):  # not one replayed after a reconnect
                            yield event
            except (PodmanError, *_TRANSPORT_ERRORS):
                if not reconnect:
                    raise
            if not reconnect:
                return
            if not lost_said:
                lost_said = True
                yield Event.lost()
            first = False
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
