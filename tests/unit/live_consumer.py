"""What the unit tests of live-list consumers share: a consumer that records what it
would send instead of sending it, a unit's row as the unit watcher publishes it, and
a reader of the swaps in a message."""
from html.parser import HTMLParser

from dashboard.host.systemd import UnitRow
from dashboard.live.unit_watch import row_dict


def recording(live, shown=(), **attributes):
    """`live` (a consumer made without a socket) with `attributes` set, holding the rows
    `shown`; each message it sends is appended to `live.sent`."""
    for name, value in attributes.items():
        setattr(live, name, value)
    live.shown, live.sent = set(shown), []

    async def send(text_data):
        live.sent.append(text_data)

    live.send = send
    return live


def unit_row(name: str, active: str = "active", **fields) -> dict:
    """A unit's row data (dashboard.live.unit_watch.row_dict); other fields empty unless given."""
    values = {"description": "", "load_state": "loaded", "active_state": active, "sub_state": "", "object_path": "",
              "file_state": "", "file_path": "", **fields}
    return row_dict(UnitRow(name=name, **values))


class Tags(HTMLParser):
    """Every start tag of a message, with its attributes."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def ids(self, *tags):
        """(id, hx-swap-oob) of each element of `tags`, in order."""
        return [(attrs.get("id", ""), attrs.get("hx-swap-oob", "")) for tag, attrs in self.found if tag in tags]

    def swaps(self):
        """(tag, id, hx-swap-oob) of each row or body that carries an id or a swap."""
        return [(tag, attrs.get("id", ""), attrs.get("hx-swap-oob", "")) for tag, attrs in self.found
                if tag in ("tr", "tbody") and ("id" in attrs or "hx-swap-oob" in attrs)]
