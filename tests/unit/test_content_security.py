"""The Content-Security-Policy: on every response, and templates that need nothing
it forbids (inline scripts, event handler attributes, hx-on, inline <style>)."""
import re
from pathlib import Path

import pytest
from django.test import Client

from dashboard.content_security import POLICY

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_policy_allows_only_this_servers_scripts_and_styles():
    directives = dict(d.split(" ", 1) for d in POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-eval" not in POLICY and directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/user/containers/", "/admin/login/", "/no-such-page/"])
def test_every_response_carries_it(path):
    assert Client().get(path)["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_what_the_policy_forbids(path):
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "an inline <script>"
    assert not re.search(r"<style\b", text), "an inline <style>"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on* event handler attribute"
    assert not re.search(r"\shx-on[:-]", text), "hx-on (evaluated code)"
    assert "javascript:" not in text
