"""URLs.  Every area lives under /<scope>/ (system or user); each area owns its
own url module under dashboard/views/.  A view gets the Scope itself (see
ScopeConverter); a scope this host lacks matches no URL, and the 404 page
(dashboard/views/not_found.py) says which scopes exist and why."""
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.views.generic import RedirectView
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from dashboard.host import scopes
from dashboard.login_throttle import LoginView
from dashboard.views import home, overview


class ScopeConverter:
    """`<scope:scope>`: the view's `scope` argument is the scopes.Scope of that name
    on this host.  Reversing takes a Scope or its name."""

    regex = "|".join(scopes.SCOPE_NAMES)

    def to_python(self, value: str) -> scopes.Scope:
        try:
            return scopes.get_scope(value)
        except scopes.UnknownScope:
            raise ValueError(value) from None  # no match: the styled 404

    def to_url(self, value: scopes.Scope | str) -> str:
        return value.name if isinstance(value, scopes.Scope) else value


register_converter(ScopeConverter, "scope")

handler404 = "dashboard.views.not_found.page_not_found"

urlpatterns = [
    path("", home.home, name="home"),
    # Pages that link no icon (Django's admin) make the browser ask for this one.
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
         name="favicon"),
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
