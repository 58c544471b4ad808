"""engine.registry's pure parts: references, auth files, challenges, lists."""
import base64
import json

import pytest

from engine import registry
from engine.registry import RegistryError, RemoteReference


@pytest.mark.parametrize("reference, expected", [
    ("docker.io/library/nginx:1.25", RemoteReference("docker.io", "library/nginx", "1.25")),
    ("docker.io/nginx", RemoteReference("docker.io", "library/nginx", "latest")),
    ("quay.io/podman/stable", RemoteReference("quay.io", "podman/stable", "latest")),
    ("127.0.0.1:5000/a/b/c:v2", RemoteReference("127.0.0.1:5000", "a/b/c", "v2")),
    ("localhost/app:dev", RemoteReference("localhost", "app", "dev")),
    ("ghcr.io/o/app:1@sha256:" + "a" * 64, RemoteReference("ghcr.io", "o/app", "sha256:" + "a" * 64)),
])
def test_references_split_for_the_api(reference, expected):
    assert registry.parse_reference(reference) == expected


def test_docker_hub_is_asked_at_its_api_host():
    ref = registry.parse_reference("docker.io/library/busybox:latest")
    assert ref.api_host == "registry-1.docker.io"
    assert ref.manifest_path == "/v2/library/busybox/manifests/latest"


@pytest.mark.parametrize("reference", ["busybox", "library/busybox:latest", "nginx:1"])
def test_a_reference_without_a_registry_is_refused(reference):
    with pytest.raises(RegistryError, match="names no registry"):
        registry.parse_reference(reference)


def test_auth_files_are_searched_as_podman_does():
    env = {"XDG_RUNTIME_DIR": "/run/user/7", "HOME": "/home/u"}
    assert [str(p) for p in registry.auth_file_paths(env)] == [
        "/run/user/7/containers/auth.json", "/home/u/.config/containers/auth.json", "/home/u/.docker/config.json"]
    assert [str(p) for p in registry.auth_file_paths({**env, "REGISTRY_AUTH_FILE": "/etc/a.json"})] == ["/etc/a.json"]
    # the label wins over the environment
    assert [str(p) for p in registry.auth_file_paths({**env, "REGISTRY_AUTH_FILE": "/etc/a.json"},
                                                     explicit="/srv/l.json")] == ["/srv/l.json"]


def _auth(user, password):
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_most_specific_auth_file_key_wins():
    auths = {"quay.io": _auth("all", "1"), "quay.io/team": _auth("team", "2"),
             "https://ghcr.io": _auth("gh", "3"), "https://index.docker.io/v1/": _auth("hub", "4")}
    assert registry.credentials_in(auths, registry.parse_reference("quay.io/team/app:1")) == ("team", "2")
    assert registry.credentials_in(auths, registry.parse_reference("quay.io/other/app:1")) == ("all", "1")
    assert registry.credentials_in(auths, registry.parse_reference("ghcr.io/o/app:1")) == ("gh", "3")
    assert registry.credentials_in(auths, registry.parse_reference("docker.io/library/nginx")) == ("hub", "4")
    assert registry.credentials_in(auths, registry.parse_reference("example.org/x:1")) is None


def test_a_password_may_hold_a_colon():
    auths = {"r.example": _auth("u", "a:b:c")}
    assert registry.credentials_in(auths, registry.parse_reference("r.example/x:1")) == ("u", "a:b:c")


def test_bad_auth_files_are_explained(tmp_path):
    ref = registry.parse_reference("r.example/x:1")
    with pytest.raises(RegistryError, match="does not exist"):
        registry.credentials_for(ref, [tmp_path / "missing.json"])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RegistryError, match="not JSON"):
        registry.credentials_for(ref, [tmp_path / "bad.json"])
    (tmp_path / "b64.json").write_text(json.dumps({"auths": {"r.example": {"auth": "%%%"}}}))
    with pytest.raises(RegistryError, match="base64"):
        registry.credentials_for(ref, [tmp_path / "b64.json"])


def test_the_first_auth_file_found_is_the_one_read(tmp_path):
    ref = registry.parse_reference("r.example/x:1")
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"auths": {"r.example": _auth("u", "p")}}))
    assert registry.credentials_for(ref, [tmp_path / "absent.json", second]) == ("u", "p")
    assert registry.credentials_for(ref, [tmp_path / "absent.json", tmp_path / "absent2.json"]) is None


def test_the_pull_header_is_url_safe_base64_json():
    header = registry.registry_auth_header(("u", "p?>"))
    assert json.loads(base64.urlsafe_b64decode(header)) == {"username": "u", "password": "p?>"}


def test_challenges_are_read():
    assert registry.parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"') == (
        "bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                   "scope": "repository:x:pull"})
    assert registry.parse_challenge('Basic realm="Registry Realm"') == ("basic", {"realm": "Registry Realm"})


def test_a_list_is_narrowed_to_the_local_platform():
    index = {"manifests": [
        {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "sha256:armv7", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": "sha256:armv6", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
    ]}
    assert registry.platform_entry(index, "linux", "amd64") == "sha256:amd"
    assert registry.platform_entry(index, "linux", "arm", "v6") == "sha256:armv6"
    assert registry.platform_entry(index, "windows", "amd64") == ""


def test_local_digests_come_from_digest_and_repo_digests():
    image = {"Digest": "sha256:aa", "RepoDigests": ["quay.io/x@sha256:bb", "quay.io/x@sha256:aa"]}
    assert registry.local_digests(image) == {"sha256:aa", "sha256:bb"}
    assert registry.local_digests({}) == set()


def _rules(text: str):
    import tomllib

    return registry.rules_in(tomllib.loads(text))


def test_registries_conf_decides_where_and_how_a_reference_is_asked():
    rules = _rules("""
[[registry]]
location = "registry.lan:5000"
insecure = true

[[registry]]
prefix = "example.com/team"
location = "mirror.lan/team-copy"

[[registry]]
prefix = "example.com/team/secret"
blocked = true
location = "example.com/team/secret"

[[registry]]
prefix = "*.corp.example"
insecure = true
""")
    asked, rule = registry.resolve("registry.lan:5000/app:1", rules)
    assert asked == "registry.lan:5000/app:1" and rule.insecure
    asked, rule = registry.resolve("example.com/team/app:2", rules)
    assert asked == "mirror.lan/team-copy/app:2" and not rule.insecure
    assert registry.resolve("example.com/team/secret:1", rules)[1].blocked
    # the longest prefix wins, and a prefix matches whole path components only
    assert registry.resolve("example.com/teamwork/app:1", rules) == ("example.com/teamwork/app:1", None)
    asked, rule = registry.resolve("git.corp.example/x/y:1", rules)
    assert asked == "git.corp.example/x/y:1" and rule.insecure
    assert registry.resolve("docker.io/library/nginx:1", rules) == ("docker.io/library/nginx:1", None)


def test_version_1_lists_still_count():
    rules = _rules("""
[registries.insecure]
registries = ["old.lan:5000"]
[registries.block]
registries = ["bad.example"]
""")
    assert registry.resolve("old.lan:5000/a:1", rules)[1].insecure
    assert registry.resolve("bad.example/a:1", rules)[1].blocked


def test_registries_conf_files_are_found_as_podman_finds_them(tmp_path):
    etc = tmp_path / "etc"
    (etc / "registries.conf.d").mkdir(parents=True)
    (etc / "registries.conf.d" / "10-a.conf").write_text("")
    home = tmp_path / "home"
    assert registry.registries_conf_paths({"HOME": str(home)}, etc) == [
        etc / "registries.conf", etc / "registries.conf.d" / "10-a.conf"]
    user = home / ".config" / "containers"
    (user / "registries.conf.d").mkdir(parents=True)
    (user / "registries.conf").write_text("")
    (user / "registries.conf.d" / "5-b.conf").write_text("")
    assert registry.registries_conf_paths({"HOME": str(home)}, etc) == [
        user / "registries.conf", etc / "registries.conf.d" / "10-a.conf", user / "registries.conf.d" / "5-b.conf"]
    assert registry.registries_conf_paths({"HOME": str(home), "CONTAINERS_REGISTRIES_CONF": "/x.conf"}, etc)[0] == \
        registry.Path("/x.conf")


def test_a_later_file_wins_and_a_broken_one_is_named(tmp_path):
    first, second = tmp_path / "a.conf", tmp_path / "b.conf"
    first.write_text('[[registry]]\nlocation = "r.lan"\ninsecure = true\n')
    second.write_text('[[registry]]\nlocation = "r.lan"\nblocked = true\n')
    (rule,) = registry.read_rules([first, second, tmp_path / "absent.conf"])
    assert rule.blocked and not rule.insecure
    second.write_text("[[registry]\n")
    with pytest.raises(RegistryError, match="b.conf"):
        registry.read_rules([first, second])
