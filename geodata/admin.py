"""Admin for places. Boundaries come from the boundary loader, so areas are read-only here."""

import json

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import ModelForm
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from . import maps, services
from .admin_fields import KeyValueField, NameListField
from .models import AdminArea, Theatre, Town

LEAFLET_MEDIA = {
    "css": {"all": ("vendor/leaflet/leaflet.css", "admin-extra/admin.css")},
    "js": ("vendor/leaflet/leaflet.js", "admin-extra/town_map.js"),
}


def map_tiles() -> dict:
    """The base layer the admin's small maps use: the public map's tile settings, checked the same way."""
    url, attribution = maps.map_tiles(
        maps.map_settings_check({"tiles": settings.MAP_TILES, "tiles_attribution": settings.MAP_TILES_ATTRIBUTION})
    )
    return {"url": url, "attribution": attribution or ""}


NOT_SET = "—"  # a link that was never set (a draft's reviewer): no value, not "the system"


def missing_related(model, pk) -> str:
    """Words for a link to no row: none set ("—"), or a row since deleted (an account or a record)."""
    is_account = model is get_user_model()
    if pk is None:
        return NOT_SET
    return f"deleted account (#{pk})" if is_account else f"deleted {model._meta.verbose_name} (#{pk})"


class RecordChanges(HistoricalRecordContextHelper):
    """The history's "Changes" column. simple-history shows a link that was never set like a deleted row
    ("Deleted user (pk=None)" for a change the system entered); say which it is."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, list):
            return [missing_related(v.model, v.pk) if isinstance(v, DeletedObject) else v for v in value]
        return missing_related(value.model, value.pk) if isinstance(value, DeletedObject) else value


class AuditedAdmin(SimpleHistoryAdmin):
    """History pages show who changed what and the values before; they never write (no revert)."""

    object_history_list_template = "admin/audited_history_list.html"  # "system" for changes without an account

    def get_historical_record_context_helper(self, request, historical_record):
        return RecordChanges(self.model, historical_record)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("The history is read-only; edit the current record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ViewOnlyAdminMixin:
    """Rows written elsewhere (a loader's service, a review action) are only looked at here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JsonNameSearchMixin:
    """JSON lists of names (aliases, alternate names): searched inside, case-insensitively, and edited one
    name per line rather than as JSON."""

    json_name_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.json_name_fields:
            kwargs.setdefault("form_class", NameListField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        filtered = queryset  # already narrowed by the list filters; keep them
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and self.json_name_fields:
            # SQLite keeps JSON text ASCII-escaped (\u0639...), so also look for the escaped form.
            forms = {term, json.dumps(term)[1:-1]}
            match = Q()
            for name in self.json_name_fields:
                for form in forms:
                    match |= Q(**{f"{name}__icontains": form})
            queryset |= filtered.filter(match)
        return queryset, may_have_duplicates


@admin.register(Theatre)
class TheatreAdmin(admin.ModelAdmin):
    """A conflict mapped in this installation; its areas and towns come from the loaders (``--theatre``)."""

    list_display = ("name", "slug", "default_date")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_delete_permission(self, request, obj=None):
        return False  # its areas and towns refer to it

    def save_model(self, request, obj, form, change):
        services.theatre_save(theatre=obj)


@admin.register(AdminArea)
class AdminAreaAdmin(ViewOnlyAdminMixin, JsonNameSearchMixin, AuditedAdmin):
    """Areas and their geometry are written by the boundary loader's service only."""

    list_display = ("name", "name_ar", "code", "level", "parent", "theatre")
    list_filter = ("theatre", "level", "country_code")
    search_fields = ("name", "name_ar", "code", "slug")
    json_name_fields = ("alt_names",)
    exclude = ("geometry",)



class TownForm(ModelForm):
    class Meta:
        model = Town
        fields = ("theatre", "name", "slug", "alt_names", "latitude", "longitude", "outside_boundaries", "population",
                  "coarse_location", "geonames_id", "external_ids")
        field_classes = {"alt_names": NameListField, "external_ids": KeyValueField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("theatre")
        theatres = list(Theatre.objects.order_by("pk")[:2])
        self.only_theatre = theatres[0] if len(theatres) == 1 else None
        if field is None or field.disabled:
            return
        if self.only_theatre is not None:
            # One theatre: it is the town's, whether or not the form names it (as before theatres).
            field.required = False
            self.initial.setdefault("theatre", self.only_theatre.pk)
        elif self.instance.pk is None and not self.is_bound:
            self.initial["theatre"] = None  # several: the user picks, no silent default to the first

    def clean_theatre(self):
        return self.cleaned_data.get("theatre") or self.only_theatre

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # The write path's own check (coordinates inside the loaded boundaries unless flagged), so its
        # rules show as form errors rather than failing in save_model. It writes nothing.
        try:
            self.town_check(self.instance)
        except ValidationError as exc:
            for name, messages in exc.update_error_dict({}).items():
                self.add_error(name if name in self.fields else None, messages)

    def town_check(self, town: Town) -> None:
        """The check of the save the admin will make (an app above may add its own rules); raises ValidationError.

        Must write nothing and set nothing on ``town``: save_model saves it afterwards.
        """
        services.town_check(town=town)


@admin.register(Town)
class TownAdmin(JsonNameSearchMixin, AuditedAdmin):
    form = TownForm
    list_display = ("name", "slug", "theatre", "admin_area", "latitude", "longitude", "outside_boundaries")
    list_filter = ("theatre", ("admin_area", admin.RelatedOnlyFieldListFilter), "outside_boundaries")
    search_fields = ("name", "slug")
    json_name_fields = ("alt_names",)
    readonly_fields: tuple[str, ...] = ("admin_area",)
    prepopulated_fields = {"slug": ("name",)}
    change_form_template = "admin/geodata/town/change_form.html"

    class Media:
        css = LEAFLET_MEDIA["css"]
        js = LEAFLET_MEDIA["js"]

    def render_change_form(self, request, context, *args, **kwargs):
        # Governorate outlines show whether a point falls inside the loaded boundaries.
        areas = AdminArea.objects.filter(level=AdminArea.Level.PROVINCE, geometry__isnull=False)
        context["town_map"] = {
            "tiles": map_tiles(),
            "areas": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"name": name}, "geometry": geometry}
                for name, geometry in areas.values_list("name", "geometry")
            ]},
        }
        return super().render_change_form(request, context, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        services.town_save(town=obj)

    # A town with a recorded history must stay; towns are merged or renamed, not deleted.
    def has_delete_permission(self, request, obj=None):
        return False
