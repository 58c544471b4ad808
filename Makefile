# Podhouse: `make run` serves it on http://127.0.0.1:8000 with the embedded host
# stack; `make test` runs the whole suite (unit, integration, e2e, then the real-host
# suites against a booted test host).
PY      := .venv/bin/python
PIP     := .venv/bin/pip
HOST    ?= 127.0.0.1
PORT    ?= 8000
APT_PACKAGES := podman runc busybox-static uidmap systemd dbus chromium python3-venv debootstrap

.PHONY: run test setup system-packages venv hoststack-up hoststack-down unit integration e2e bench test-realhost realhost-suites

run: setup hoststack-up
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py ensure_admin
	@echo "Podhouse on http://$(HOST):$(PORT)/"
	.venv/bin/daphne -b $(HOST) -p $(PORT) dashboard.asgi:application

# Everything: pytest over tests/ and e2e/ on the embedded stack, then the realhost
# suites against the booted test host (below).
test: setup hoststack-up
	$(PY) -m pytest
	$(MAKE) --no-print-directory realhost-suites

setup: system-packages venv

# apt only when something is missing: a second run costs nothing.
system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: .venv/.installed

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -e '.[test]'
	touch $@

hoststack-up: venv
	$(PY) manage.py hoststack up

hoststack-down: venv
	$(PY) manage.py hoststack down

unit: venv
	$(PY) -m pytest tests/unit
integration: setup hoststack-up
	$(PY) -m pytest tests/integration
e2e: setup hoststack-up
	$(PY) -m pytest e2e

bench: setup hoststack-up
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# The suites that matter on a real host, against a booted Debian 12 test host with
# Podhouse installed as podhouse.service (manage.py testhost): inside as root (system
# scope) and as its login user (user scope), then the installed service from this
# machine's Chromium (every e2e/test_realhost_*.py).  The test host is removed afterwards,
# whatever the outcome.
test-realhost: setup hoststack-up
	$(MAKE) --no-print-directory realhost-suites

realhost-suites:
	status=0; \
	if $(PY) manage.py testhost up; then \
	  $(PY) manage.py testhost test || status=1; \
	  $(PY) -m pytest --testhost $(wildcard e2e/test_realhost_*.py) || status=1; \
	else status=1; fi; \
	$(PY) manage.py testhost down || status=1; \
	exit $$status
