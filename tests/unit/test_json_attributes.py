"""Values inside JSON attributes (hx-vals) survive any character: the filter
json_value, and no template writes a value into a JSON attribute by hand."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import Context, Template

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NASTY = ['/user/containers/a"b/', "it's", "back\\slash", "</script><b>", "&quot;", "line\nbreak", "ünï €", ""]


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name == "hx-vals"]


@pytest.mark.parametrize("value", NASTY)
def test_a_value_comes_back_exactly_from_the_attribute(value):
    html = Template("""{% load json_attributes %}<span hx-vals='{"next": {{ v|json_value }}}'></span>"""
                    ).render(Context({"v": value}))
    parser = _Attributes()
    parser.feed(html)
    assert [json.loads(a) for a in parser.found] == [{"next": value}]


def test_no_template_writes_a_value_into_json_by_hand():
    """A {{ }} inside an hx-vals or hx-headers attribute must go through json_value."""
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        for attribute in re.findall(r"hx-(?:vals|headers)='([^']*)'", path.read_text()):
            for expression in re.findall(r"{{(.*?)}}", attribute):
                if "|json_value" not in expression.replace(" ", ""):
                    bad.append(f"{path.relative_to(TEMPLATES)}: {expression.strip()}")
    assert bad == []
