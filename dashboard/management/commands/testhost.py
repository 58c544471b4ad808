"""`manage.py testhost up|down|status`: a booted Debian 12 test host (systemd as
PID 1) in a container, with Podhouse installed inside as podhouse.service."""
import socket
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.host import testhost
from dashboard.management.commands.make_systemd_image import apt_mirror


def working_tree_tar() -> bytes:
    """The working tree as git sees it (tracked and new files, ignored ones left out)."""
    base = Path(settings.BASE_DIR)
    files = subprocess.run(["git", "-C", str(base), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], capture_output=True, check=True).stdout
    names = b"\0".join(name for name in files.split(b"\0") if name and (base / name.decode()).exists())
    return subprocess.run(["tar", "-C", str(base), "--null", "-T", "-", "-c"], input=names,
                          capture_output=True, check=True).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Boot, remove or show the systemd test host (a Debian 12 container) with Podhouse installed inside."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["up", "down", "status", "test"])
        parser.add_argument("--port", type=int, default=0,
                            help="the machine's loopback port for Podhouse inside (default: a free one)")
        parser.add_argument("--no-install", action="store_true", help="boot only; do not install Podhouse")
        parser.add_argument("--as", dest="accounts", action="append", choices=["root", testhost.LOGIN_USER],
                            help="test: run the suite as this account (default: both)")
        parser.add_argument("pytest_args", nargs="*", help="test: pytest arguments (default: the real-host files)")

    def handle(self, action, port=0, no_install=False, accounts=None, pytest_args=(), **options):
        work = Path(settings.STATE_DIR) / "testhost"
        try:
            if action == "up":
                started = time.monotonic()
                state = testhost.up(work, port or free_port(), apt_mirror(),
                                    None if no_install else working_tree_tar())
                self.stdout.write(f"up in {time.monotonic() - started:.0f} s (image build {state.build_seconds:.0f} s, "
                                  f"boot {state.boot_seconds:.0f} s, Podhouse install {state.install_seconds:.0f} s)")
                if state.admin_password:
                    self.stdout.write(f"Podhouse: http://127.0.0.1:{state.port}/  admin / {state.admin_password}")
            elif action == "test":
                paths = tuple(a for a in pytest_args if not a.startswith("-")) or testhost.REAL_HOST_TESTS
                extra = tuple(a for a in pytest_args if a.startswith("-"))
                results = testhost.run_suite(working_tree_tar(), paths, tuple(accounts or ("root", testhost.LOGIN_USER)),
                                             extra)
                self.stdout.write("pytest exit codes: " + ", ".join(f"{k}={v}" for k, v in results.items()))
                if any(results.values()):
                    raise CommandError("tests failed on the test host")
                return
            elif action == "down":
                self.stdout.write("removed: " + (", ".join(testhost.down(work)) or "nothing"))
            for key, value in testhost.status(work).items():
                self.stdout.write(f"{key:18} {value}")
        except testhost.TestHostError as error:
            raise CommandError(str(error)) from error
