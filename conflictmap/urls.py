from django.contrib import admin
from django.urls import include, path, re_path

from events import drawn_views, feeds, release_views
from events import views as event_views

from . import assets

urlpatterns = [
    path("", event_views.control_map, name="home"),
    path("map.html", event_views.map_download, name="map-download"),
    path("embed/", event_views.embed_map, name="embed"),
    # One route for every format, so an unknown one is a 400 naming it rather than a bare 404.
    re_path(r"^timelapse\.(?P<fmt>[A-Za-z0-9]{1,10})$", event_views.timelapse_file, name="timelapse"),
    path("towns/<slug:slug>/", event_views.town_detail, name="town-detail"),
    path("towns/<int:pk>/panel.json", event_views.town_panel, name="town-panel"),
    path("areas/<slug:slug>/", event_views.area_detail, name="area-detail"),
    path("changes/", event_views.what_changed, name="what-changed"),
    path("areas-conflicts/", drawn_views.area_conflicts, name="area-conflicts"),
    path("compare/", event_views.compare, name="compare"),
    path("factions/", event_views.factions, name="factions"),
    path("feeds/changes.atom", feeds.change_feed, name="change-feed"),
    path("releases/", release_views.releases, name="releases"),
    path("releases/<slug:theatre>/<int:number>/", release_views.release_detail, name="release-detail"),
    path("releases/<slug:theatre>/<int:number>/<str:name>", release_views.release_file, name="release-file"),
    path("admin/", admin.site.urls),
    path("favicon.ico", assets.favicon, name="favicon"),
    # Before the API's URLs: a file of the Redoc page (templates/api/redoc.html), not an API route.
    path("api/redoc/redoc.standalone.js", assets.redoc_standalone, name="redoc-standalone"),
    path("api/", include("events.api.urls")),
]
