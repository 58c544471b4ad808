"""The security settings read from the environment (dashboard/settings.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHOW = ("import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: getattr(settings, k) "
        "for k in ('SESSION_COOKIE_AGE', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'CSRF_TRUSTED_ORIGINS', 'STATS_SOCKETS_PER_USER', 'LOGIN_FAILURES_PER_ACCOUNT')}))")


def settings_with(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PODHOUSE_") or k == "PODHOUSE_STATE_DIR"}
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=PROJECT_DIR, capture_output=True, text=True,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_defaults_twelve_hour_sessions_no_secure_cookies_no_hsts():
    values = settings_with()
    assert values["SESSION_COOKIE_AGE"] == 12 * 3600
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0 and values["CSRF_TRUSTED_ORIGINS"] == []


def test_the_environment_changes_them():
    values = settings_with(PODHOUSE_SESSION_HOURS="2", PODHOUSE_SECURE_COOKIES="1", PODHOUSE_HSTS_SECONDS="3600",
                           PODHOUSE_TRUSTED_ORIGINS="https://console.example.org, https://b.example",
                           PODHOUSE_STATS_SOCKETS_PER_USER="5", PODHOUSE_LOGIN_FAILURES_PER_ACCOUNT="3")
    assert values == {"SESSION_COOKIE_AGE": 7200, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                      "SECURE_HSTS_SECONDS": 3600,
                      "CSRF_TRUSTED_ORIGINS": ["https://console.example.org", "https://b.example"],
                      "STATS_SOCKETS_PER_USER": 5, "LOGIN_FAILURES_PER_ACCOUNT": 3}
