"""What the auto-update timer runs (dashboard.flows.update_schedule): update every
container of a scope whose label asks for it, as the Updates page's "Update now"
does, with the history kept and each step printed for the unit's journal.  The
exit status is 1 when an update failed or was rolled back, so the unit shows it."""
import asyncio
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError

from dashboard.flows import updates
from dashboard.host import scopes
from engine import autoupdate

# who the history and the audit log name for a scheduled run
TIMER_USER = SimpleNamespace(username="auto-update timer", is_authenticated=False)


class Command(BaseCommand):
    help = "Update the containers labelled io.containers.autoupdate in a scope (the schedule's run)."

    def add_arguments(self, parser):
        parser.add_argument("--scope", default=None)
        parser.add_argument("--tls-verify", default="true", choices=["true", "false"])

    def handle(self, scope=None, tls_verify="true", **options):
        try:
            chosen = scopes.get_scope(scope or scopes.default_scope_name())
        except scopes.UnknownScope as error:
            raise CommandError(str(error))

        async def say(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        outcomes = asyncio.run(updates.update_scope(chosen, TIMER_USER, say, tls_verify == "true"))
        self.stdout.write(autoupdate.summary(outcomes) or "no container takes part")
        if not all(outcome.ok for outcome in outcomes):  # failed or rolled back
            raise SystemExit(1)
