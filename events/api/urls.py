from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import date_views, file_views, territory_views, tokens, views
from .exceptions import api_not_found

router = DefaultRouter()
router.trailing_slash = "/?"  # /api/towns and /api/towns/ both answer (the constructor only takes a bool)
router.register("theatres", views.TheatreViewSet, basename="theatre")
router.register("factions", views.FactionViewSet, basename="faction")
router.register("areas", views.AdminAreaViewSet, basename="area")
router.register("towns", views.TownViewSet, basename="town")
router.register("sources", views.SourceViewSet, basename="source")
router.register("control-changes", views.ControlChangeViewSet, basename="controlchange")
router.register("confirmations", views.ConfirmationViewSet, basename="confirmation")
router.register("disputes", views.DisputeViewSet, basename="dispute")

app_name = "api"
urlpatterns = [
    path("control.geojson", views.ControlGeoJSONView.as_view(), name="control-geojson"),
    path("provinces.geojson", views.ProvincesGeoJSONView.as_view(), name="provinces-geojson"),
    path("control-areas.geojson", views.ControlAreasGeoJSONView.as_view(), name="control-areas-geojson"),
    path("changes.geojson", views.ChangesGeoJSONView.as_view(), name="changes-geojson"),
    path("changes.csv", views.ChangesCSVView.as_view(), name="changes-csv"),
    # The same layers as files for QGIS (GeoPackage) and Google Earth (KML); the history as spans.
    *[path(f"{route}.{fmt}", file_views.file_view(layer, fmt).as_view(), name=f"{route}-{fmt}")
      for route, layer in (("control", "control"), ("provinces", "provinces"), ("control-areas", "areas"),
                           ("changes", "changes")) for fmt in file_views.FORMATS],
    path("control-spans.geojson", file_views.ControlSpansGeoJSONView.as_view(), name="control-spans-geojson"),
    *[path(f"control-spans.{fmt}", file_views.spans_view(fmt).as_view(), name=f"control-spans-{fmt}")
      for fmt in file_views.FORMATS],
    path("change-dates.json", date_views.ChangeDatesView.as_view(), name="change-dates"),
    path("territory-change.json", territory_views.TerritoryChangeView.as_view(), name="territory-change"),
    path("area-conflicts.json", territory_views.AreaConflictsView.as_view(), name="area-conflicts"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Redoc's bundle (styled-components) adds <style> elements before it can read a nonce, and runs its
    # search in a blob: worker: this page alone allows both. Its scripts stay under the site's policy.
    path("redoc/", csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")), name="redoc"),
    path("auth/token/", tokens.TokenObtainView.as_view(), name="token"),
    path("auth/logout/", tokens.TokenRevokeView.as_view(), name="logout"),
    path("", include(router.urls)),
    # Last: anything else under /api/ is a JSON 404, not the HTML debug page.
    re_path(r"^.*$", api_not_found),
]
