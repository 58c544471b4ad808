"""Podhouse's ASGI application with Django's own static handler in front of the pages
instead of dashboard/static_files.py: the comparison of bench/bench_static_files.py."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from dashboard.asgi import django_pages  # noqa: E402

application = ASGIStaticFilesHandler(django_pages)
