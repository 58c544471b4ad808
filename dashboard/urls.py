"""URLs.  Every area lives under /<scope>/ (system or user); each area owns its
own url module under dashboard/views/."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from dashboard.login_throttle import LoginView
from dashboard.views import home, overview


class ScopeConverter:
    regex = "system|user"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ScopeConverter, "scope")

urlpatterns = [
    path("", home.home, name="home"),
    path("health/", home.health_fragment, name="health"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("<scope:scope>/", overview.overview_page, name="overview"),
    path("<scope:scope>/containers/", include("dashboard.views.containers")),
    path("<scope:scope>/pods/", include("dashboard.views.pods")),
    path("<scope:scope>/images/", include("dashboard.views.images")),
    path("<scope:scope>/units/", include("dashboard.views.units")),
    path("audit/", include("dashboard.views.audit")),
    path("<scope:scope>/audit/", include("dashboard.views.audit")),
    path("<scope:scope>/logs/", include("dashboard.views.logs")),
    path("<scope:scope>/services/", include("dashboard.views.services")),
    path("<scope:scope>/updates/", include("dashboard.views.updates")),
]
