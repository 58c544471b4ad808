"""DATABASE_URL -> Django DATABASES entry.  SQLite by default; PostgreSQL when
DATABASE_URL=postgres://user:password@host:port/name is set."""
from urllib.parse import unquote, urlsplit


def parse_database_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:////absolute/path.sqlite3 and sqlite:///relative/path.sqlite3, as
        # elsewhere in the Django world: the third slash ends the empty host.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path[1:] or ":memory:"}
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite:// or postgres://)")
