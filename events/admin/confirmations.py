"""Admin for confirmations ("still held by F, per source S"): recorded in two clicks from a town or a change
row ("confirm still held": the form comes filled with the town, its controller now and today's date; Save),
and reviewed with the control changes' actions, each through ``services.confirmations``."""

from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from geodata.admin import AuditedAdmin
from geodata.models import Theatre, Town

from .. import permissions, selectors
from ..confirmation_models import Confirmation
from ..params import ParameterError, parse_date_or, parse_theatre, whole_number
from ..services import confirmations
from .changes import ReviewActions
from .common import ActingUserFormMixin, AdminCss, ServiceCheckedForm, swatch

FIELDS = ("town", "faction", "confirmed_on", "sources", "note")
STALE_PER_PAGE = 200


def confirm_url(town_id: int) -> str:
    """The add form of a confirmation of ``town_id``, filled with its controller now and today's date."""
    return f"{reverse('admin:events_confirmation_add')}?{urlencode({'town': town_id})}"


def confirm_link(town_id: int):
    return format_html('<a class="confirm-still-held" href="{}">confirm still held</a>', confirm_url(town_id))


class ConfirmationForm(ServiceCheckedForm):
    class Meta:
        model = Confirmation
        fields = FIELDS

    def service_check(self, instance) -> None:
        instance.state = Confirmation.State.DRAFT
        confirmations.confirmation_check(confirmation=instance, sources=self.cleaned_data.get("sources") or [])


def _as_change(service):
    """A confirmation service called as ReviewActions calls a control change's (``change=``)."""
    return lambda *, change, **kwargs: service(confirmation=change, **kwargs)


@admin.register(Confirmation)
class ConfirmationAdmin(ActingUserFormMixin, ReviewActions, AuditedAdmin):
    form = ConfirmationForm
    list_display = ("__str__", "faction_swatch", "confirmed_on", "state", "entered_at")
    list_filter = ("state", "confirmed_on")
    list_select_related = ("town", "faction")
    ordering = ("-confirmed_on", "-id")
    search_fields = ("town__name", "town__slug", "faction__name", "faction__slug")
    autocomplete_fields = ("town", "faction", "sources")
    actions = ("publish_selected", "reject_selected", "retract_selected")
    review_fields = (
        "state",
        "entered_by",
        "entered_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "retracted_by",
        "retracted_at",
        "retraction_reason",
    )
    Media = AdminCss

    @admin.display(description="faction", ordering="faction__name")
    def faction_swatch(self, obj):
        return swatch(obj.faction.colour, str(obj.faction))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": FIELDS}),)
        return ((None, {"fields": FIELDS}), ("Review", {"fields": self.review_fields}))

    def get_readonly_fields(self, request, obj=None):
        return self.review_fields if obj is None else (*FIELDS, *self.review_fields)

    def get_changeform_initial_data(self, request):
        """The town from the link, its controller today and today's date: the editor picks a source and saves."""
        initial = super().get_changeform_initial_data(request)
        today = timezone.localdate()
        initial.setdefault("confirmed_on", today)
        town = Town.objects.filter(pk=initial.get("town")).first() if str(initial.get("town", "")).isdigit() else None
        if town is not None and "faction" not in initial:
            controller = confirmations.controller_on(town=town, on=today)
            if controller is not None:
                initial["faction"] = controller.pk
        return initial

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm(permissions.PERM_ADD) or user.has_perm(permissions.PERM_PUBLISH)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return request.user.has_perm(permissions.PERM_ADD)

    def has_change_permission(self, request, obj=None):
        return False  # a confirmation is reviewed, not edited: a wrong one is rejected or retracted

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = confirmations.confirmation_create(
            town=obj.town,
            faction=obj.faction,
            confirmed_on=obj.confirmed_on,
            sources=form.cleaned_data.get("sources") or [],
            note=obj.note,
            entered_by=request.user,
        )
        obj.pk, obj.entered_by, obj.state = created.pk, created.entered_by, created.state
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass  # the service has set the sources (and recorded them in the history)

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._run_each(request, queryset, verb="publish", run=_as_change(confirmations.confirmation_publish))

    @admin.action(description="Reject selected drafts (with a reason)", permissions=["publish"])
    def reject_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="reject", run=_as_change(confirmations.confirmation_reject))

    @admin.action(description="Retract selected published confirmations (with a reason)", permissions=["retract"])
    def retract_selected(self, request, queryset):
        return self._with_reason(request, queryset, verb="retract", run=_as_change(confirmations.confirmation_retract))

    def get_urls(self):
        stale = path("stale/", self.admin_site.admin_view(self.stale_view), name="events_confirmation_stale")
        return [stale, *super().get_urls()]

    def stale_view(self, request):
        """Towns not confirmed for N days on a date, by governorate, a page at a time; bad input is said, not
        raised (the defaults are shown instead)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = stale_query(request.GET)
        rows = selectors.stale_towns(on=query["on"], days=query["days"], theatre=query["theatre"])
        page = Paginator(rows, STALE_PER_PAGE).get_page(request.GET.get("page"))
        shown = [{**row._asdict(), "confirm": confirm_link(row.town_id)} for row in page.object_list]
        kept = {
            k: v
            for k, v in (
                ("date", query["on"].isoformat()),
                ("days", query["days"]),
                ("theatre", query["theatre"].slug if query["theatre"] else ""),
            )
            if v != ""
        }
        context = {
            **self.admin_site.each_context(request),
            "title": "Stale towns",
            "opts": self.model._meta,
            "on": query["on"],
            "days": query["days"],
            "theatre": query["theatre"],
            "errors": query["errors"],
            "theatres": Theatre.objects.order_by("name"),
            "total": len(rows),
            "page": page,
            "groups": [(name, list(group)) for name, group in groupby(shown, key=lambda r: r["governorate"])],
            "query": urlencode(kept),
        }
        return TemplateResponse(request, "admin/events/confirmation/stale.html", context)


def stale_query(params) -> dict:
    """The stale list's date (default today), days (default settings.STALE_AFTER_DAYS) and theatre (default
    every one); each bad value is named in ``errors`` and its default used."""
    today, errors = timezone.localdate(), []
    on, error = parse_date_or(params.get("date") or None, parameter="date", fallback=today)
    if error:
        errors.append(error)
    days = settings.STALE_AFTER_DAYS
    raw_days = (params.get("days") or "").strip()
    if raw_days:
        number = whole_number(raw_days)
        if number is None or number > 100_000:
            errors.append(f"'days' must be a whole number of days from 0 to 100000; showing {days}.")
        else:
            days = number
    theatre = None
    if params.get("theatre"):
        try:
            theatre = parse_theatre(params)
        except ParameterError as exc:
            errors.append(exc.message)
    return {"on": on, "days": days, "theatre": theatre, "errors": errors}
