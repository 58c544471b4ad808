"""Telling a root filesystem tarball from the image archives `podman save` writes."""
import gzip
import io
import json
import tarfile

from engine.podman.image_archives import (DOCKER_ARCHIVE, NOT_A_TARBALL, OCI_ARCHIVE, ROOTFS,
                                          archive_kind)


def tarball(files: dict[str, bytes], *, compress: bool = False) -> io.BytesIO:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data = gzip.compress(raw.getvalue()) if compress else raw.getvalue()
    return io.BytesIO(data)


DOCKER_MANIFEST = json.dumps([{"Config": "abc.json", "RepoTags": ["localhost/x:1"], "Layers": ["l1.tar"]}]).encode()


def test_a_docker_archive_has_its_manifest_at_the_top_even_last():
    upload = tarball({"l1.tar": b"x" * 10, "abc.json": b"{}", "repositories": b"{}", "manifest.json": DOCKER_MANIFEST})
    assert archive_kind(upload) == DOCKER_ARCHIVE
    assert upload.tell() == 0  # left ready for the upload to podman
    assert archive_kind(tarball({"./manifest.json": DOCKER_MANIFEST}, compress=True)) == DOCKER_ARCHIVE


def test_an_oci_archive_has_oci_layout_and_index_json():
    files = {"blobs/sha256/aa": b"x", "oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": b"{}"}
    assert archive_kind(tarball(files)) == OCI_ARCHIVE


def test_a_root_filesystem_stays_one_even_with_look_alike_files():
    assert archive_kind(tarball({"bin/sh": b"x", "etc/passwd": b"root"})) == ROOTFS
    assert archive_kind(tarball({"etc/index.json": b"{}", "etc/oci-layout": b"{}"})) == ROOTFS
    assert archive_kind(tarball({"manifest.json": b'{"name": "an app"}', "bin/sh": b"x"})) == ROOTFS


def test_junk_is_left_to_podman():
    assert archive_kind(io.BytesIO(b"this is not a tar archive" * 100)) == NOT_A_TARBALL
