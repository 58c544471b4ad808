"""Django's {# #} comment ends at its line: one spanning lines is shown to the user as
text.  Every Django template keeps multi-line comments in {% comment %} blocks (the
rows under templates/rows/ are Jinja2's, where {# #} may span lines)."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
OPEN_WITHOUT_CLOSE = re.compile(r"\{#(?:(?!#\}).)*$", re.M)


def multi_line_comments(text: str) -> list[int]:
    """Line numbers (1-based) where a {# is not closed on its own line."""
    return [text.count("\n", 0, m.start()) + 1 for m in OPEN_WITHOUT_CLOSE.finditer(text)]


def test_the_check_finds_a_multi_line_comment_and_passes_one_line_ones():
    assert multi_line_comments("a\n{# one\n two #}\n") == [2]
    assert multi_line_comments("{# one line #} {# another #}\n{% comment %}x\ny{% endcomment %}") == []


def test_no_template_has_a_multi_line_hash_comment():
    templates = sorted(p for p in TEMPLATES.rglob("*.html") if p.parent.name != "rows")
    assert templates, "no templates found"
    found = {str(p.relative_to(TEMPLATES)): lines for p in templates
             if (lines := multi_line_comments(p.read_text()))}
    assert found == {}
