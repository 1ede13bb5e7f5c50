"""Pieces the control-log admin pages share: colour swatches, links to the public map, error reports,
and a form whose validation is the service's own check."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import ModelForm
from django.utils.html import format_html

from geodata.models import AdminArea

from ..models import ControlChange
from ..params import whole_number
from ..permissions import Actor
from . import row_urls
from .log_search import changes_in_towns


def swatch(colour: str, label: str = ""):
    return format_html('<span class="swatch" style="background:{}"></span>{}', colour, label or colour)


def map_url(change: ControlChange) -> str:
    return f"{row_urls.url('home')}?{urlencode({'date': change.effective_date.isoformat(), 'town': change.town.slug})}"


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


def add_check_errors(form, exc: ValidationError | PermissionDenied) -> None:
    """Show a service check's refusal on the form: field errors inline, the rest above the form."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, ValidationError({NON_FIELD_ERRORS: str(exc)}))
        return
    for name, messages_ in exc.update_error_dict({}).items():
        form.add_error(name if name in form.fields else None, messages_)


class ServiceCheckedForm(ModelForm):
    """A model form validated by the service's pure check (it writes nothing); ``save_model`` then makes
    the one write. ``acting_user`` is set per request by ``ActingUserFormMixin``."""

    acting_user: Actor  # set per request: a form built without it fails, it never acts as the system

    def service_check(self, instance) -> None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.service_check(self.instance)
        except (ValidationError, PermissionDenied) as exc:
            add_check_errors(self, exc)


class ActingUserFormMixin:
    """Give the admin's form the user making the request, for the service check's permission rules."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user})


class AdminCss:
    css = {"all": ("admin-extra/admin.css",)}


class GovernorateFilter(admin.SimpleListFilter):
    """Changes of towns in a governorate, whether a town is placed in it or in one of its districts."""

    title = "governorate"
    parameter_name = "governorate"

    def lookups(self, request, model_admin):
        provinces = AdminArea.objects.filter(level=AdminArea.Level.PROVINCE).order_by("name")
        return [(str(pk), name) for pk, name in provinces.values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        pk = whole_number(value)
        if pk is None:
            return queryset.none()
        return changes_in_towns(queryset, Q(admin_area_id=pk) | Q(admin_area__parent_id=pk))
