"""Representations for the API. Writes are validated here for shape only; rules live in events.services."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events import names
from events.models import Confirmation, ControlChange, Dispute, Faction, Source
from events.params import ParameterError, parse_date, whole_number
from geodata.models import AdminArea, Town


class IsoDateField(serializers.DateField):
    """A YYYY-MM-DD date read by ``events.params.parse_date``, as the filters, exports and CSV import
    read it (DRF's own DateField would also take 2017-9-3)."""

    def to_internal_value(self, value):
        if value == "":
            self.fail("required")
        try:
            return parse_date(str(value), parameter=self.field_name)
        except ParameterError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from exc


class NamedRelatedField(serializers.SlugRelatedField):
    """A town or faction by name, alias, slug or id, read as the CSV import reads it; shown by its slug.

    ``index`` is the import's resolver (``events.names.town_index`` or ``faction_index``), so a
    name shared by several rows is refused with the import's "names several ..." message rather than
    read as the first match.
    """

    def __init__(self, *, index: Callable[[], names.NameIndex], **kwargs):
        self.index = index
        super().__init__(slug_field="slug", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data)
        # An id or a slug (what clients send) wins over any other name, as in the index: one indexed
        # lookup. The whole index (every town's names: 340 ms at 10,000 towns) only for other names.
        key = text.strip().casefold()
        number = whole_number(key)
        exact = self.get_queryset().filter(pk=number) if number is not None else self.get_queryset().filter(slug=key)
        if (row := exact.first()) is not None:
            return row
        index = self.index()
        # An id is exact, as a slug is (the faction index has no ids; the town index has them already).
        if number is not None and number in index.rows:
            return index.rows[number]
        row, problem = index.find(text)
        if row is None:
            raise serializers.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
        return row


class FactionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True,
        help_text="The coalition this group rolls up into (its slug), or null.",
    )

    class Meta:
        model = Faction
        fields = ["id", "slug", "name", "short_name", "aliases", "colour", "parent", "description"]


class TheatreCountsSerializer(serializers.Serializer):
    areas = serializers.IntegerField(help_text="Admin areas of every level.")
    towns = serializers.IntegerField()
    changes = serializers.IntegerField(help_text="Published changes in force (not superseded).")


class TheatreSerializer(serializers.Serializer):
    """A theatre as ``selectors.theatre_summaries`` sums it up (the view passes the summaries)."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    bbox = serializers.ListField(
        child=serializers.FloatField(), min_length=4, max_length=4,
        help_text="The default view, [west, south, east, north] in degrees: the theatre's set view, else its "
                  "areas' extent, else its towns', else the map's default bounds.")
    first_change = serializers.DateField(allow_null=True, help_text="The earliest published change in force.")
    last_change = serializers.DateField(allow_null=True, help_text="The latest published change in force.")
    counts = serializers.SerializerMethodField()

    @extend_schema_field(TheatreCountsSerializer)
    def get_counts(self, summary) -> dict:
        return {"areas": summary.areas, "towns": summary.towns, "changes": summary.changes}


THEATRE_HELP = "The theatre (conflict) it belongs to: its slug, as /api/theatres/ lists it."


class AdminAreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True,
        help_text="A district's governorate (its slug); null for a governorate.",
    )
    theatre = serializers.CharField(source="theatre.slug", read_only=True, help_text=THEATRE_HELP)

    class Meta:
        model = AdminArea
        fields = ["id", "code", "slug", "name", "name_ar", "alt_names", "level", "parent", "country_code", "theatre"]


class AdminAreaDetailSerializer(AdminAreaSerializer):
    """With the boundary (GeoJSON geometry, WGS84), which lists leave out to stay small."""

    geometry = serializers.JSONField(read_only=True, allow_null=True)

    class Meta(AdminAreaSerializer.Meta):
        fields = [*AdminAreaSerializer.Meta.fields, "geometry"]


class TownSerializer(serializers.ModelSerializer):
    admin_area = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True,
        help_text="The finest area the town lies in (a district where districts are loaded); null if none.",
    )
    governorate = serializers.SerializerMethodField(help_text="The governorate (level 1) the town lies in.")
    theatre = serializers.CharField(source="theatre.slug", read_only=True, help_text=THEATRE_HELP)

    class Meta:
        model = Town
        fields = [
            "id", "slug", "name", "alt_names", "longitude", "latitude", "population", "admin_area",
            "governorate", "geonames_id", "theatre",
        ]

    def get_governorate(self, town: Town) -> str | None:
        area = town.admin_area
        if area is None:
            return None
        return area.parent.slug if area.parent_id else area.slug


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "publisher", "title", "url", "published", "language", "summary"]


class ControlChangeSerializer(serializers.ModelSerializer):
    town = NamedRelatedField(
        index=names.town_index, queryset=Town.objects.all(),
        help_text="The town's slug, id, name or alternate name (as in the CSV import); answered as its slug.",
    )
    town_name = serializers.CharField(source="town.name", read_only=True)
    theatre = serializers.CharField(
        source="town.theatre.slug", read_only=True, help_text="The theatre of its town (its slug, as /api/theatres/ "
        "lists it)."
    )
    faction = NamedRelatedField(
        index=names.faction_index, queryset=Faction.objects.all(),
        help_text="The faction's slug, id, name, short name or alias, e.g. Daesh; answered as its slug.",
    )
    contested_by = NamedRelatedField(
        index=names.faction_index, queryset=Faction.objects.all(), required=False, allow_null=True,
        help_text="Like faction: the contesting faction, for a contested status.",
    )
    sources = serializers.PrimaryKeyRelatedField(many=True, queryset=Source.objects.all(), required=False)
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=ControlChange.objects.all(), required=False, allow_null=True
    )
    rival_of = serializers.PrimaryKeyRelatedField(
        queryset=ControlChange.objects.all(), required=False, allow_null=True,
        help_text="A change of another source for the same town, date and part of day naming another faction: "
        "both are kept as claims, and publishing this one opens a dispute (/api/disputes/).",
    )
    effective_date = IsoDateField(help_text="The day of the change, YYYY-MM-DD (a month: any day in it).")
    date_label = serializers.CharField(
        read_only=True, help_text='The date in words, e.g. "3 September 2017, morning", "September 2017", "about 2014".'
    )
    state = serializers.ChoiceField(
        choices=[ControlChange.State.DRAFT, ControlChange.State.PUBLISHED], default=ControlChange.State.DRAFT,
        help_text="On creation only: draft (editors) or published (reviewers). Later, use the review actions.",
    )

    class Meta:
        model = ControlChange
        fields = [
            "id", "town", "town_name", "theatre", "faction", "status", "contested_by", "effective_date",
            "date_precision", "day_part", "date_label", "confidence", "sources", "note", "state", "supersedes",
            "rival_of", "entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason",
            "dispute_lost_at",
        ]
        read_only_fields = ["entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason",
                            "dispute_lost_at"]
        # The constraints are checked by events.services (full_clean), with the admin's messages.
        validators = []


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why: kept in the change's history.")


class StateSerializer(serializers.Serializer):
    """The answer to a review action: the change's new state."""

    id = serializers.IntegerField()
    state = serializers.CharField()


class PublishedSerializer(StateSerializer):
    """The answer to a publish: the new state, and what the reviewer should check (the change is published
    anyway, and the warnings kept in its review reason and audit trail)."""

    warnings = serializers.ListField(child=serializers.CharField())


class ClaimSerializer(serializers.ModelSerializer):
    """One claim of a dispute: a change, its faction and the sources that say so."""

    faction: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    faction_name = serializers.CharField(source="faction.name", read_only=True)
    contested_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True)
    date_label = serializers.CharField(read_only=True)
    sources = SourceSerializer(many=True, read_only=True)
    in_force = serializers.SerializerMethodField(help_text="False once a decision went against this claim.")

    class Meta:
        model = ControlChange
        fields = ["id", "faction", "faction_name", "status", "contested_by", "effective_date", "date_label",
                  "confidence", "state", "sources", "note", "in_force"]
        read_only_fields = fields

    def get_in_force(self, change) -> bool:
        return change.dispute_lost_at is None


class DisputeSerializer(serializers.ModelSerializer):
    """Two sources' claims for one town and date, and the reviewer's decision (null fields until decided).
    Undecided, the claim entered later is in force (the log's order) and the town is shown disputed."""

    town: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    town_name = serializers.CharField(source="town.name", read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)
    decided = serializers.BooleanField(read_only=True)

    class Meta:
        model = Dispute
        fields = ["id", "town", "town_name", "claims", "automatic", "opened_at", "decided", "decided_for",
                  "reason", "decided_at"]
        read_only_fields = fields


class DisputeDecisionSerializer(serializers.Serializer):
    in_force = serializers.IntegerField(min_value=1, help_text="The id of the claim to keep in force.")
    reason = serializers.CharField(max_length=5000, help_text="Why: shown with the dispute.")


class ConfirmationSerializer(serializers.ModelSerializer):
    """ "Still held by F, per source S" on a date: a town's controller in force confirmed unchanged."""

    town = NamedRelatedField(
        index=names.town_index, queryset=Town.objects.all(),
        help_text="The town's slug, id, name or alternate name; answered as its slug.",
    )
    town_name = serializers.CharField(source="town.name", read_only=True)
    faction = NamedRelatedField(
        index=names.faction_index, queryset=Faction.objects.all(), required=False,
        help_text="The faction still holding it (slug, id, name or alias). Left out: the town's controller in "
        "force on the date. Another faction than that one is refused (record a control change instead).",
    )
    date = IsoDateField(source="confirmed_on", help_text="The day the sources say it was still held, YYYY-MM-DD.")
    sources = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Source.objects.all(), required=False,
        help_text="Ids of the sources that say so (/api/sources/); a published confirmation needs one.",
    )
    state = serializers.ChoiceField(
        choices=[ControlChange.State.DRAFT, ControlChange.State.PUBLISHED], default=ControlChange.State.DRAFT,
        help_text="On creation only: draft (editors) or published (reviewers). Later, use the review actions.",
    )

    class Meta:
        model = Confirmation
        fields = [
            "id", "town", "town_name", "faction", "date", "sources", "note", "state",
            "entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason",
        ]
        read_only_fields = ["entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason"]
        validators: list = []  # events.services.confirmation_check says what is wrong
