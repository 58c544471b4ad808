"""{% load sockets %} {% socket_url "units-socket" scope=scope kind=kind since=version %}:
a websocket's URL from its route's name (dashboard.socket_urls)."""
from django import template

from dashboard.socket_urls import socket_url as build

register = template.Library()


@register.simple_tag
def socket_url(route, **params):
    return build(route, **params)
