"""Admin for the records changes refer to: factions (reviewers) and sources (editors, reviewers once public)."""

from django import forms
from django.contrib import admin, messages

from geodata.admin import AuditedAdmin, JsonNameSearchMixin

from .. import permissions, selectors, services
from ..models import Faction, FactionRole, Source
from ..services.coalitions import faction_role_check, faction_role_set
from .common import ActingUserFormMixin, AdminCss, ServiceCheckedForm, swatch


class FactionForm(ServiceCheckedForm):
    class Meta:
        model = Faction
        fields = "__all__"

    def service_check(self, instance) -> None:
        services.faction_check(faction=instance)


@admin.register(Faction)
class FactionAdmin(JsonNameSearchMixin, AuditedAdmin):
    form = FactionForm
    list_display = ("name", "short_name", "colour_swatch", "parent", "slug")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "short_name", "slug")
    json_name_fields = ("aliases",)
    prepopulated_fields = {"slug": ("short_name",)}
    readonly_fields = ("colour_swatch",)
    Media = AdminCss

    @admin.display(description="colour", ordering="colour")
    def colour_swatch(self, obj):
        return swatch(obj.colour) if obj and obj.colour else "-"

    def save_model(self, request, obj, form, change):
        services.faction_save(faction=obj, by=request.user)
        for other, distance in selectors.faction_colour_neighbours(faction=obj):
            self.message_user(
                request,
                f"The colour {obj.colour} is hard to tell from {other} ({other.colour}) on the map "
                f"(colour difference ΔE2000 {distance:.1f}); consider a more distinct colour.",
                messages.WARNING,
            )

    def has_delete_permission(self, request, obj=None):
        return False  # changes refer to factions; rename or merge instead


class FactionRoleForm(ServiceCheckedForm):
    class Meta:
        model = FactionRole
        fields = "__all__"

    def service_check(self, instance) -> None:
        faction_role_check(role=instance)


@admin.register(FactionRole)
class FactionRoleAdmin(admin.ModelAdmin):
    """A faction's coalition in one theatre, where it is not its default coalition (the faction's parent)."""

    form = FactionRoleForm
    list_display = ("faction", "theatre", "coalition")
    list_filter = ("theatre",)

    def save_model(self, request, obj, form, change):
        faction_role_set(theatre=obj.theatre, faction=obj.faction, coalition=obj.coalition, by=request.user)


class SourceForm(ServiceCheckedForm):
    url = forms.URLField(max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = Source
        fields = "__all__"

    def service_check(self, instance) -> None:
        services.source_check(source=instance, by=self.acting_user)


@admin.register(Source)
class SourceAdmin(ActingUserFormMixin, AuditedAdmin):
    form = SourceForm
    list_display = ("publisher", "title", "published", "language", "url")
    list_filter = ("language", "published")
    search_fields = ("publisher", "title", "url", "summary")
    date_hierarchy = "published"

    def has_change_permission(self, request, obj=None):
        # A source a published change cites is on the public pages: editors may view it, reviewers edit it.
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.source_edit_allowed(source=obj, by=request.user))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        source = self.get_object(request, object_id)
        if (source is not None and request.method == "GET" and super().has_change_permission(request, source)
                and not self.has_change_permission(request, source)):
            self.message_user(request, "A published control change cites this source, so it is on the public map; "
                                       "only a reviewer can edit it. Add a new source if this one is wrong.",
                              messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.source_save(source=obj, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # published changes cite them
