"""Query-string filters for the list endpoints; a bad value answers 400 naming the parameter."""

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from events.models import ControlChange
from events.params import ISO_DATE, ParameterError, parse_faction
from geodata.models import AdminArea, Town


class AreaField(forms.ModelChoiceField):
    """A governorate by code (SY05) or slug (hama), as people write either."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        area = AdminArea.objects.filter(Q(code__iexact=value) | Q(slug=value)).first()
        if area is None:
            raise forms.ValidationError(f"No governorate has the code or slug '{value}'.", code="invalid_choice")
        return area


@extend_schema_field(OpenApiTypes.STR)
class AreaFilter(filters.ModelChoiceFilter):
    """Rows whose ``field_name`` (an AdminArea link) is the governorate or one of its districts."""

    field_class = AreaField

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", AdminArea.objects.all())
        kwargs.setdefault("help_text", "Governorate code (SY05) or slug (hama).")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(Q(**{self.field_name: value}) | Q(**{f"{self.field_name}__parent": value}))


class FactionField(forms.Field):
    """A faction by slug, name or alias, as the exports read it: the ids of it and its coalition members."""

    def to_python(self, value):
        try:
            return parse_faction(value)
        except ParameterError as exc:
            raise forms.ValidationError(exc.message, code="invalid_choice") from exc


@extend_schema_field(OpenApiTypes.STR)
class FactionFilter(filters.Filter):
    """The same faction parameter as the exports: a coalition includes the groups that roll up into it."""

    field_class = FactionField

    def filter(self, qs, value):
        return qs if value is None else qs.filter(**{f"{self.field_name}__in": value})


class PeriodForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("from", f"'from' ({start}) is after 'to' ({end}).")
        return cleaned


class TownFilter(filters.FilterSet):
    governorate = AreaFilter(field_name="admin_area")

    class Meta:
        model = Town
        fields = ["governorate"]


class ControlChangeFilter(filters.FilterSet):
    town = filters.ModelChoiceFilter(
        queryset=Town.objects.all(), to_field_name="slug", help_text="Town slug, e.g. uqayribat."
    )
    faction = FactionFilter(
        help_text="The faction in control (slug, name or alias); a coalition includes its member groups."
    )
    governorate = AreaFilter(field_name="town__admin_area")
    status = filters.ChoiceFilter(choices=ControlChange.Status.choices)
    confidence = filters.ChoiceFilter(choices=ControlChange.Confidence.choices)
    state = filters.ChoiceFilter(
        choices=ControlChange.State.choices, help_text="Editors only; everyone else sees published changes."
    )
    # ``from`` is a Python keyword, so these two are put into the class namespace by name.
    # YYYY-MM-DD only: Django's default formats would read 03/09/2017 as 9 March (US order).
    locals()["from"] = filters.DateFilter(
        field_name="effective_date", lookup_expr="gte", input_formats=[ISO_DATE],
        help_text="Earliest date, YYYY-MM-DD (inclusive)."
    )
    locals()["to"] = filters.DateFilter(
        field_name="effective_date", lookup_expr="lte", input_formats=[ISO_DATE],
        help_text="Latest date, YYYY-MM-DD (inclusive)."
    )

    class Meta:
        model = ControlChange
        fields = ["town", "faction", "governorate", "status", "confidence", "state"]
        form = PeriodForm
