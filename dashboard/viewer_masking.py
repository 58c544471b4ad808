"""What a viewer is not shown: the values of a container's environment.

Secrets are usually handed to containers in environment variables, and a viewer
(an account without the operate permission) may read everything else about a
container.  The names stay visible so the page still says what is set; the values
are replaced wherever the inspect record carries them: Config.Env, and the
`-e`/`--env` arguments of Config.CreateCommand (the podman command line that made
the container), and in unit files and ExecStart lines (a service's `Environment=`
settings, Quadlet's and podman's `--env` arguments), which carry the same values."""
from __future__ import annotations

import copy
import re

HIDDEN = "(hidden from viewers)"
ENV_FLAGS = ("-e", "--env")


def mask_env_entry(entry: str) -> str:
    """"KEY=value" -> "KEY=(hidden from viewers)"; a bare "KEY" (taken from the host) stays."""
    key, sep, _value = entry.partition("=")
    return f"{key}={HIDDEN}" if sep else entry


def mask_command_line(words: list[str]) -> list[str]:
    """podman's create command with the value of every -e/--env argument hidden."""
    masked, after_flag = [], False
    for word in words:
        if after_flag:
            masked.append(mask_env_entry(word))
            after_flag = False
            continue
        flag, sep, value = word.partition("=")
        if word in ENV_FLAGS:
            after_flag = True
            masked.append(word)
        elif sep and flag == "--env":
            masked.append(f"--env={mask_env_entry(value)}")
        elif word.startswith("-e") and not word.startswith("--") and len(word) > 2:
            masked.append("-e" + mask_env_entry(word[2:]))
        else:
            masked.append(word)
    return masked


def mask_inspect(record: dict) -> dict:
    """A copy of a container's inspect record fit for a viewer."""
    masked = copy.deepcopy(record)
    config = masked.get("Config") or {}
    if isinstance(config.get("Env"), list):
        config["Env"] = [mask_env_entry(str(e)) for e in config["Env"]]
    if isinstance(config.get("CreateCommand"), list):
        config["CreateCommand"] = mask_command_line([str(w) for w in config["CreateCommand"]])
    return masked


# Environment=KEY=value ... (a whole line: every assignment on it)
_ENVIRONMENT_LINE = re.compile(r"^(\s*Environment\s*=\s*)(.*)$", re.MULTILINE)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# "KEY=value with spaces" (quoted whole) or KEY=value, KEY="value", KEY='value'
_ASSIGNMENT = re.compile(rf"""(?:(["'])({_NAME})=[^"']*\1|({_NAME})=(?:"[^"]*"|'[^']*'|[^\s"']*))""")
# --env KEY=value, --env=KEY=value, -e KEY=value inside a command line
_ENV_ARGUMENT = re.compile(rf"""((?:^|\s)(?:--env[= ]|-e ?))(?:(["'])({_NAME})=[^"']*\2|({_NAME})=(?:"[^"]*"|'[^']*'|[^\s"']*))""")


def mask_unit_text(text: str) -> str:
    """A unit file (or a command line) with every environment value hidden."""
    def assignment(m):
        return f"{m[1]}{m[2]}={HIDDEN}{m[1]}" if m[1] else f"{m[3]}={HIDDEN}"

    def argument(m):
        return f"{m[1]}{m[2]}{m[3]}={HIDDEN}{m[2]}" if m[2] else f"{m[1]}{m[4]}={HIDDEN}"

    text = _ENVIRONMENT_LINE.sub(lambda m: m[1] + _ASSIGNMENT.sub(assignment, m[2]), text)
    return _ENV_ARGUMENT.sub(argument, text)
