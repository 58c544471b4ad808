"""The dashboard app: at start, report unit files whose writing was interrupted."""
import logging

from django.apps import AppConfig

log = logging.getLogger("podhouse")


class DashboardConfig(AppConfig):
    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        report_unfinished_unit_writes()


def report_unfinished_unit_writes() -> list:
    """A server killed while writing units leaves temporary files beside them (the
    units themselves are whole: the rename never happened).  Say so, with their paths."""
    from dashboard.host import scopes
    from engine.units import install

    try:
        folders = [folder for scope in scopes.available_scopes().values()
                   for folder in (scope.unit_dir, scope.quadlet_dir)]
    except Exception as error:  # no host stack yet: nothing to look at
        log.debug("no scopes to check for unfinished unit writes: %s", error)
        return []
    found = install.leftovers(folders)
    for path in found:
        log.warning("unfinished unit write from an earlier run: %s (the unit file beside it is whole; "
                    "remove this temporary file)", path)
    return found
