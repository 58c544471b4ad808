"""Values written into JSON inside HTML attributes (hx-vals, hx-headers).

`hx-vals='{"next": {{ value|json_value }}}'`: the filter gives the value as a JSON
literal (quotes, backslashes and control characters escaped by json.dumps), and the
template's autoescaping then escapes it for the attribute (`"` -> `&quot;`, `'`,
`<`, `&`), which the browser undoes before htmx parses the JSON.  Written by hand
(`"{{ value }}"`) a quote or a backslash in the value breaks the JSON or adds keys."""
import json

from django import template

register = template.Library()


@register.filter
def json_value(value) -> str:
    """The value as a JSON literal; not marked safe, so autoescaping still applies."""
    return json.dumps("" if value is None else value if isinstance(value, (int, float, bool, list, dict)) else str(value))
