"""Answers to bad input: the form (or fragment) that names each bad field, and nothing
changed.

A plain request (a script, curl, a form posted without JavaScript) gets HTTP 400. A
request made by htmx from an open page gets 200 with the same form: the browser logs
every 4xx of a page's own requests as a console error, and a field the user is still
typing is not an error of the page. The header names the bad fields either way, so
static/js/podhouse.js and any client can tell a marked form from a success."""
from django.http import HttpRequest, HttpResponse

HEADER = "X-Podhouse-Bad-Fields"


def bad_input(request: HttpRequest, response: HttpResponse, fields) -> HttpResponse:
    if request.headers.get("HX-Request") != "true":
        response.status_code = 400
    response[HEADER] = ",".join(sorted(fields)) or "-"
    return response
