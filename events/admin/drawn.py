"""Admin for control drawn as polygons: the imported areas, looked at and reviewed (publish / reject / retract)
through the same actions and reason pages as control changes, each through ``services.drawn_areas``."""

from urllib.parse import urlencode

from django.contrib import admin
from django.utils.html import format_html

from geodata.admin import AuditedAdmin, ViewOnlyAdminMixin

from .. import permissions
from ..drawn_models import DrawnArea
from ..services import drawn_areas
from . import row_urls
from .changes import ReviewActions
from .common import AdminCss, swatch


def _as_change(service):
    """A drawn-area service called as ReviewActions calls a control change's (``change=``)."""
    return lambda *, change, **kwargs: service(area=change, **kwargs)


@admin.register(DrawnArea)
class DrawnAreaAdmin(ViewOnlyAdminMixin, ReviewActions, AuditedAdmin):
    """Imported by ``manage.py import_control_areas``; only reviewed here (the geometry is the file's)."""

    list_display = (
        "__str__",
        "faction_swatch",
        "layer",
        "drawn_on",
        "theatre",
        "state",
        "km2",
        "file_name",
        "map_link",
    )
    list_filter = ("state", "layer", "theatre", "faction")
    date_hierarchy = "drawn_on"
    ordering = ("-drawn_on", "faction__name", "layer")
    list_select_related = ("faction", "theatre")
    search_fields = ("file_name", "faction__name", "faction__slug")
    exclude = ("geometry",)  # megabytes of coordinates: the map shows it
    actions = ("publish_selected", "reject_selected", "retract_selected")
    Media = AdminCss

    @admin.display(description="faction", ordering="faction__name")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, obj.faction.name)

    @admin.display(description="map")
    def map_link(self, obj):
        """The public map of the area's theatre on its day (a draft shows only once published)."""
        query = urlencode({"theatre": obj.theatre.slug, "date": obj.drawn_on.isoformat()})
        return format_html('<a href="{}?{}">map</a>', row_urls.url("home"), query)

    @admin.display(description="km²", ordering="area_km2")
    def km2(self, obj):
        return format_html("{}", f"{obj.area_km2:,.1f}")

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm(permissions.PERM_ADD) or user.has_perm(permissions.PERM_PUBLISH)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._run_each(request, queryset, verb="publish", run=_as_change(drawn_areas.drawn_area_publish))

    @admin.action(description="Reject selected drafts (with a reason)", permissions=["publish"])
    def reject_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="reject", run=_as_change(drawn_areas.drawn_area_reject))

    @admin.action(description="Retract selected published areas (with a reason)", permissions=["retract"])
    def retract_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="retract", run=_as_change(drawn_areas.drawn_area_retract))
