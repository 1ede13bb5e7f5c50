"""Admin for control changes: the log itself, the review queue, and the publish / reject / retract actions."""

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from geodata.admin import AuditedAdmin, JsonNameSearchMixin, ViewOnlyAdminMixin, map_tiles

from .. import permissions, selectors, services
from ..colours import NO_RECORD_COLOUR
from ..models import ControlChange, ControlChangeForReview
from . import lists, row_urls
from .common import AdminCss, GovernorateFilter, ServiceCheckedForm, map_link, report_errors, swatch
from .lists import LogListMixin
from .log_search import LogSearch

DRAFT = ControlChange.State.DRAFT
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


class YearFilter(admin.SimpleListFilter):
    """By year of the change. The years come in one query seeking the date index once per year
    (selectors.change_years); the date hierarchy this replaces truncated the date of every row of the
    log on each page view."""

    title = "year"
    parameter_name = "effective_date__year"

    def lookups(self, request, model_admin):
        return [(str(year), str(year)) for year in selectors.change_years()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:  # a year lookup is a date range: the (effective_date) index serves it
            return queryset.filter(effective_date__year=int(self.value()))
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc


class MonthFilter(admin.SimpleListFilter):
    """By month, within the year chosen (twelve fixed choices: no query)."""

    title = "month"
    parameter_name = "effective_date__month"

    def lookups(self, request, model_admin):
        if not {"effective_date__year", self.parameter_name} & set(request.GET):
            return []
        return [(str(n), name) for n, name in enumerate(MONTHS, start=1)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            month, year = int(self.value()), request.GET.get("effective_date__year")
            if year is None:
                return queryset.filter(effective_date__month=month)
            # Within a year, a month is a date range the (effective_date) index serves.
            start = dt.date(int(year), month, 1)
            end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
            return queryset.filter(effective_date__gte=start, effective_date__lt=end)
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc


class ControlChangeForm(ServiceCheckedForm):
    class Meta:
        model = ControlChange
        fields = sorted(services.EDITABLE_FIELDS)

    def service_check(self, instance) -> None:
        # The form only checks the fields it shows; the service's check also covers the state
        # (e.g. one change per town, date and part of day), so its errors show inline.
        services.control_change_check(change=instance, sources=self.cleaned_data.get("sources") or [])


class ReviewActions:
    """Publish, reject and retract for the selected changes, each through its service; reject and
    retract ask for a reason on an intermediate page first."""

    message_user: Callable[..., None]  # the ModelAdmin's, which this is mixed into

    def _run_each(self, request, queryset, *, verb: str, run, **extra) -> None:
        done, failures = 0, []
        for change in queryset:
            try:
                result = run(change=change, by=request.user, **extra)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                failures.append((change, exc))
                continue
            for warning in getattr(result, "warnings", ()):
                self.message_user(request, f"{change}: published despite a warning (kept in its review "
                                           f"reason and audit trail): {warning}", messages.WARNING)
        if done:
            self.message_user(request, f"{verb.capitalize()}ed {done} change(s).", messages.SUCCESS)
        report_errors(self, request, failures)

    def _with_reason(self, request, queryset, *, verb: str, run):
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            self._run_each(request, queryset, verb=verb, run=run, reason=reason)
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

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        # Drafts the service would warn about are listed first; the reviewer may publish them anyway.
        warned = [(change, warnings) for change in queryset.prefetch_related("sources")
                  if change.state == DRAFT and (warnings := services.control_change_source_warnings(change=change))]
        if warned and "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Publish control changes despite a warning",
                "changes": queryset, "warned": warned, "action": request.POST.get("action"),
                "opts": self.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/events/controlchange/publish_warnings.html", context)
        self._run_each(request, queryset, verb="publish", run=services.control_change_publish)
        return None

    @admin.action(description="Reject selected drafts (with a reason)", permissions=["publish"])
    def reject_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="reject", run=services.control_change_reject)

    @admin.action(description="Retract selected published changes (with a reason)", permissions=["retract"])
    def retract_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="retract", run=services.control_change_retract)

    def has_publish_permission(self, request):
        return request.user.has_perm(permissions.PERM_PUBLISH)

    def has_retract_permission(self, request):
        return request.user.has_perm(permissions.PERM_RETRACT)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes go one at a time through the service
        return actions


@admin.register(ControlChange)
class ControlChangeAdmin(LogListMixin, ReviewActions, JsonNameSearchMixin, AuditedAdmin):
    form = ControlChangeForm
    # Narrow enough for a 1280 px screen: the state next to the town, the part of day only as a filter/field.
    list_display = ("town", "state", "faction_swatch", "status", "effective_date", "confidence", "map_link_column",
                    "confirm_column")
    list_filter = (
        "state", "status", "confidence",
        # Every faction (a short table), not only those in the log: that would be a DISTINCT over it.
        ("faction", admin.RelatedFieldListFilter),
        GovernorateFilter,
        "effective_date", YearFilter, MonthFilter, "date_precision", "day_part",
    )
    search_fields = ("town__name", "town__slug", "faction__name", "faction__short_name", "faction__slug", "note")
    json_name_fields = ("town__alt_names", "faction__aliases")
    search_help_text = ("A town (any of its names) or a faction (name or alias). Tick “notes too” to also "
                        "search the notes: that reads every change, so it is slower.")
    list_select_related = ("town", "faction")
    # Newest first, read backwards along the (effective_date) index: the model's order (by town name)
    # would sort the whole log for each page.
    ordering = ("-effective_date", "-id")
    autocomplete_fields = ("town", "faction", "contested_by", "supersedes", "rival_of", "sources")
    actions = ("publish_selected", "reject_selected", "retract_selected", "open_dispute")
    review_fields = ("state", "map_link_field", "correction_link", "entered_by", "entered_at", "reviewed_by",
                     "reviewed_at", "public_from", "review_reason", "retracted_by", "retracted_at",
                     "retraction_reason", "dispute_lost_at")
    fieldsets = (
        (None, {"fields": ("town", "faction", "status", "contested_by", "effective_date", "date_precision",
                           "day_part", "confidence", "sources", "note", "supersedes", "rival_of")}),
        ("Review", {"fields": review_fields}),
    )
    Media = AdminCss

    @admin.display(description="faction", ordering="faction__name")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, str(obj.faction))

    @admin.action(description="Open a dispute between the two selected changes", permissions=["change"])
    def open_dispute(self, request, queryset):
        selected = list(queryset[:3])
        if len(selected) != 2:
            self.message_user(request, "Select exactly two changes: the competing claims.", messages.ERROR)
            return
        try:
            dispute = services.dispute_open(claim=selected[0], rival=selected[1], by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            report_errors(self, request, [(selected[0], exc)])
            return
        self.message_user(request, f"Opened {dispute}; a reviewer decides it.", messages.SUCCESS)

    @admin.display(description="map")
    def map_link_column(self, obj):
        return map_link(obj, short=True)

    @admin.display(description="confirm")
    def confirm_column(self, obj):
        """Two clicks to say the town is still held: this link, then Save (``admin.confirmations``)."""
        from .confirmations import confirm_link

        return confirm_link(obj.town_id) if obj.state == ControlChange.State.PUBLISHED else "-"

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
        # A draft only, and an editor's own (a reviewer's any): the service checks the same.
        return super().has_delete_permission(request, obj) and (obj is None or (
            obj.state == DRAFT and permissions.draft_delete_allowed(change=obj, by=request.user)))

    def get_search_results(self, request, queryset, search_term):
        # The names are looked up in the towns and factions first; notes only when asked (the box by the
        # search field): no index serves "contains" over a million notes.
        search = LogSearch.of(self.search_fields, self.json_name_fields)
        queryset = search.filter(queryset, search_term, notes=request.GET.get(lists.NOTES_VAR) == "1")
        field = request.GET.get("field_name")
        if request.GET.get("model_name") == "controlchange" and field in ("supersedes", "rival_of"):
            # Only a draft or published change can be corrected (or disputed).
            queryset = queryset.filter(state__in=[DRAFT, ControlChange.State.PUBLISHED])
        return queryset, False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form's map of towns gets the public map's base layer (tiles), as the town form's map does,
        # and the public map's grey for towns with no record (the script holds no colour of its own).
        town_map = {"tiles": map_tiles(), "no_record": NO_RECORD_COLOUR}
        extra_context = {**(extra_context or {}), "town_map": town_map}
        return super().changeform_view(request, object_id, form_url, extra_context)

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
        from ..admin_import import import_urls

        return [*import_urls(self), *super().get_urls()]


@admin.register(ControlChangeForReview)
class ReviewQueueAdmin(LogListMixin, ViewOnlyAdminMixin, ReviewActions, admin.ModelAdmin):
    """Drafts waiting for a reviewer, oldest first, with publish and reject actions."""

    list_display = ("change_link", "faction_swatch", "status", "effective_date", "confidence", "source_count",
                    "source_warning", "entered_by", "entered_at")
    list_filter = (("faction", admin.RelatedFieldListFilter), GovernorateFilter,
                   "confidence", YearFilter, MonthFilter)
    search_fields = ("town__name", "faction__name", "note")
    actions = ("publish_selected", "reject_selected")
    ordering = ("entered_at", "id")
    count_pages_ahead = None  # the drafts are few, and their index counts them: always an exact count
    Media = AdminCss

    def get_search_results(self, request, queryset, search_term):
        # Notes are always searched here: the queue reads only the drafts.
        return LogSearch.of(self.search_fields).filter(queryset, search_term, notes=True), False

    def get_queryset(self, request):
        # A count per row of the page, not a GROUP BY over the drafts' links that the paginator's
        # COUNT and the faction filter would each have to run again.
        links = ControlChange.sources.through.objects.filter(controlchange_id=OuterRef("pk")).order_by()
        source_total = Subquery(links.values("controlchange_id").annotate(n=Count("*")).values("n"))
        return (super().get_queryset(request).filter(state=DRAFT).select_related("town", "faction", "entered_by")
                .prefetch_related("sources").annotate(source_total=Coalesce(source_total, 0)))

    @admin.display(description="change", ordering="town__name")
    def change_link(self, obj):
        url = row_urls.url_with_key("admin:events_controlchange_change", obj.pk)
        return format_html('<a href="{}">{}</a>', url, str(obj))

    @admin.display(description="faction")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, str(obj.faction))

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, obj):
        return obj.source_total

    @admin.display(description="warning")
    def source_warning(self, obj):
        warnings = services.control_change_source_warnings(change=obj)
        if not warnings:
            return ""
        return format_html('<span class="review-warning" title="{}">&#9888; sources dated before it</span>',
                           " ".join(warnings))
