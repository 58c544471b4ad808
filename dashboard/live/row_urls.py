"""The list URLs of a scope that rows link under, reversed once per scope: a row's
links are these plus the row's quoted name (dashboard.live.podman_rows), so drawing
500 rows costs no {% url %} per row."""
from __future__ import annotations

from functools import lru_cache

from django.urls import reverse


@lru_cache(maxsize=16)
def list_urls(scope: str) -> dict[str, str]:
    return {area: reverse(area, kwargs={"scope": scope}) for area in ("containers", "pods", "images", "units")}
