"""The summary of a refused container form names its fields with the labels the form
shows: the two lists must not drift apart."""
import re
from pathlib import Path

from dashboard.templatetags.field_labels import FIELD_LABELS, field_label

FORM = Path(__file__).resolve().parents[2] / "templates/containers/form.html"


def form_labels() -> dict[str, str]:
    text = FORM.read_text()
    included = dict(re.findall(r'field="([a-z_]+)" label="([^"]+)"', text))
    written = dict(re.findall(r'<label class="field" id="field-([a-z_]+)">([^<{]+?) <', text))
    return {**included, **written}


def test_every_field_of_the_form_has_its_label_and_no_other():
    shown = form_labels()
    assert len(shown) >= 20, shown
    assert {k: v for k, v in FIELD_LABELS.items() if k in shown} == shown
    assert set(FIELD_LABELS) - set(shown) == {"confirm"}


def test_an_unknown_field_is_named_by_its_key():
    assert field_label("health_interval") == "Health interval"
    assert field_label("some_new_field") == "some new field"
