"""Answers to bad input: HTTP 400 with the form (or fragment) that names each bad
field, and nothing changed.

htmx does not swap a 4xx answer by default; the header below tells static/js/podhouse.js
that this one is a form to show in place (not an error for the banner)."""
from django.http import HttpResponse

HEADER = "X-Podhouse-Bad-Fields"


def bad_input(response: HttpResponse, fields) -> HttpResponse:
    response.status_code = 400
    response[HEADER] = ",".join(sorted(fields)) or "-"
    return response
