"""Writing values into unit files so that systemd hands podman exactly the original.

Rules (systemd.syntax(7), systemd.service(5) "Command lines", systemd.unit(5)
"Specifiers"): a command line is split into words at unquoted whitespace; inside
double quotes C escapes (\\n, \\t, \\xNN, \\\\, \\") are decoded; every `%` starts a
specifier, so a literal one is `%%`; in Exec lines `$NAME`/`${NAME}` are expanded
from the environment and `$$` is a literal `$`; an unquoted lone `;` separates
commands; a line ending in a backslash continues on the next one.

Quadlet reads its `.container` keys that take words (Exec=, Environment=, Label=,
PodmanArgs=) with the same splitting and writes them, re-quoted, into the
ExecStart= of the service, leaving `%` and `$` for systemd: so the same escaping
serves both formats.  Quadlet drops everything from an empty word on and writes a
lone `;` unquoted, so those two words cannot go through it (see quadlet_obstacles).
"""
from __future__ import annotations

import re

# Characters that can stay bare in a word; anything else gets the word quoted.
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r",
              "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


def _escape_char(char: str) -> str:
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    if char == "%":
        return "%%"
    if char == "$":
        return "$$"
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\x{ord(char):02x}"
    if 0x80 <= ord(char) <= 0x9F or char in "\u2028\u2029":
        # Line breaks to some readers (Python's splitlines, editors): keep them out of the file.
        return f"\\u{ord(char):04x}"
    return char


def exec_word(word: str) -> str:
    """One argv word for an Exec= line (or a Quadlet word key): systemd gives back `word`."""
    if _BARE.fullmatch(word):
        return word.replace("%", "%%")
    return '"' + "".join(_escape_char(c) for c in word) + '"'


def exec_line(argv: list[str]) -> str:
    return " ".join(exec_word(word) for word in argv)


def specifier_text(text: str) -> str:
    """A free-text setting (Description=): specifiers escaped, one line."""
    return " ".join(text.replace("%", "%%").split())


def quadlet_obstacles(words: list[str]) -> list[str]:
    """Why these words cannot pass through Quadlet unchanged (empty if they can)."""
    problems = []
    if any(word == "" for word in words):
        problems.append("an empty argument (Quadlet stops reading the command at it)")
    if any(word == ";" for word in words):
        problems.append("a lone ';' argument (Quadlet writes it unquoted: systemd would split the command)")
    return problems


class UnitSyntaxError(ValueError):
    pass


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"', "'": "'", "s": " "}


def split_exec_line(line: str, environment: dict[str, str] | None = None,
                    specifiers: dict[str, str] | None = None) -> list[list[str]]:
    """The argv(s) systemd runs for an Exec= value: words split and unquoted, C escapes
    decoded, specifiers `%%` resolved, `$$` resolved (other `$NAME` expanded from
    `environment`; specifiers from `specifiers`, shown as `<%x>` when not given), and a
    lone unquoted `;` separating commands.  Used to check that
    what we wrote reads back as what we meant."""
    commands: list[list[str]] = [[]]
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        if line[i] == ";" and (i + 1 == n or line[i + 1] in " \t"):
            commands.append([])
            i += 1
            continue
        word, quote = [], None
        while i < n:
            char = line[i]
            if quote is None and char in " \t":
                break
            if char == "\\":
                if i + 1 >= n:
                    raise UnitSyntaxError("backslash at the end of the line")
                decoded, i = _unescape(line, i + 1)
                word.append(decoded)
                continue
            if quote is None and char in "\"'":
                quote = char
            elif char == quote:
                quote = None
            else:
                word.append(char)
            i += 1
        if quote is not None:
            raise UnitSyntaxError("unbalanced quotes")
        commands[-1].append(_expand("".join(word), environment or {}, specifiers or {}))
    return [command for command in commands if command]


def _unescape(line: str, i: int) -> tuple[str, int]:
    char = line[i]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], i + 1
    if char == "x":
        return chr(int(line[i + 1:i + 3], 16)), i + 3
    if char == "u":
        return chr(int(line[i + 1:i + 5], 16)), i + 5
    if char == "U":
        return chr(int(line[i + 1:i + 9], 16)), i + 9
    if char in "01234567":
        return chr(int(line[i:i + 3], 8)), i + 3
    raise UnitSyntaxError(f"unknown escape \\{char}")


_VARIABLE = re.compile(r"%%|%.|\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", re.S)


def _expand(word: str, environment: dict[str, str], specifiers: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "%%":
            return "%"
        if token.startswith("%"):
            return specifiers.get(token[1], f"<{token}>")
        if token == "$$":
            return "$"
        return environment.get(match.group(1) or match.group(2), "")
    return _VARIABLE.sub(replace, word)
