from django.contrib import admin
from django.urls import include, path

from events import views as event_views

urlpatterns = [
    path("", event_views.control_list, name="home"),
    path("admin/", admin.site.urls),
    path("api/", include("events.api.urls")),
]
