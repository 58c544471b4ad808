"""The containers and pods of the fidelity test (tests/integration/test_generate_fidelity.py):
every field of ContainerSpec / PodSpec is set to a non-default value by at least one
case, through the CLI and through the API.  tests/unit/test_units_spec_drift.py checks
that a field added to the spec has a case here; the integration test checks that the
case really gives the field a non-default value on this host.

`p` is a name prefix (one per format), `n` a small number that keeps static
addresses apart between the formats' copies."""
from tests.podman_cli import BUSYBOX

SLEEP = ["sleep", "100000"]
TRICKY_ENV = {"SPACES": "a b  c", "PERCENT": "100% %n %%", "DOLLAR": "$HOME ${HOME} $$", "QUOTES": "\"d\" 'e'",
              "BACKSLASH": "c:\\dir\\", "NEWLINE": "one\ntwo", "TAB": "a\tb", "UNICODE": "héllo wörld ✓",
              "SEMI": ";", "EMPTY": "", "HASH": "#not a comment", "EQUALS": "a=b=c"}
TRICKY_WORDS = ["x y", "100%", "$HOME", "${X}", "'q'", '"dq"', "back\\slash", "tab\there", "new\nline", "ü", "#"]
# Fields this host cannot give a non-default value (a case asks for it; the host
# discards it, and the test checks that it does): field -> why.
HOST_DISCARDS = {"blkio_weight": "cgroup v1 here has no blkio weight (podman: 'Weight discarded')"}
# Pod fields no case can set on this host: field -> why.
POD_NOT_SETTABLE = {"userns": "rootful podman here has no subordinate id ranges for --userns=auto; "
                              "host is podman's default"}


def shared(p: str) -> dict[str, str]:
    """Objects the cases refer to: network, secret, volume, bind folder, env file, images."""
    return {"net": f"{p}-net", "secret": f"{p}-sec", "volume": f"{p}-vol", "bind": f"/tmp/{p}-bind",
            "envfile": f"/tmp/{p}-bind.env", "image": f"localhost/{p}-img:latest",
            "sysimage": f"localhost/{p}-sys:latest"}


def cli_cases(p: str, n: int, s: dict[str, str]) -> dict[str, list[str]]:
    """name -> `podman create` options (image and command included)."""
    net, ip = s["net"], f"10.89.{200 + n}"
    return {
        f"{p}-plain": [BUSYBOX, *SLEEP],
        f"{p}-http": ["-p", "127.0.0.1::80", BUSYBOX, "httpd", "-f", "-p", "80"],
        f"{p}-ports": ["-p", "8080", "-p", "127.0.0.1::81/udp", BUSYBOX, *SLEEP],
        f"{p}-env": [*[f"--env={k}={v}" for k, v in TRICKY_ENV.items()], BUSYBOX, *SLEEP],
        f"{p}-envfile": ["--env-file", s["envfile"], BUSYBOX, *SLEEP],
        f"{p}-words": [BUSYBOX, "sh", "-c", "sleep 100000", *TRICKY_WORDS],
        f"{p}-entry": ["--entrypoint", '["/bin/sh","-c","sleep 100000 # a  b"]', BUSYBOX, "arg one", "two"],
        f"{p}-entry1": ["--entrypoint", "/bin/sleep", BUSYBOX, "100000"],
        f"{p}-bind": ["-v", f"{s['bind']}:/data:ro", "-v", f"{s['bind']}:/rw:noexec", BUSYBOX, *SLEEP],
        f"{p}-volume": ["-v", f"{s['volume']}:/vol", "-v", f"{s['volume']}:/ro-vol:ro,nocopy", BUSYBOX, *SLEEP],
        f"{p}-tmpfs": ["--tmpfs", "/run:rw,size=10m,mode=1777", "--tmpfs", "/scratch", BUSYBOX, *SLEEP],
        f"{p}-mounts": ["--mount", f"type=image,source={BUSYBOX},destination=/img",
                        "--mount", "type=devpts,destination=/dev/pts2",
                        "--mount", "type=tmpfs,destination=/t2,tmpfs-size=1m", BUSYBOX, *SLEEP],
        f"{p}-labels": ["--label", "app=web", "--label", "note=50% $off \"now\"", BUSYBOX, *SLEEP],
        f"{p}-annot": ["--annotation", "org.example.note=a b 100%", "--annotation", "x=1", BUSYBOX, *SLEEP],
        f"{p}-always": ["--restart", "always", BUSYBOX, *SLEEP],
        f"{p}-onfail": ["--restart", "on-failure:3", BUSYBOX, *SLEEP],
        f"{p}-user": ["--user", "65534:65534", "--group-add", "10", "--group-add", "20", BUSYBOX, *SLEEP],
        f"{p}-user1": ["--user", "nobody", BUSYBOX, *SLEEP],
        f"{p}-workdir": ["-w", "/tmp", BUSYBOX, *SLEEP],
        f"{p}-host": ["--hostname", "web-1.example", BUSYBOX, *SLEEP],
        f"{p}-health": ["--health-cmd", "test -e /bin/sh && echo ok", "--health-interval", "1m30s",
                        "--health-timeout", "5s", "--health-retries", "2", "--health-start-period", "500ms",
                        BUSYBOX, *SLEEP],
        f"{p}-health2": ["--health-cmd", '["/bin/true","a b"]', "--health-on-failure", "kill", BUSYBOX, *SLEEP],
        f"{p}-memory": ["--memory", "64m", "--memory-reservation", "32m", "--memory-swappiness", "10",
                        "--oom-kill-disable", "--oom-score-adj", "100", BUSYBOX, *SLEEP],
        f"{p}-swap": ["--memory", "32m", "--memory-swap", "100m", BUSYBOX, *SLEEP],
        f"{p}-cpus": ["--cpus", "0.5", "--cpuset-cpus", "0", "--cpuset-mems", "0", BUSYBOX, *SLEEP],
        f"{p}-quota": ["--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-shares", "512",
                       "--blkio-weight", "300", "--pids-limit", "100", BUSYBOX, *SLEEP],
        f"{p}-k8slog": ["--log-driver", "k8s-file", "--log-opt", "max-size=1mb", BUSYBOX, *SLEEP],
        f"{p}-logtag": ["--log-opt", "tag={{.Name}}-x", BUSYBOX, *SLEEP],
        f"{p}-nonet": ["--network", "none", BUSYBOX, *SLEEP],
        f"{p}-hostnet": ["--network", "host", BUSYBOX, *SLEEP],
        f"{p}-stop": ["--stop-signal", "SIGINT", "--stop-timeout", "3", BUSYBOX, *SLEEP],
        f"{p}-image": [s["image"], "sleep 100000"],
        f"{p}-unsetenv": ["--unsetenv", "OTHER", s["image"], "sleep 100000"],
        f"{p}-image2": ["--env", "IMG=changed", "-w", "/", s["image"], "sleep 100000 && :"],
        f"{p}-empty": [BUSYBOX, "sh", "-c", "sleep 100000", "", ";"],
        f"{p}-caps": ["--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--read-only", BUSYBOX, *SLEEP],
        f"{p}-caps2": ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN", BUSYBOX, *SLEEP],
        f"{p}-rotmpfs": ["--read-only", "--read-only-tmpfs=false", BUSYBOX, *SLEEP],
        f"{p}-dns": ["--add-host", "db.local:10.0.0.5", "--add-host", "cache:10.0.0.6", "--dns", "10.0.0.1",
                     "--dns", "10.0.0.2", "--dns-search", "example.internal", "--dns-option", "ndots:3",
                     BUSYBOX, *SLEEP],
        f"{p}-device": ["--device", "/dev/fuse", "--device", "/dev/net/tun:/dev/tun0:rw", BUSYBOX, *SLEEP],
        f"{p}-sysctl": ["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "net.ipv4.tcp_syncookies=0",
                        BUSYBOX, *SLEEP],
        # nproc too: without it podman asks for nproc=1048576, which runc here may not set
        f"{p}-ulimit": ["--ulimit", "nofile=1024:2048", "--ulimit", "core=0:0", "--ulimit", "nproc=4096:4096",
                        BUSYBOX, *SLEEP],
        f"{p}-secopt": ["--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
                        "--security-opt", "label=disable", BUSYBOX, *SLEEP],
        f"{p}-mask": ["--security-opt", "mask=/proc/scsi", "--security-opt", "unmask=/proc/kcore", BUSYBOX, *SLEEP],
        f"{p}-priv": ["--privileged", BUSYBOX, *SLEEP],
        f"{p}-init": ["--init", BUSYBOX, *SLEEP],
        f"{p}-tty": ["-t", "-i", BUSYBOX, *SLEEP],
        f"{p}-shm": ["--shm-size", "128m", BUSYBOX, *SLEEP],
        f"{p}-pidhost": ["--pid", "host", "--uts", "host", BUSYBOX, *SLEEP],
        f"{p}-ipchost": ["--ipc", "host", "--cgroupns", "private", BUSYBOX, *SLEEP],
        f"{p}-ipcnone": ["--ipc", "none", BUSYBOX, *SLEEP],
        f"{p}-userns": ["--userns", "host", BUSYBOX, *SLEEP],
        f"{p}-alias": ["--network", f"{net}:alias=web,alias=w2", BUSYBOX, *SLEEP],
        f"{p}-staticip": ["--network", f"{net}:ip={ip}.10,mac=92:d0:c6:0a:{n:02x}:10", BUSYBOX, *SLEEP],
        f"{p}-ipflag": ["--network", net, "--ip", f"{ip}.11", "--mac-address", f"92:d0:c6:0a:{n:02x}:11",
                        BUSYBOX, *SLEEP],
        f"{p}-secret": ["--secret", s["secret"], "--secret", f"{s['secret']},uid=1,gid=2,mode=0400,target=other",
                        BUSYBOX, *SLEEP],
        f"{p}-tz": ["--tz", "Europe/Paris", "--umask", "0077", BUSYBOX, *SLEEP],
        f"{p}-cgparent": ["--cgroup-parent", f"/{p}-cg", BUSYBOX, *SLEEP],
        f"{p}-pull": ["--pull", "never", BUSYBOX, *SLEEP],
        f"{p}-publishall": ["--expose", "80", "-P", BUSYBOX, *SLEEP],
        f"{p}-sysinit": ["--systemd", "always", s["sysimage"], "/sbin/init"],
        f"{p}-sysoff": ["--systemd", "false", s["sysimage"]],
        f"{p}-sysalways": ["--systemd", "always", BUSYBOX, *SLEEP],
    }


def api_cases(p: str, n: int, s: dict[str, str]) -> dict[str, dict]:
    """name -> libpod SpecGenerator (name and image added by the test)."""
    return {
        f"{p}-api1": {"image": BUSYBOX, "command": ["sh", "-c", "sleep 100000", "a b", "50%"],
                      "env": {"API": "x y", "DOLLAR": "$1"}, "labels": {"made": "api"}},
        f"{p}-api2": {"image": BUSYBOX, "command": SLEEP, "work_dir": "/tmp", "user": "65534",
                      "portmappings": [{"host_ip": "127.0.0.1", "host_port": 0, "container_port": 80}]},
        f"{p}-api3": {"image": BUSYBOX, "command": SLEEP, "hostname": "api-host",
                      "mounts": [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                  "options": ["size=5m"]}]},
        f"{p}-api-caps": {"image": BUSYBOX, "command": SLEEP, "cap_drop": ["ALL"], "cap_add": ["NET_BIND_SERVICE"],
                          "read_only_filesystem": True, "no_new_privileges": True},
        f"{p}-api-net": {"image": BUSYBOX, "command": SLEEP, "hostadd": ["db.local:10.0.0.5"],
                         "dns_server": ["10.0.0.1"], "dns_search": ["example.internal"], "dns_option": ["ndots:2"],
                         "netns": {"nsmode": "bridge"}, "Networks": {s["net"]: {"aliases": ["api-alias"]}}},
        f"{p}-api-dev": {"image": BUSYBOX, "command": SLEEP, "devices": [{"path": "/dev/fuse"}],
                         "r_limits": [{"type": "nofile", "soft": 512, "hard": 1024},
                                      {"type": "nproc", "soft": 2048, "hard": 2048}],
                         "shm_size": 33554432, "init": True, "terminal": True, "stdin": True},
        f"{p}-api-ns": {"image": BUSYBOX, "command": SLEEP, "pidns": {"nsmode": "host"},
                        "ipcns": {"nsmode": "host"}, "cgroupns": {"nsmode": "private"}, "groups": ["10"],
                        "annotations": {"made.by": "api"}, "timezone": "UTC", "umask": "0027"},
        f"{p}-api-res": {"image": BUSYBOX, "command": SLEEP, "oom_score_adj": 200,
                         "resource_limits": {"pids": {"limit": 64}, "cpu": {"cpus": "0", "shares": 256},
                                             "memory": {"limit": 67108864}},
                         "stop_signal": 2, "stop_timeout": 4},
        f"{p}-api-mnt": {"image": BUSYBOX, "command": SLEEP,
                         "image_volumes": [{"Source": BUSYBOX, "Destination": "/img", "ReadWrite": False}],
                         "volumes": [{"Name": s["volume"], "Dest": "/vol", "Options": []}],
                         "secrets": [{"Source": s["secret"]}]},
        f"{p}-api-sec": {"image": BUSYBOX, "command": SLEEP, "privileged": True,
                         "healthconfig": {"Test": ["CMD-SHELL", "true"], "Interval": 60_000_000_000,
                                          "Timeout": 5_000_000_000, "Retries": 2}},
        f"{p}-api-entry": {"image": s["image"], "entrypoint": ["/bin/sh", "-c", "sleep 100000 # x  y"],
                           "command": ["one", "two words"]},
    }


def pod_cases(p: str, n: int, s: dict[str, str]) -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    """pod -> (`podman pod create` options, {member: `podman create` options})."""
    ip = f"10.89.{200 + n}"
    return {
        f"{p}-poda": (["-p", "127.0.0.1::80", "--label", "tier=front end", "--pid", "host", "--uts", "host"],
                      {f"{p}-poda-web": ["--env", "ROLE=web 100%", BUSYBOX, "httpd", "-f", "-p", "80"],
                       f"{p}-poda-side": ["--cap-drop", "ALL", "--read-only", BUSYBOX, *SLEEP]}),
        f"{p}-podb": (["--cgroup-parent", f"/{p}-podcg"],
                      {f"{p}-podb-1": ["-v", f"{s['volume']}:/vol", BUSYBOX, *SLEEP],
                       f"{p}-podb-2": ["--env", "N=2", BUSYBOX, "sh", "-c", "sleep 100000", "x y"],
                       f"{p}-podb-3": ["--memory", "48m", "--init", BUSYBOX, *SLEEP]}),
        f"{p}-podnoinfra": (["--infra=false"],
                            {f"{p}-podnoinfra-1": ["--hostname", "solo", BUSYBOX, *SLEEP],
                             f"{p}-podnoinfra-2": ["--add-host", "x.local:10.0.0.9", BUSYBOX, *SLEEP]}),
        f"{p}-podinfra": (["--infra-image", s["sysimage"], "--infra-command", "/sbin/init",
                           "--infra-name", f"{p}-podinfra-pause", "--share", "net,ipc", "--hostname", "podhost",
                           "--no-hosts"],
                          {f"{p}-podinfra-1": ["--ulimit", "nofile=999:999", "--ulimit", "nproc=999:999", BUSYBOX, *SLEEP]}),
        f"{p}-podnet": (["--network", s["net"], "--ip", f"{ip}.20", "--mac-address", f"92:d0:c6:0b:{n:02x}:20",
                         "--add-host", "a.b:1.2.3.4", "--dns", "10.0.0.3", "--dns-search", "pod.example",
                         "--dns-option", "ndots:4", "-p", "127.0.0.1::8081"],
                        {f"{p}-podnet-1": ["--sysctl", "net.ipv4.tcp_syncookies=0", BUSYBOX, *SLEEP]}),
    }


def api_pods(p: str, n: int, s: dict[str, str]) -> dict[str, tuple[dict, dict[str, dict]]]:
    """pod -> (libpod PodSpecGenerator, {member: SpecGenerator})."""
    return {
        f"{p}-podapi": ({"labels": {"made": "api"}, "hostname": "apihost",
                         "portmappings": [{"host_ip": "127.0.0.1", "host_port": 0, "container_port": 8080}]},
                        {f"{p}-podapi-1": {"image": BUSYBOX, "command": ["httpd", "-f", "-p", "8080"],
                                           "env": {"PORT": "8080"}},
                         f"{p}-podapi-2": {"image": BUSYBOX, "command": SLEEP, "labels": {"side": "car"},
                                           "cap_add": ["SYS_PTRACE"]}}),
    }
