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
    admin_area = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Town
        fields = [
            "id", "slug", "name", "alt_names", "longitude", "latitude", "population", "admin_area",
            "geonames_id",
        ]


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

    class Meta:
        model = ControlChange
        fields = [
            "id", "town", "town_name", "faction", "status", "contested_by", "effective_date",
            "date_precision", "day_part", "confidence", "sources", "note", "state", "supersedes",
            "entered_at", "reviewed_at",
        ]
        # New changes are drafts; publishing is a reviewer's separate step.
        read_only_fields = ["state", "entered_at", "reviewed_at"]
        # The constraints are checked by events.services (full_clean), with the admin's messages.
        validators = []
