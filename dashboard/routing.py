"""Websocket URLs, one path order for all: /ws/<scope>/<area>/[<what>/].  Each route
has a name; pages build their socket's URL with dashboard.socket_urls.socket_url (or
the template tag {% socket_url %}), which reverses these names, never by hand."""
from django.urls import path

from dashboard.consumers.container_stats import ContainerStatsConsumer
from dashboard.consumers.logs import LogPaneConsumer
from dashboard.consumers.overview import OverviewConsumer
from dashboard.consumers.ping import PingConsumer
from dashboard.consumers.podman_live import ContainerSummaryConsumer, PodmanListConsumer, PullProgressConsumer
from dashboard.consumers.services import ServicesConsumer, ServiceStateConsumer
from dashboard.consumers.units import UnitConsumer, UnitsConsumer
from dashboard.consumers.updates import ScheduleStateConsumer, UpdatableContainersConsumer, UpdateProgressConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi(), name="ping-socket"),
    path("ws/<str:scope>/overview/", OverviewConsumer.as_asgi(), name="overview-socket"),
    path("ws/<str:scope>/containers/", PodmanListConsumer.as_asgi(), {"area": "containers"},
         name="containers-socket"),
    path("ws/<str:scope>/containers/one/", ContainerSummaryConsumer.as_asgi(), name="container-socket"),
    path("ws/<str:scope>/containers/<str:name>/stats/", ContainerStatsConsumer.as_asgi(),
         name="container-stats-socket"),
    path("ws/<str:scope>/pods/", PodmanListConsumer.as_asgi(), {"area": "pods"}, name="pods-socket"),
    path("ws/<str:scope>/images/", PodmanListConsumer.as_asgi(), {"area": "images"}, name="images-socket"),
    path("ws/<str:scope>/images/pulls/<str:job>/", PullProgressConsumer.as_asgi(), name="image-pull-socket"),
    path("ws/<str:scope>/units/", UnitsConsumer.as_asgi(), name="units-socket"),
    path("ws/<str:scope>/units/one/", UnitConsumer.as_asgi(), name="unit-socket"),
    path("ws/<str:scope>/services/", ServicesConsumer.as_asgi(), name="services-socket"),
    path("ws/<str:scope>/services/state/", ServiceStateConsumer.as_asgi(), name="service-state-socket"),
    path("ws/<str:scope>/logs/", LogPaneConsumer.as_asgi(), name="logs-socket"),
    # before the jobs' route, which would take "schedule" or "containers" for a job id
    path("ws/<str:scope>/updates/schedule/", ScheduleStateConsumer.as_asgi(), name="update-schedule-socket"),
    path("ws/<str:scope>/updates/containers/", UpdatableContainersConsumer.as_asgi(), {"list": "updates"},
         name="updates-socket"),
    path("ws/<str:scope>/updates/not-updatable/", UpdatableContainersConsumer.as_asgi(), {"list": "updates-cannot"},
         name="updates-cannot-socket"),
    path("ws/<str:scope>/updates/<str:job>/", UpdateProgressConsumer.as_asgi(), name="update-progress-socket"),
]

# So that django.urls.reverse(..., urlconf="dashboard.routing") finds the names above.
urlpatterns = websocket_urlpatterns
