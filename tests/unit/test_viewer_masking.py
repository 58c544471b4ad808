"""What a viewer is not shown (dashboard.viewer_masking)."""
from dashboard.viewer_masking import HIDDEN, mask_command_line, mask_env_entry, mask_inspect


def test_an_entry_keeps_its_name():
    assert mask_env_entry("PASSWORD=hunter2") == f"PASSWORD={HIDDEN}"
    assert mask_env_entry("EMPTY=") == f"EMPTY={HIDDEN}"
    assert mask_env_entry("A=b=c") == f"A={HIDDEN}"
    assert mask_env_entry("FROM_HOST") == "FROM_HOST"


def test_every_spelling_of_env_on_the_command_line_is_hidden():
    words = ["podman", "run", "-e", "A=1", "--env", "B=2", "--env=C=3", "-eD=4", "--name", "x",
             "--env-file", "/f", "-d", "img", "echo", "E=5"]
    assert mask_command_line(words) == [
        "podman", "run", "-e", f"A={HIDDEN}", "--env", f"B={HIDDEN}", f"--env=C={HIDDEN}", f"-eD={HIDDEN}",
        "--name", "x", "--env-file", "/f", "-d", "img", "echo", "E=5"]


def test_inspect_is_copied_with_values_hidden():
    record = {"Id": "abc", "Config": {"Env": ["SECRET=s3cr3t", "PATH=/bin"],
                                      "CreateCommand": ["podman", "run", "-e", "SECRET=s3cr3t", "img"]}}
    masked = mask_inspect(record)
    assert "s3cr3t" not in repr(masked)
    assert masked["Config"]["Env"] == [f"SECRET={HIDDEN}", f"PATH={HIDDEN}"]
    assert record["Config"]["Env"][0] == "SECRET=s3cr3t"  # the original is untouched
    assert mask_inspect({"Id": "x"}) == {"Id": "x"}


def test_unit_files_and_commands_lose_their_environment_values():
    from dashboard.viewer_masking import mask_unit_text

    text = ("[Container]\nImage=busybox\nEnvironment=PASSWORD=hunter2 MODE=\"two words\"\n"
            "Environment='QUOTED=a b'\n[Service]\nEnvironment=TZ=UTC\n"
            "ExecStart=/usr/bin/podman run --env SECRET=s3cr3t --env=OTHER=x -e \"SPACED=p q\" -e K=v busybox\n"
            "Description=keep -e this and --envy=1\n")
    masked = mask_unit_text(text)
    for secret in ("hunter2", "two words", "a b", "UTC", "s3cr3t", "OTHER=x", "p q", "K=v"):
        assert secret not in masked, secret
    for name in ("PASSWORD=", "MODE=", "QUOTED=", "TZ=", "SECRET=", "OTHER=", "SPACED=", "K="):
        assert f"{name}{HIDDEN}" in masked, name
    assert "Image=busybox" in masked and "Description=keep -e this and --envy=1" in masked
