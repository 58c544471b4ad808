"""Escaping: every value reads back as itself, and none can add a line or a directive."""
from hypothesis import given, settings, strategies as st

from engine.units import classic, quadlet
from engine.units.escaping import exec_line, exec_word, quadlet_obstacles, split_exec_line, specifier_text
from engine.units.options import UnitOptions
from engine.units.spec import ContainerSpec

# Any text podman can hold: no NUL (argv and environment cannot carry it).
values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
words = st.lists(values, min_size=1, max_size=8)
env_keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
TRICKY = ["", ";", " ", "\t", "\n", "%", "%n", "%%", "$", "$HOME", "${HOME}", "$$", "\\", "\\;", '"', "'",
          "a\\", "é", "\x7f", "\x01", "#x", "x #y", "a=b c"]


@settings(max_examples=2000, deadline=None)
@given(words)
def test_command_words_read_back_exactly(argv):
    assert split_exec_line(exec_line(argv)) == [argv]


def test_tricky_words_read_back_exactly():
    assert split_exec_line(exec_line(TRICKY)) == [TRICKY]


@settings(max_examples=2000, deadline=None)
@given(values)
def test_a_word_is_one_line_without_live_specifiers_or_variables(value):
    word = exec_word(value)
    assert "\n" not in word and "\r" not in word
    # Every % and $ that systemd would act on comes doubled.
    assert word.replace("%%", "").count("%") == 0
    assert word.replace("$$", "").count("$") == 0


def _spec(env: dict[str, str], command: list[str]) -> ContainerSpec:
    return ContainerSpec(name="phg-x", image="localhost/busybox:latest", command=tuple(command), env=dict(env))


def _sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[")]


@settings(max_examples=700, deadline=None)
@given(st.dictionaries(env_keys, values, max_size=6), words)
def test_classic_unit_gives_podman_the_same_argv_and_no_extra_lines(env, command):
    spec = _spec(env, command)
    options = UnitOptions(unit_name="phg-x")
    text = classic.container_text(spec, options)
    clean = classic.container_text(_spec({k: "v" for k in env}, ["c"] * len(command)), options)
    assert len(text.splitlines()) == len(clean.splitlines())
    assert _sections(text) == _sections(clean)
    exec_start = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert len(exec_start) == 1
    (argv,) = split_exec_line(exec_start[0].removeprefix("ExecStart="), specifiers={"t": "/run/user/0", "n": "phg-x.service"})
    image_at = len(argv) - len(command) - 1
    assert argv[image_at] == spec.image and argv[image_at + 1:] == command
    options_part = argv[:image_at]
    env_args = [options_part[i + 1] for i, word in enumerate(options_part) if word == "--env"]
    assert env_args == [f"{k}={v}" for k, v in env.items()]


@settings(max_examples=700, deadline=None)
@given(st.dictionaries(env_keys, values, max_size=6), words)
def test_quadlet_file_keys_read_back_exactly_or_are_refused(env, command):
    spec = _spec(env, command)
    options = UnitOptions(unit_name="phg-x")
    if quadlet_obstacles(command):
        try:
            quadlet.container_text(spec, options)
        except quadlet.QuadletUnsupported:
            return
        raise AssertionError("Quadlet must refuse what it cannot carry")
    text = quadlet.container_text(spec, options)
    lines = text.splitlines()
    clean = quadlet.container_text(_spec({k: "v" for k in env}, ["c"] * len(command)), options)
    assert len(lines) == len(clean.splitlines()) and _sections(text) == _sections(clean)
    (exec_key,) = [line for line in lines if line.startswith("Exec=")]
    assert split_exec_line(exec_key.removeprefix("Exec=")) == [command]
    env_lines = [line.removeprefix("Environment=") for line in lines if line.startswith("Environment=")]
    assert [split_exec_line(line)[0] for line in env_lines] == [[f"{k}={v}"] for k, v in env.items()]


def test_quadlet_obstacles_are_the_empty_word_and_the_lone_semicolon():
    assert quadlet_obstacles(["a", "b;", "\\;", " "]) == []
    assert len(quadlet_obstacles(["a", ""])) == 1
    assert len(quadlet_obstacles([";"])) == 1


def test_description_text_escapes_specifiers_and_stays_one_line():
    assert specifier_text("50%\nnew=line") == "50%% new=line"


def test_lone_semicolon_unquoted_splits_commands_but_quoted_does_not():
    assert split_exec_line("a ; b") == [["a"], ["b"]]
    assert split_exec_line('a ";" b') == [["a", ";", "b"]]
    assert split_exec_line("echo $X ${X}y $$X", environment={"X": "1"}) == [["echo", "1", "1y", "$X"]]
