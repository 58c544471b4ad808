"""Build localhost/debian-systemd:bookworm offline from the Debian mirror apt uses:
debootstrap a minimal bookworm with systemd and dbus, then `podman import` it with
CMD /sbin/init.  Idempotent: does nothing when the image exists; the rootfs tarball
is kept in var/ so a rebuild skips debootstrap."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.host import scopes

IMAGE = "localhost/debian-systemd:bookworm"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Build once, then keep: debootstrap takes about a minute, the tarball ~100 MB.
TARBALL_NAME = "debian-systemd-bookworm-rootfs.tar"


def apt_mirror() -> str:
    """The Debian mirror of apt's own sources (deb822 or one-line format)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file() or path.suffix not in ("", ".list", ".sources"):
            continue
        text = path.read_text(errors="replace")
        for match in re.finditer(r"^\s*URIs:\s*(\S+)|^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+" + SUITE + r"\s",
                                 text, re.MULTILINE):
            uri = (match.group(1) or match.group(2)).rstrip("/")
            if uri.endswith("/debian"):
                return uri
    return DEFAULT_MIRROR


class Command(BaseCommand):
    help = f"Build {IMAGE} (Debian with systemd as PID 1) from a debootstrap rootfs; skips when it exists."

    def add_arguments(self, parser):
        parser.add_argument("--scope", default=None, help="scope whose podman gets the image (default: the first)")
        parser.add_argument("--force", action="store_true", help="rebuild the image (the cached rootfs is reused)")

    def handle(self, scope=None, force=False, **options):
        scope = scopes.get_scope(scope or scopes.default_scope_name())
        env = scope.child_env()
        exists = subprocess.run(["podman", "image", "exists", IMAGE], env=env).returncode == 0
        if exists and not force:
            self.stdout.write(f"{IMAGE} exists already.")
            return
        tarball = Path(settings.STATE_DIR) / TARBALL_NAME
        if not tarball.exists():
            self._debootstrap(tarball, env)
        self.stdout.write(f"importing {tarball} as {IMAGE} ...")
        done = subprocess.run(["podman", "import", "--change", 'CMD ["/sbin/init"]',
                               "--change", "STOPSIGNAL SIGRTMIN+3", "--message", "Podhouse: Debian bookworm with systemd",
                               str(tarball), IMAGE], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandError(f"podman import failed: {done.stderr.strip()}")
        self.stdout.write(f"{IMAGE} built ({done.stdout.strip()[:19]}).")

    def _debootstrap(self, tarball: Path, env: dict) -> None:
        if not shutil.which("debootstrap"):
            raise CommandError("debootstrap is not installed (apt-get install debootstrap)")
        mirror = apt_mirror()
        with tempfile.TemporaryDirectory(prefix="podhouse-rootfs-", dir=tarball.parent) as work:
            root = Path(work) / "root"
            self.stdout.write(f"debootstrap {SUITE} from {mirror} (about a minute) ...")
            done = subprocess.run(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus",
                                   SUITE, str(root), mirror], capture_output=True, text=True)
            if done.returncode != 0:
                raise CommandError(f"debootstrap failed: {(done.stderr or done.stdout).strip()[-2000:]}")
            # A container has no consoles to log in on and no hardware to wait for.
            for unit in ("getty@tty1.service", "console-getty.service", "systemd-udevd.service",
                         "systemd-udev-trigger.service", "systemd-networkd-wait-online.service"):
                mask = root / "etc/systemd/system" / unit
                mask.parent.mkdir(parents=True, exist_ok=True)
                if not mask.exists():
                    mask.symlink_to("/dev/null")
            (root / "etc/hostname").write_text("debian-systemd\n")
            (root / "etc/machine-id").write_text("")  # systemd makes one at boot
            shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
            partial = tarball.with_suffix(".partial")
            done = subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise CommandError(f"tar failed: {done.stderr.strip()}")
            os.replace(partial, tarball)
