"""Admin for the control log. Every write goes through events.services (the same rules as the API
and imports); the admin only collects input and shows results."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.forms import ModelForm
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from geodata.admin import (
    LEAFLET_MEDIA,
    AuditedAdmin,
    JsonNameSearchMixin,
    TownAdmin,
    TownForm,
    ViewOnlyAdminMixin,
)
from geodata.models import Town

from . import (
    admin_users,  # noqa: F401  (registers the user admin)
    selectors,
    services,
)
from .models import ControlChange, ControlChangeForReview, Faction, Source

DRAFT = ControlChange.State.DRAFT


def swatch(colour: str, label: str = ""):
    return format_html('<span class="swatch" style="background:{}"></span>{}', colour, label or colour)


def map_url(change: ControlChange) -> str:
    return f"{reverse('home')}?{urlencode({'date': change.effective_date.isoformat(), 'town': change.town.slug})}"


def map_link(change: ControlChange, *, short: bool = False):
    """A link to the public map at the change's date; ``short`` for table cells (the date moves to its title)."""
    day = f"{change.effective_date:%Y-%m-%d}"
    if short:
        return format_html('<a href="{}" title="view on the map at {}">map</a>', map_url(change), day)
    return format_html('<a href="{}">view on the map at {}</a>', map_url(change), day)


def report_errors(modeladmin, request, failures: list[tuple[ControlChange, Exception]]) -> None:
    for change, exc in failures:
        reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        modeladmin.message_user(request, f"{change}: {reason}", messages.ERROR)


class AdminCss:
    css = {"all": ("admin-extra/admin.css",)}


# ---- factions and sources -------------------------------------------------------------------


@admin.register(Faction)
class FactionAdmin(JsonNameSearchMixin, AuditedAdmin):
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


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    list_display = ("publisher", "title", "published", "language", "url")
    list_filter = ("language", "published")
    search_fields = ("publisher", "title", "url", "summary")
    date_hierarchy = "published"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_change_permission(self, request, obj=None):
        # A source a published change cites is on the public pages: editors may view it, reviewers edit it.
        return super().has_change_permission(request, obj) and (
            obj is None or services.source_edit_allowed(source=obj, by=request.user))

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


# ---- control changes ------------------------------------------------------------------------


class ControlChangeForm(ModelForm):
    class Meta:
        model = ControlChange
        fields = sorted(services.EDITABLE_FIELDS)

    def _post_clean(self):
        # The form only checks the fields it shows; the service's own check also covers the state
        # (e.g. one change per town, date and part of day), so run it here to show its errors inline.
        super()._post_clean()
        if self.errors:
            return
        try:
            services.control_change_check(change=self.instance, sources=self.cleaned_data.get("sources") or [])
        except ValidationError as exc:
            for name, messages_ in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)


class GovernorateFilter(admin.RelatedFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "governorate"  # the field's own name, "admin area", is vaguer


class ReasonActionMixin:
    """Actions that need a reason (reject, retract) ask for it on an intermediate page."""

    def _with_reason(self, request, queryset, *, verb: str, run):
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            done, failures = 0, []
            for change in queryset:
                try:
                    run(change=change, by=request.user, reason=reason)
                    done += 1
                except (ValidationError, PermissionDenied) as exc:
                    failures.append((change, exc))
            if done:
                self.message_user(request, f"{verb.capitalize()}ed {done} change(s).", messages.SUCCESS)
            report_errors(self, request, failures)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb.capitalize()} control changes",
            "verb": verb,
            "changes": queryset,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "missing_reason": "apply" in request.POST,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/events/controlchange/action_reason.html", context)


class ReviewActions(ReasonActionMixin):
    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        done, failures = 0, []
        for change in queryset:
            try:
                services.control_change_publish(change=change, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                failures.append((change, exc))
        if done:
            self.message_user(request, f"Published {done} change(s).", messages.SUCCESS)
        report_errors(self, request, failures)

    @admin.action(description="Reject selected drafts (with a reason)", permissions=["publish"])
    def reject_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="reject", run=services.control_change_reject)

    @admin.action(description="Retract selected published changes (with a reason)", permissions=["retract"])
    def retract_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="retract", run=services.control_change_retract)

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PERM_PUBLISH)

    def has_retract_permission(self, request):
        return request.user.has_perm(services.PERM_RETRACT)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes go one at a time through the service
        return actions


@admin.register(ControlChange)
class ControlChangeAdmin(ReviewActions, JsonNameSearchMixin, AuditedAdmin):
    form = ControlChangeForm
    # Narrow enough for a 1280 px screen: the state next to the town, the part of day only as a filter/field.
    list_display = ("town", "state", "faction_swatch", "status", "effective_date", "confidence", "map_link_column")
    list_filter = (
        "state", "status", "confidence",
        ("faction", admin.RelatedOnlyFieldListFilter),
        ("town__admin_area", GovernorateFilter),
        "effective_date", "date_precision", "day_part",
    )
    search_fields = ("town__name", "town__slug", "faction__name", "faction__short_name", "faction__slug", "note")
    json_name_fields = ("town__alt_names", "faction__aliases")
    date_hierarchy = "effective_date"
    list_select_related = ("town", "faction")
    autocomplete_fields = ("town", "faction", "contested_by", "supersedes", "sources")
    actions = ("publish_selected", "reject_selected", "retract_selected")
    review_fields = ("state", "map_link_field", "correction_link", "entered_by", "entered_at", "reviewed_by",
                     "reviewed_at", "review_reason", "retracted_by", "retracted_at", "retraction_reason")
    fieldsets = (
        (None, {"fields": ("town", "faction", "status", "contested_by", "effective_date", "date_precision",
                           "day_part", "confidence", "sources", "note", "supersedes")}),
        ("Review", {"fields": review_fields}),
    )
    Media = AdminCss

    @admin.display(description="faction", ordering="faction__name")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, str(obj.faction))

    @admin.display(description="map")
    def map_link_column(self, obj):
        return map_link(obj, short=True)

    @admin.display(description="on the map")
    def map_link_field(self, obj):
        return map_link(obj) if obj and obj.pk else "-"

    @admin.display(description="correct it")
    def correction_link(self, obj):
        if not obj or obj.state != ControlChange.State.PUBLISHED:
            return "-"
        query = urlencode({"supersedes": obj.pk, "town": obj.town_id, "effective_date": obj.effective_date,
                           "day_part": obj.day_part})
        return format_html('<a href="{}?{}">enter a change that supersedes this one</a>',
                           reverse("admin:events_controlchange_add"), query)

    def get_readonly_fields(self, request, obj=None):
        return self.review_fields

    def has_change_permission(self, request, obj=None):
        # Only drafts are editable: a published change is corrected by a new one superseding it.
        return super().has_change_permission(request, obj) and (obj is None or obj.state == DRAFT)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.state == DRAFT)

    def get_search_results(self, request, queryset, search_term):
        queryset, dupes = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "controlchange" and request.GET.get("field_name") == "supersedes":
            # Only a draft or published change can be corrected.
            queryset = queryset.filter(state__in=[DRAFT, ControlChange.State.PUBLISHED])
        return queryset, dupes

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            services.control_change_update(
                change=obj, by=request.user, **{k: v for k, v in data.items() if k in form.changed_data}
            )
        else:
            created = services.control_change_create(**data, entered_by=request.user)
            obj.pk, obj.entered_by = created.pk, created.entered_by
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The service has already set the sources (and recorded them in the history).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.control_change_delete(change=obj, by=request.user)

    def get_urls(self):
        from .admin_import import import_view

        urls = super().get_urls()
        return [
            path("import/", self.admin_site.admin_view(import_view(self)), name="events_controlchange_import"),
            *urls,
        ]


@admin.register(ControlChangeForReview)
class ReviewQueueAdmin(ViewOnlyAdminMixin, ReviewActions, admin.ModelAdmin):
    """Drafts waiting for a reviewer, oldest first, with publish and reject actions."""

    list_display = ("change_link", "faction_swatch", "status", "effective_date", "confidence", "source_count",
                    "entered_by", "entered_at")
    list_filter = (("faction", admin.RelatedOnlyFieldListFilter), ("town__admin_area", GovernorateFilter),
                   "confidence")
    search_fields = ("town__name", "faction__name", "note")
    date_hierarchy = "effective_date"
    actions = ("publish_selected", "reject_selected")
    ordering = ("entered_at", "id")
    Media = AdminCss

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(state=DRAFT).select_related("town", "faction", "entered_by")
                .annotate(source_total=Count("sources")))

    @admin.display(description="change", ordering="town__name")
    def change_link(self, obj):
        url = reverse("admin:events_controlchange_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, str(obj))

    @admin.display(description="faction")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, str(obj.faction))

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, obj):
        return obj.source_total


# ---- towns: the control history and its audit trail on the town's page ----------------------


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
    """Checks through events.services.town_edit, which adds the reviewer rule for towns on the public map."""

    acting_user = None  # set per request by TownWithChangesAdmin.get_form

    def town_check(self, town: Town) -> None:
        try:
            services.town_edit(town=town, by=self.acting_user)
        except PermissionDenied as exc:
            raise ValidationError({NON_FIELD_ERRORS: str(exc)}) from exc


admin.site.unregister(Town)


@admin.register(Town)
class TownWithChangesAdmin(TownAdmin):
    form = TownEditForm
    inlines = (TownChangesInline,)
    readonly_fields = (*TownAdmin.readonly_fields, "control_audit")

    class Media:
        css = LEAFLET_MEDIA["css"]
        js = LEAFLET_MEDIA["js"]

    def _public_fields_locked(self, request, obj) -> bool:
        return obj is not None and not services.town_edit_allowed(town=obj, by=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        locked = self._public_fields_locked(request, obj)

        class RequestTownForm(form):
            acting_user = request.user

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # Disabled rather than read-only: the inputs stay, so the location map still shows the
                # point, and Django keeps the stored values whatever is posted.
                for name in services.TOWN_REVIEWED_FIELDS if locked else ():
                    if name in self.fields:
                        self.fields[name].disabled = True

        return RequestTownForm

    def get_prepopulated_fields(self, request, obj=None):
        return {} if self._public_fields_locked(request, obj) else super().get_prepopulated_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        town = self.get_object(request, object_id)
        if request.method == "GET" and self._public_fields_locked(request, town):
            self.message_user(
                request, f"{town} has published control changes, so its {', '.join(services.TOWN_REVIEWED_FIELDS)} "
                         "are on the public map; only a reviewer can change them.", messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.town_edit(town=obj, by=request.user)

    @admin.display(description="audit trail of its control changes")
    def control_audit(self, obj):
        if not obj or not obj.pk:
            return "-"
        records = (ControlChange.history.filter(town_id=obj.pk)
                   .select_related("history_user", "faction").order_by("-history_date", "-history_id")[:100])
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>#{} {} {} ({})</td><td>{}</td></tr>",
            ((f"{r.history_date:%Y-%m-%d %H:%M}", r.history_user or "system", r.get_history_type_display(),
              r.id, r.faction, f"{r.effective_date:%Y-%m-%d}", r.state, r.history_change_reason or "")
             for r in records),
        )
        return format_html(
            '<table class="audit-table"><tr><th>when</th><th>who</th><th>what</th><th>change as recorded</th>'
            "<th>reason</th></tr>{}</table>", rows,
        ) if records else "No changes recorded yet."
