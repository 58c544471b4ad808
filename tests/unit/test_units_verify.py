"""The shadow's words and the field-by-field comparison (pure logic; the real shadow
is in tests/integration/test_generate_verify.py)."""
import dataclasses
import subprocess

import pytest

from engine.units import verify
from engine.units.generated import GeneratedUnits, UnitFile
from engine.units.spec import ContainerSpec, PodSpec

QUADLET_DRYRUN = """---web.service---
[X-Container]
Image=localhost/busybox:latest
[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStart=/usr/bin/podman run --name web --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --publish 8080:80 --env "A=b c" localhost/busybox:latest sh -c "echo --name x"
"""


def test_quadlet_service_text_is_read_from_the_dryrun_and_split_like_systemd():
    units = GeneratedUnits("quadlet", [], "web.service", ["web.service"])
    text = verify.service_sections(units, QUADLET_DRYRUN)["web.service"]
    [argv] = verify.podman_commands(text, "web.service", "/run/user/0")
    assert argv[-3:] == ["sh", "-c", "echo --name x"]
    shadow = verify.shadow_run_argv(argv, "web-shadow")
    assert shadow == ["/usr/bin/podman", "create", "--name=web-shadow", "--cgroups=split", "--publish=8080:80",
                      "--env=A=b c", "localhost/busybox:latest", "sh", "-c", "echo --name x"]


def test_classic_exec_start_with_prefix_specifiers_and_pod_id_file():
    text = ("[Unit]\nDescription=x\n[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\n"
            "ExecStartPre=/bin/rm -f %t/%n.ctr-id\n"
            "ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon -d "
            "--replace --pod-id-file=%t/p-pod.service.pod-id --name=m -e \"K=100%%\" -it img \\\n  sleep 1\n")
    [argv] = verify.podman_commands(text, "m.service", "/run/user/0")
    assert "--cidfile=/run/user/0/m.service.ctr-id" in argv
    assert verify.shadow_run_argv(argv, "m-s", "p-s") == [
        "/usr/bin/podman", "create", "--cgroups=no-conmon", "--pod=p-s", "--name=m-s", "-e", "K=100%",
        "--interactive", "--tty", "img", "sleep", "1"]


def test_short_value_flags_keep_their_value_and_a_glued_one_too():
    words = verify.split_options(["podman", "run", "-e", "A=1", "-eB=2", "-v", "/a:/b", "--rm", "img", "-e", "x"])
    assert [(n, v) for n, v, _ in words.options] == [("e", "A=1"), ("e", "B=2"), ("v", "/a:/b"), ("rm", None)]
    assert words.rest == ["img", "-e", "x"]


def test_pod_create_words_drop_the_service_files_and_rename_infra():
    argv = ["/usr/bin/podman", "pod", "create", "--infra-conmon-pidfile=%t/%N.pid", "--pod-id-file=%t/%N.pod-id",
            "--exit-policy=stop", "--replace", "--publish", "8081:80", "--infra-name", "pp-infra", "--name", "pp",
            "--infra=false"]
    assert verify.shadow_pod_argv(argv, "pp-s") == [
        "/usr/bin/podman", "pod", "create", "--exit-policy=stop", "--publish=8081:80", "--infra-name=pp-s-infra",
        "--name=pp-s", "--infra=false"]


def test_a_value_flag_at_the_end_is_refused():
    with pytest.raises(verify.VerifyError):
        verify.split_options(["podman", "run", "--env"])


def test_boolean_flags_match_this_podman():
    """Every flag the list calls boolean is one podman's help shows without a value
    type; a flag that gained or lost a value would make the split go wrong."""
    helps = subprocess.run(["podman", "run", "--help"], capture_output=True, text=True).stdout
    helps += subprocess.run(["podman", "pod", "create", "--help"], capture_output=True, text=True).stdout
    for line in helps.splitlines():
        line = line.strip()
        if not line.startswith("-"):
            continue
        flag = line.split()[1 if line.startswith("-") and not line.startswith("--") else 0].rstrip(",")
        if not flag.startswith("--"):
            continue
        name = flag[2:]
        rest = line.split(flag, 1)[1].split("  ")[0].strip()
        takes_value = bool(rest)
        if name in verify.BOOLEAN_FLAGS:
            assert not takes_value, f"--{name} takes a value here: {line}"
        else:
            assert takes_value, f"--{name} is boolean in this podman but not in BOOLEAN_FLAGS: {line}"


def _spec(**changes):
    base = ContainerSpec(name="a", image="img", command=("sleep", "1"), env={"A": "1"},
                         publish=("8080:80",), restart_policy="always")
    return dataclasses.replace(base, **changes)


def test_identical_specs_count_every_field_and_skip_identity():
    spec = _spec()
    count, differences = verify.compare_specs(spec, _spec(name="a-shadow", restart_policy=""))
    assert differences == []
    # every compared field once, a dict field once per key (env has one, the others none)
    expected = sum(len(getattr(spec, f.name)) if isinstance(getattr(spec, f.name), dict) else 1
                   for f in dataclasses.fields(ContainerSpec) if f.metadata.get("compare", True))
    assert count == expected and count > 50


def test_a_difference_names_the_field_and_both_values():
    shadow = _spec(command=("sleep", "2"), publish=())
    count, differences = verify.compare_specs(_spec(), shadow)
    assert [(d.label, d.original, d.shadow) for d in differences] == [
        ("command", "sleep 1", "sleep 2"), ("--publish", "8080:80", "(none)")]


def test_fields_with_labels_and_compare_false_are_honoured():
    @dataclasses.dataclass
    class Spec:
        name: str = dataclasses.field(metadata={"compare": False})  # identity: the shadow's differs
        caps: dict = dataclasses.field(default_factory=dict, metadata={"label": "Capabilities"})
        secret_id: str = dataclasses.field(default="", metadata={"compare": False})

    count, differences = verify.compare_specs(Spec("a", {"add": ["NET_ADMIN"]}, "1"), Spec("b", {}, "2"))
    assert count == 1
    assert [(d.label, d.original, d.shadow) for d in differences] == [("Capabilities add", "NET_ADMIN", "(the image's)")]


def test_summary_words():
    assert verify.Verification(compared=7).summary == "identical on 7 settings"
    assert "1 difference(s) on 7 settings" == verify.Verification(
        compared=7, differences=[verify.Difference("x", "1", "2")]).summary
    assert verify.Verification(error="boom").summary == "Not verified: boom"


def test_classic_sections_are_the_files_themselves():
    units = GeneratedUnits("classic", [UnitFile("unit", "p-pod.service", "A"), UnitFile("unit", "m.service", "B")],
                           "p-pod.service", ["p-pod.service", "m.service"])
    assert verify.service_sections(units, "") == {"p-pod.service": "A", "m.service": "B"}
    assert isinstance(PodSpec("p", []), PodSpec)
