"""`manage.py hoststack up|down|status`: the embedded default host stack."""
from django.core.management.base import BaseCommand, CommandError

from dashboard.host import hoststack


class Command(BaseCommand):
    help = "Start, stop or show the private host stack (D-Bus, systemd --user, journald, Podman API)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["up", "down", "status"])
        parser.add_argument("--no-install", action="store_true",
                            help="do not apt-get install missing packages")

    def handle(self, action, no_install=False, **options):
        try:
            if action == "up":
                state = hoststack.up(install=not no_install)
                for key, value in state.environment().items():
                    self.stdout.write(f"{key}={value}")
            elif action == "down":
                stopped = hoststack.down()
                self.stdout.write("stopped: " + (", ".join(stopped) or "nothing"))
            for part, word in hoststack.status().items():
                self.stdout.write(f"{part:9} {word}")
        except hoststack.HostStackError as error:
            raise CommandError(str(error)) from error
