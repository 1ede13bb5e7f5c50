"""Query-string filters for the list endpoints; a bad value answers 400 naming the parameter."""

import datetime as dt
import hashlib
import json
from collections import OrderedDict

from django import forms
from django.db.models import Case, IntegerField, Model, Q, Value, When
from django_filters import fields as django_filters_fields
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from events.models import ControlChange
from events.params import ParameterError, given_date, parse_faction, parse_theatre, whole_number
from geodata.models import AdminArea, Town

SEARCH_MAX_LENGTH = 200


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, leaving the bound filterset on the view (``view.filterset``): what a list was
    filtered by, as parsed, names its kept count (``filters_key``)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset


def filters_key(filterset: filters.FilterSet) -> str:
    """What a bound, valid ``filterset`` filters by, as parsed, for a cache key: one key per meaning
    (``town=Uqayribat`` and ``town=uqayribat`` alike; a faction as the ids it stands for), every filter named."""
    cleaned = filterset.form.cleaned_data
    parsed = {name: _plain(cleaned.get(name)) for name in sorted(filterset.filters)}
    return hashlib.sha256(json.dumps(parsed, sort_keys=True).encode()).hexdigest()


def _plain(value):
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Model):
        return [value._meta.label, value.pk]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_plain(v) for v in value)
    # A filter parsing to another kind of value must say how it is keyed: no two meanings may share a key.
    raise TypeError(f"No cache key for a filter value of type {type(value).__name__}.")


def message_error(exc: ParameterError, *, code: str) -> forms.ValidationError:
    """A form error saying ``exc.message`` as written: a message is %-formatted with its params, so the
    user's value (which may hold a '%') is passed as one, never as part of the format."""
    return forms.ValidationError("%(message)s", code=code, params={"message": exc.message})


class AreaField(forms.ModelChoiceField):
    """A governorate by code (SY05) or slug (hama), as people write either."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        area = AdminArea.objects.filter(Q(code__iexact=value) | Q(slug=value)).first()
        if area is None:
            # The value goes in as a parameter: a message is %-formatted, so a '%' typed in it would fail.
            raise forms.ValidationError("No governorate has the code or slug '%(value)s'.", code="invalid_choice",
                                        params={"value": value})
        return area


# A schema given this way replaces the filter's help_text too, so the description is part of it.
@extend_schema_field({"type": "string", "description": "Governorate code (SY05) or slug (hama)."})
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


class IsoDateField(forms.Field):
    """A YYYY-MM-DD date read by ``events.params.given_date``, as the exports read theirs: left out is
    no date, given empty is refused."""

    def __init__(self, *, parameter: str = "date", **kwargs):
        self.parameter = parameter
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return given_date({self.parameter: value}, self.parameter)
        except ParameterError as exc:
            raise message_error(exc, code="invalid") from exc


class IsoDateFilter(filters.Filter):
    """A date filter taking YYYY-MM-DD only: Django's DateField would also read 2017-9-3 and, with
    its locale formats, 03/09/2017 as 9 March."""

    field_class = IsoDateField


class FactionField(forms.Field):
    """A faction by slug, name or alias, as the exports read it: the ids of it and its coalition members."""

    def to_python(self, value):
        try:
            return parse_faction(value)
        except ParameterError as exc:
            raise message_error(exc, code="invalid_choice") from exc


@extend_schema_field({
    "type": "string",
    "description": "The faction in control (slug, name or alias); a coalition includes its member groups.",
})
class FactionFilter(filters.Filter):
    """The same faction parameter as the exports: a coalition includes the groups that roll up into it."""

    field_class = FactionField

    def filter(self, qs, value):
        return qs if value is None else qs.filter(**{f"{self.field_name}__in": value})


class GivenChoiceField(django_filters_fields.ChoiceField):
    """One of the choices, or left out; given empty (``?status=``) it is refused, as the schema's enum says."""

    def clean(self, value):
        if value == "":
            names = ", ".join(str(key) for key, _ in self.choices if key != "")
            raise forms.ValidationError("Empty; give one of %(names)s, or leave it out.", code="required",
                                        params={"names": names})
        return super().clean(value)


class GivenChoiceFilter(filters.ChoiceFilter):
    field_class = GivenChoiceField


@extend_schema_field({
    "type": "string",
    "maxLength": SEARCH_MAX_LENGTH,
    "description": "Find a town by any of its names (English, Arabic, alternates), its slug, an external id "
                   "such as an OCHA P-code (C4268) or its GeoNames id; best matches first.",
})
class SearchFilter(filters.CharFilter):
    """The town search's term; longer ones are refused (400), as the schema's maxLength says."""


class TheatreField(forms.Field):
    """A theatre by slug, read by ``events.params.parse_theatre`` as every reader reads it."""

    def to_python(self, value):
        if value is None:
            return None
        try:
            return parse_theatre({"theatre": value})
        except ParameterError as exc:
            raise message_error(exc, code="invalid_choice") from exc


@extend_schema_field({
    "type": "string",
    "description": "Only this theatre (a conflict mapped here), by slug, as /api/theatres/ lists them. "
                   "Left out: every theatre.",
})
class TheatreFilter(filters.Filter):
    """Rows of one theatre; ``field_name`` is the path to the theatre (a change's is its town's)."""

    field_class = TheatreField

    def filter(self, qs, value):
        return qs if value is None else qs.filter(**{self.field_name: value})


class PeriodForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("from", f"'from' ({start}) is after 'to' ({end}).")
        return cleaned


def town_search(qs, term: str):
    """Towns whose name, alternate name, slug, external id (a P-code) or GeoNames id holds ``term``;
    an exact name first, then names that start with it, then the rest by name."""
    term = term.strip()
    if not term:
        return qs
    # SQLite keeps JSON text ASCII-escaped (\u0639...), so the escaped form is looked for too.
    forms_ = {term, json.dumps(term)[1:-1]}
    match = Q(name__icontains=term) | Q(slug__iexact=term)
    for form in forms_:
        # A P-code matches a whole id value ("C4268"), not any id that contains its digits.
        match |= Q(alt_names__icontains=form) | Q(external_ids__icontains=f'"{form}"')
    if (number := whole_number(term)) is not None:
        match |= Q(geonames_id=number)
    rank = Case(When(name__iexact=term, then=Value(0)), When(name__istartswith=term, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return qs.filter(match).annotate(search_rank=rank).order_by("search_rank", "name", "pk")


class AdminAreaFilter(filters.FilterSet):
    theatre = TheatreFilter(field_name="theatre")

    class Meta:
        model = AdminArea
        fields = ["level", "theatre"]


class TownFilter(filters.FilterSet):
    governorate = AreaFilter(field_name="admin_area")
    q = SearchFilter(method="search", max_length=SEARCH_MAX_LENGTH)
    theatre = TheatreFilter(field_name="theatre")

    class Meta:
        model = Town
        fields = ["governorate", "q", "theatre"]

    def search(self, qs, name, value):
        return town_search(qs, value)


class ControlChangeFilter(filters.FilterSet):
    town = filters.ModelChoiceFilter(
        queryset=Town.objects.all(), to_field_name="slug", help_text="Town slug, e.g. uqayribat."
    )
    faction = FactionFilter()
    governorate = AreaFilter(field_name="town__admin_area")
    theatre = TheatreFilter(field_name="town__theatre")
    status = GivenChoiceFilter(choices=ControlChange.Status.choices)
    confidence = GivenChoiceFilter(choices=ControlChange.Confidence.choices)
    state = GivenChoiceFilter(
        choices=ControlChange.State.choices, help_text="Editors only; everyone else sees published changes."
    )
    # ``from`` is a Python keyword: the two are declared as from_/to_ and take their query-string
    # names where django-filter collects the filters (get_filters), so the form, the errors and the
    # OpenAPI schema all say ``from`` and ``to``, as the exports do.
    from_ = IsoDateFilter(field_name="effective_date", lookup_expr="gte", parameter="from",
                          help_text="Earliest date, YYYY-MM-DD (inclusive).")
    to_ = IsoDateFilter(field_name="effective_date", lookup_expr="lte", parameter="to",
                        help_text="Latest date, YYYY-MM-DD (inclusive).")
    QUERY_NAMES = {"from_": "from", "to_": "to"}

    class Meta:
        model = ControlChange
        fields = ["town", "faction", "governorate", "theatre", "status", "confidence", "state"]
        form = PeriodForm

    @classmethod
    def get_filters(cls):
        return OrderedDict((cls.QUERY_NAMES.get(name, name), f) for name, f in super().get_filters().items())
