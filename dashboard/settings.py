"""Django settings for Podhouse.

Everything a deployment changes comes from the environment:
PODHOUSE_SECRET_KEY, PODHOUSE_DEBUG, PODHOUSE_ALLOWED_HOSTS, DATABASE_URL,
PODHOUSE_STATE_DIR (default ./var: SQLite file, secret key, host stack state),
PODHOUSE_TRUSTED_ORIGINS, PODHOUSE_SECURE_COOKIES, PODHOUSE_HSTS_SECONDS,
PODHOUSE_PROXY_SSL_HEADER, PODHOUSE_SESSION_HOURS, PODHOUSE_LOGIN_*,
PODHOUSE_STATS_SOCKETS_PER_USER (the README's Configuration table).
"""
import os
import secrets
from pathlib import Path

from dashboard.database_url import parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("PODHOUSE_STATE_DIR", BASE_DIR / "var"))
STATE_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # Generated once per installation and kept beside the database, never in git.
    if os.environ.get("PODHOUSE_SECRET_KEY"):
        return os.environ["PODHOUSE_SECRET_KEY"]
    path = STATE_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("PODHOUSE_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("PODHOUSE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")


def _number(variable: str, default: int) -> int:
    try:
        return int(os.environ.get(variable, "") or default)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number") from None


# Origins (scheme://host[:port]) besides the server's own whose pages may open its
# websockets and post forms: the address a proxy in front serves Podhouse at.
PODHOUSE_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("PODHOUSE_TRUSTED_ORIGINS", "").split(",") if o.strip()]
CSRF_TRUSTED_ORIGINS = PODHOUSE_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dashboard.content_security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context.navigation",
            ],
        },
    },
    {
        # Rows of the long live lists, drawn thousands at a time (dashboard/row_templates.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "rows",
        "DIRS": [BASE_DIR / "templates" / "rows"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "dashboard.row_templates.environment", "autoescape": True,
                    "trim_blocks": True, "lstrip_blocks": True},
    },
]

DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{STATE_DIR / 'podhouse.sqlite3'}")
    )
}

# One process serves everything (daphne); live events fan out in memory.
CHANNEL_LAYERS = {"default": {"BACKEND": "dashboard.live.channel_layer.ProcessChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["dashboard.login_throttle.ThrottledModelBackend"]
# Failed logins counted within the window refuse further attempts (by account, by
# address) until the window has passed the oldest of them (dashboard.login_throttle).
LOGIN_FAILURES_PER_ACCOUNT = _number("PODHOUSE_LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = _number("PODHOUSE_LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_FAILURE_WINDOW_SECONDS = _number("PODHOUSE_LOGIN_WINDOW_MINUTES", 15) * 60
# Open container-stats sockets one account may hold (dashboard.live.stats_streams).
STATS_SOCKETS_PER_USER = _number("PODHOUSE_STATS_SOCKETS_PER_USER", 20)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = _number("PODHOUSE_SESSION_HOURS", 12) * 3600
# Behind TLS (directly or through a proxy): cookies only over https.  HSTS stays off
# unless asked for: it pins the browser to https for the whole host name.
SECURE_COOKIES = os.environ.get("PODHOUSE_SECURE_COOKIES", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = _number("PODHOUSE_HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A proxy that terminates TLS says so in this header (only honoured when it is trusted).
if os.environ.get("PODHOUSE_PROXY_SSL_HEADER", "") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = STATE_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PODHOUSE_LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "httpx": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
