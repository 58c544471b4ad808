"""{% load sockets %} {% socket_url "units-socket" scope=scope kind=kind since=version %}:
a websocket's URL from its route's name (dashboard.socket_urls).
{% page_headers page %} on a live list's socket element: the list's actions then tell
the view which page asks (dashboard.live.lists.answering_row)."""
import json

from django import template
from django.utils.html import format_html

from dashboard.live.lists import PAGE_HEADER

from dashboard.socket_urls import socket_url as build

register = template.Library()


@register.simple_tag
def socket_url(route, **params):
    return build(route, **params)


@register.simple_tag
def page_headers(token):
    return format_html("hx-headers='{}'", json.dumps({PAGE_HEADER: str(token or "")}))
