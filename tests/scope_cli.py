"""systemctl and systemd-run as a test drives them in a scope: `--user` for the
user scope, the system manager for the system scope."""


def systemctl(scope, *args: str) -> list[str]:
    return ["systemctl", *(["--user"] if scope.is_user else []), *args]


def systemd_run(scope, *args: str) -> list[str]:
    return ["systemd-run", *(["--user"] if scope.is_user else []), *args]
