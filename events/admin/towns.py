"""Admin for a town from the control side: the reviewer rule on its edit form, its control history,
and the audit trail of its changes."""

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.template.loader import render_to_string

from geodata.admin import LEAFLET_MEDIA, TownAdmin, TownForm
from geodata.models import Town

from .. import permissions, services
from ..models import ControlChange
from .common import map_link

AUDIT_ROWS = 100


class TownChangesInline(admin.TabularInline):
    """The town's control changes, read-only: edits go through the control change pages."""

    model = ControlChange
    fk_name = "town"
    fields = ("effective_date", "day_part", "faction", "status", "contested_by", "confidence", "state", "map")
    readonly_fields = fields
    ordering = ("effective_date", "day_part", "id")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "control history (all states)"

    @admin.display(description="map")
    def map(self, obj):
        return map_link(obj, short=True)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("town", "faction", "contested_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TownEditForm(TownForm):
    """Checks through events.services.town_edit_check, which adds the reviewer rule for towns on the public map."""

    acting_user: permissions.Actor  # set per request by TownWithChangesAdmin.get_form (never the system)

    def town_check(self, town: Town) -> None:
        try:
            services.town_edit_check(town=town, by=self.acting_user)
        except PermissionDenied as exc:
            raise ValidationError({NON_FIELD_ERRORS: str(exc)}) from exc


admin.site.unregister(Town)


@admin.register(Town)
class TownWithChangesAdmin(TownAdmin):
    form = TownEditForm
    inlines = (TownChangesInline,)
    readonly_fields = (*TownAdmin.readonly_fields, "confirm_still_held", "control_audit")

    class Media:
        css = LEAFLET_MEDIA["css"]
        js = LEAFLET_MEDIA["js"]

    def _public_fields_locked(self, request, obj) -> bool:
        return obj is not None and not permissions.town_edit_allowed(town=obj, by=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        locked = self._public_fields_locked(request, obj)

        class RequestTownForm(form):
            acting_user = request.user

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # Disabled rather than read-only: the inputs stay, so the location map still shows the
                # point, and Django keeps the stored values whatever is posted.
                for name in permissions.TOWN_REVIEWED_FIELDS if locked else ():
                    if name in self.fields:
                        self.fields[name].disabled = True

        return RequestTownForm

    def get_prepopulated_fields(self, request, obj=None):
        return {} if self._public_fields_locked(request, obj) else super().get_prepopulated_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        town = self.get_object(request, object_id)
        if request.method == "GET" and self._public_fields_locked(request, town):
            self.message_user(
                request, f"{town} has published control changes, so its "
                         f"{', '.join(permissions.TOWN_REVIEWED_FIELDS)} are on the public map; only a reviewer "
                         "can change them.", messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.town_edit(town=obj, by=request.user)

    @admin.display(description="still held?")
    def confirm_still_held(self, obj):
        """Two clicks: this link, then Save on the filled form (its controller today, today's date)."""
        from .confirmations import confirm_link

        return confirm_link(obj.pk) if obj and obj.pk else "-"

    @admin.display(description="audit trail of its control changes")
    def control_audit(self, obj):
        if not obj or not obj.pk:
            return "-"
        records = (ControlChange.history.filter(town_id=obj.pk)
                   .select_related("history_user", "faction").order_by("-history_date", "-history_id")[:AUDIT_ROWS])
        return render_to_string("admin/events/town/control_audit.html", {"records": records})
