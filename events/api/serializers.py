"""Representations for the API. Writes are validated here for shape only; rules live in events.services."""

from rest_framework import serializers

from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Town


class FactionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Faction
        fields = ["id", "slug", "name", "short_name", "aliases", "colour", "parent", "description"]


class AdminAreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AdminArea
        fields = ["id", "code", "slug", "name", "name_ar", "alt_names", "level", "parent", "country_code"]


class AdminAreaDetailSerializer(AdminAreaSerializer):
    """With the boundary (GeoJSON geometry, WGS84), which lists leave out to stay small."""

    geometry = serializers.JSONField(read_only=True)

    class Meta(AdminAreaSerializer.Meta):
        fields = [*AdminAreaSerializer.Meta.fields, "geometry"]


class TownSerializer(serializers.ModelSerializer):
    admin_area = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The finest area "
                                              "the town lies in (a district where districts are loaded).")
    governorate = serializers.SerializerMethodField(help_text="The governorate (level 1) the town lies in.")

    class Meta:
        model = Town
        fields = [
            "id", "slug", "name", "alt_names", "longitude", "latitude", "population", "admin_area",
            "governorate", "geonames_id",
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
    town = serializers.SlugRelatedField(slug_field="slug", queryset=Town.objects.all())
    town_name = serializers.CharField(source="town.name", read_only=True)
    faction = serializers.SlugRelatedField(slug_field="slug", queryset=Faction.objects.all())
    contested_by = serializers.SlugRelatedField(
        slug_field="slug", queryset=Faction.objects.all(), required=False, allow_null=True
    )
    sources = serializers.PrimaryKeyRelatedField(many=True, queryset=Source.objects.all(), required=False)
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=ControlChange.objects.all(), required=False, allow_null=True
    )
    date_label = serializers.CharField(
        read_only=True, help_text='The date in words, e.g. "3 September 2017, morning", "around 2014".'
    )
    state = serializers.ChoiceField(
        choices=[ControlChange.State.DRAFT, ControlChange.State.PUBLISHED], default=ControlChange.State.DRAFT,
        help_text="On creation only: draft (editors) or published (reviewers). Later, use the review actions.",
    )

    class Meta:
        model = ControlChange
        fields = [
            "id", "town", "town_name", "faction", "status", "contested_by", "effective_date",
            "date_precision", "day_part", "date_label", "confidence", "sources", "note", "state", "supersedes",
            "entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason",
        ]
        read_only_fields = ["entered_at", "reviewed_at", "review_reason", "retracted_at", "retraction_reason"]
        # The constraints are checked by events.services (full_clean), with the admin's messages.
        validators = []


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why: kept in the change's history.")


class StateSerializer(serializers.Serializer):
    """The answer to a review action: the change's new state."""

    id = serializers.IntegerField()
    state = serializers.CharField()
