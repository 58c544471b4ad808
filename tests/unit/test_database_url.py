import pytest

from dashboard.database_url import parse_database_url


def test_sqlite_absolute_path():
    assert parse_database_url("sqlite:////var/lib/podhouse/db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3", "NAME": "/var/lib/podhouse/db.sqlite3"}


def test_postgres_with_quoted_password():
    db = parse_database_url("postgres://ph:p%40ss%2Fword@db.local:5433/podhouse")
    assert db == {"ENGINE": "django.db.backends.postgresql", "NAME": "podhouse", "USER": "ph",
                  "PASSWORD": "p@ss/word", "HOST": "db.local", "PORT": "5433"}


def test_unknown_scheme_is_refused_with_its_name():
    with pytest.raises(ValueError, match="'mysql'"):
        parse_database_url("mysql://x@y/z")


def test_sqlite_relative_path():
    assert parse_database_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"
