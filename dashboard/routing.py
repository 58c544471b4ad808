"""Websocket URLs.  Each area appends its own patterns from dashboard/consumers/<area>.py."""
from django.urls import path

from dashboard.consumers.ping import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]

from dashboard.consumers.podman_live import PodmanLiveConsumer, PullProgressConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/podman/<str:scope>/pulls/<str:job>/", PullProgressConsumer.as_asgi()),
    path("ws/podman/<str:scope>/<str:area>/", PodmanLiveConsumer.as_asgi()),
]

from dashboard.consumers.logs import LogPaneConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/<str:scope>/logs/", LogPaneConsumer.as_asgi()),
]

from dashboard.consumers.units import UnitConsumer, UnitsConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/units/<str:scope>/", UnitsConsumer.as_asgi()),
    path("ws/units/<str:scope>/unit/", UnitConsumer.as_asgi()),
]

from dashboard.consumers.services import ServiceStateConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/services/<str:scope>/state/", ServiceStateConsumer.as_asgi()),
]

from dashboard.consumers.container_stats import ContainerStatsConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/podman/<str:scope>/stats/<str:name>/", ContainerStatsConsumer.as_asgi()),
]

from dashboard.consumers.overview import OverviewConsumer  # noqa: E402

websocket_urlpatterns += [
    path("ws/overview/<str:scope>/", OverviewConsumer.as_asgi()),
]

from dashboard.consumers.updates import ScheduleStateConsumer, UpdateProgressConsumer  # noqa: E402

websocket_urlpatterns += [
    # before the jobs' route, which would take "schedule" for a job id
    path("ws/updates/<str:scope>/schedule/", ScheduleStateConsumer.as_asgi()),
    path("ws/updates/<str:scope>/<str:job>/", UpdateProgressConsumer.as_asgi()),
]
