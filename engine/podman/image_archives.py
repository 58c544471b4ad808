"""What kind of tarball an upload is, by the files at its top: a root filesystem (for
`podman import`), or an image archive as `podman save` writes them, which importing
as a root filesystem would turn into a broken image.

- docker-archive (`podman save`'s default, `docker save`): `manifest.json`, a list of
  objects each naming its `Config` and `Layers`.
- oci-archive (`podman save --format oci-archive`): an `oci-layout` file and an
  `index.json` (the OCI image layout specification, image-layout.md)."""
from __future__ import annotations

import json
import tarfile
from typing import BinaryIO

ROOTFS, DOCKER_ARCHIVE, OCI_ARCHIVE, NOT_A_TARBALL = "rootfs", "docker-archive", "oci-archive", "not a tarball"


def _top_level(name: str) -> str | None:
    """The member's name when it sits at the archive's top ("./x" counts), else None."""
    name = name.removeprefix("./").rstrip("/")
    return name if name and "/" not in name else None


def archive_kind(upload: BinaryIO) -> str:
    """ROOTFS, DOCKER_ARCHIVE, OCI_ARCHIVE or NOT_A_TARBALL (left to podman's own answer).
    Reads the headers of every member (an image archive writes its manifest last);
    compressed tarballs are read through.  `upload` must be seekable."""
    upload.seek(0)
    top: set[str] = set()
    manifest: bytes | None = None
    try:
        with tarfile.open(fileobj=upload, mode="r:*") as archive:
            for member in archive:
                name = _top_level(member.name)
                if name is None:
                    continue
                top.add(name)
                if name == "manifest.json" and member.isfile() and member.size < (1 << 20):
                    manifest = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError):
        return NOT_A_TARBALL
    finally:
        upload.seek(0)
    if {"oci-layout", "index.json"} <= top:
        return OCI_ARCHIVE
    if manifest is not None:
        try:
            entries = json.loads(manifest)
        except ValueError:
            entries = None
        if isinstance(entries, list) and entries and all(isinstance(e, dict) and "Layers" in e for e in entries):
            return DOCKER_ARCHIVE
    return ROOTFS
