"""Provide Podman's Quadlet generator where the OS podman lacks it.

Podman 4.3 (Debian 12) has no Quadlet; it came in 4.4.  Debian 13's podman package
carries /usr/libexec/podman/quadlet, linked only against libc, and it runs here.  We
fetch that .deb with apt-get pointed at PRIVATE lists, caches and sources (so the
machine's own apt state does not change and nothing of trixie gets installed),
unpack it with `dpkg -x`, and copy out the one binary plus the generator links
systemd looks for.  Idempotent: when everything is in place it only stats files.

Framework-free (no Django import): hoststack.up() calls ensure().
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

QUADLET = Path("/usr/libexec/podman/quadlet")
GENERATOR_LINKS = (
    Path("/usr/lib/systemd/user-generators/podman-user-generator"),
    Path("/usr/lib/systemd/system-generators/podman-system-generator"),
)
SOURCE_SUITE = "trixie"
SOURCE_URI = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class QuadletProvisionError(RuntimeError):
    pass


def _same_file(link: Path) -> bool:
    # A distribution podman >= 4.4 may install the generators as real links or copies.
    return link.exists() and os.access(link, os.X_OK)


def ensure(work_dir: Path, log=print) -> Path:
    """Make sure the quadlet binary and its generator links exist; return its path."""
    if not os.access(QUADLET, os.X_OK):
        if os.geteuid() != 0:
            raise QuadletProvisionError(f"{QUADLET} is missing; run `manage.py hoststack up` as root")
        _install_binary(Path(work_dir).resolve(), log)
    for link in GENERATOR_LINKS:
        if _same_file(link):
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()  # dangling link from an earlier install
        link.symlink_to(QUADLET)
        log(f"linked {link} -> {QUADLET}")
    return QUADLET


def _apt_options(work_dir: Path, sources: Path) -> list[str]:
    # Every Dir:: apt reads or writes points into work_dir: the system's lists,
    # archives and package caches are untouched, and `apt-cache policy` stays bookworm-only.
    return [
        "-o", f"Dir::Etc::SourceList={sources}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={work_dir / 'lists'}",
        "-o", f"Dir::Cache::Archives={work_dir / 'archives'}",
        "-o", "Dir::Cache::pkgcache=",
        "-o", "Dir::Cache::srcpkgcache=",
        "-o", "APT::Sandbox::User=root",
    ]


def _install_binary(work_dir: Path, log) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (work_dir / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = work_dir / f"{SOURCE_SUITE}.sources"
    sources.write_text(f"Types: deb\nURIs: {SOURCE_URI}\nSuites: {SOURCE_SUITE}\n"
                       f"Components: main\nSigned-By: {KEYRING}\n")
    options = _apt_options(work_dir, sources)
    debs = sorted(work_dir.glob("podman_*.deb"))
    if not debs:
        log(f"downloading podman from Debian {SOURCE_SUITE} for its quadlet generator")
        _run(["apt-get", *options, "-q", "update"], work_dir)
        _run(["apt-get", *options, "-q", "download", f"podman/{SOURCE_SUITE}"], work_dir)
        debs = sorted(work_dir.glob("podman_*.deb"))
        if not debs:
            raise QuadletProvisionError("apt-get download podman produced no .deb")
    with tempfile.TemporaryDirectory(dir=work_dir) as unpacked:
        _run(["dpkg", "-x", str(debs[-1]), unpacked], work_dir)
        binary = Path(unpacked) / "usr/libexec/podman/quadlet"
        if not binary.exists():
            raise QuadletProvisionError(f"{debs[-1].name} has no usr/libexec/podman/quadlet")
        QUADLET.parent.mkdir(parents=True, exist_ok=True)
        # Copy beside the target, then rename: a generator run never sees half a file.
        temporary = QUADLET.with_name(".quadlet.podhouse-tmp")
        shutil.copyfile(binary, temporary)
        os.chmod(temporary, 0o755)
        os.replace(temporary, QUADLET)
    log(f"installed {QUADLET} from {debs[-1].name}")
    # The binary is all we keep: drop the 25 MB package and trixie's lists.
    for deb in debs:
        deb.unlink()
    shutil.rmtree(work_dir / "lists", ignore_errors=True)


def _run(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if done.returncode != 0:
        raise QuadletProvisionError(f"{' '.join(argv[:2])} … failed: {done.stderr.strip()[-800:]}")
