"""Websocket URLs.  Each area appends its own patterns from dashboard/consumers/<area>.py."""
from django.urls import path

from dashboard.consumers.ping import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
