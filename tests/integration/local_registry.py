"""A read-only registry on loopback for pull tests (no registry is reachable from
this machine): it serves an OCI layout folder that `podman push ... oci:DIR:TAG`
wrote, speaking just enough of the distribution API for `podman pull`.
Shared by the tests that pull (test_podman_registry.py, test_autoupdate.py)."""
import base64
import hashlib
import json
import secrets
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class LocalRegistry:
    """`with LocalRegistry(tmp_path) as registry: registry.publish("localhost/busybox:latest", "phc/x:1")`
    then pull `registry.reference("phc/x:1")` with tls_verify=False.

    With `credentials=(user, password)` it asks for them the way Docker Hub does: a
    401 with a Bearer challenge naming its /token service, which gives a token for
    those credentials (Basic) and refuses anyone else."""

    def __init__(self, folder: Path, credentials: tuple[str, str] | None = None):
        self.credentials = credentials
        self.send_digest = True  # False: answer like a registry that sends no Docker-Content-Digest
        self.requests: list[tuple[str, str]] = []  # (method, path), to tell a check from a pull
        self.token = secrets.token_hex(16)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.manifests: dict[tuple[str, str], tuple[bytes, str, str]] = {}
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body: bytes, content_type: str = "application/json", digest: str = "",
                        status: int = 200):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                if digest and registry.send_digest:
                    self.send_header("Docker-Content-Digest", digest)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _authorized(self, path: str) -> bool:
                """True when the request may go on; else the answer is already sent."""
                if not registry.credentials:
                    return True
                if path == "/token":
                    user, password = registry.credentials
                    basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                    if self.headers.get("Authorization") == basic:
                        self._answer(json.dumps({"token": registry.token}).encode())
                    else:
                        self._answer(b'{"errors":[{"code":"UNAUTHORIZED"}]}', status=401)
                    return False
                if self.headers.get("Authorization") == f"Bearer {registry.token}":
                    return True
                self.send_response(401)
                self.send_header("WWW-Authenticate", f'Bearer realm="http://{registry.address}/token",'
                                                     f'service="{registry.address}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def do_GET(self):
                path = self.path.split("?")[0]
                registry.requests.append((self.command, path))
                if not self._authorized(path):
                    return
                if path in ("/v2", "/v2/"):
                    return self._answer(b"{}")
                name, kind, ref = path[len("/v2/"):].rsplit("/", 2) if path.startswith("/v2/") else ("", "", "")
                if kind == "manifests":
                    found = registry.manifests.get((name, ref)) or next(
                        (m for (n, _), m in registry.manifests.items() if n == name and m[2] == ref), None)
                    if found:
                        return self._answer(found[0], found[1], found[2])
                if kind == "blobs" and ref.startswith("sha256:"):
                    for blob_dir in registry.folder.glob("*/blobs/sha256"):
                        blob = blob_dir / ref.split(":", 1)[1]
                        if blob.exists():
                            return self._answer(blob.read_bytes(), "application/octet-stream", ref)
                return self._answer(b'{"errors":[{"code":"NOT_FOUND"}]}', status=404)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def publish(self, local_image: str, repository_tag: str) -> None:
        name, tag = repository_tag.rsplit(":", 1)
        layout = self.folder / name.replace("/", "_")
        subprocess.run(["podman", "push", "-q", local_image, f"oci:{layout}:{tag}"], check=True, capture_output=True)
        index = json.loads((layout / "index.json").read_text())
        entry = next(m for m in index["manifests"]
                     if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
        digest = entry["digest"]
        body = (layout / "blobs/sha256" / digest.split(":", 1)[1]).read_bytes()
        self.manifests[(name, tag)] = (body, entry["mediaType"], digest)

    def publish_index(self, repository_tag: str, platforms: dict[tuple[str, str], str]) -> str:
        """An OCI index under the tag whose entries are manifests published before
        ({(os, architecture): "repository:tag"}); returns the index's digest."""
        name, tag = repository_tag.rsplit(":", 1)
        entries = []
        for (os_name, architecture), source in platforms.items():
            body, media_type, digest = self.manifests[tuple(source.rsplit(":", 1))]
            entries.append({"mediaType": media_type, "digest": digest, "size": len(body),
                            "platform": {"os": os_name, "architecture": architecture}})
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.manifests[(name, tag)] = (body, OCI_INDEX, digest)
        return digest

    def reference(self, repository_tag: str) -> str:
        return f"{self.address}/{repository_tag}"
