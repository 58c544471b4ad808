"""The Jinja2 environment of the rows templates (templates/rows/, engine "rows" in
settings.TEMPLATES).  A Django template spends about 4 µs on each value it prints; the
containers table prints some 20 a row, and pages of 500 to 3,000 rows would spend
most of their server time there (bench/bench_containers_list.py).  Jinja2 compiles a
template to Python once, and the same template draws the rows on the page and in the
live updates (dashboard.live.lists).  Autoescaping is on, as in Django's templates."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince
from jinja2 import Environment


def iso_time(value: datetime | None) -> str:
    """As Django's |date:'c' writes it: the local time with its offset."""
    if value is None:
        return ""
    return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()


def environment(**options) -> Environment:
    env = Environment(**options)
    env.filters.update({"timesince": timesince, "iso_time": iso_time})
    return env
