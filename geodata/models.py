"""Where things are: administrative areas and towns. Geometry is GeoJSON in WGS84 (EPSG:4326)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

POLYGON_TYPES = ("Polygon", "MultiPolygon")


def validate_name_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("Must be a list of non-empty names.")


def validate_polygon_geojson(value) -> None:
    """A GeoJSON Polygon/MultiPolygon geometry object that shapely accepts."""
    if value is None:
        return
    if not isinstance(value, dict) or value.get("type") not in POLYGON_TYPES:
        raise ValidationError("Geometry must be a GeoJSON Polygon or MultiPolygon object.")
    from shapely.geometry import shape

    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValidationError(f"Geometry is not valid GeoJSON: {exc}") from exc
    if geom.is_empty:
        raise ValidationError("Geometry is empty.")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError("Geometry coordinates must be longitude, latitude in WGS84.")
    if not geom.is_valid:
        from shapely.validation import explain_validity

        raise ValidationError(f"Geometry is invalid: {explain_validity(geom)}.")


def validate_bbox(value) -> None:
    """[west, south, east, north] in WGS84 degrees, or None."""
    if value is None:
        return
    if (
        not isinstance(value, list) or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ValidationError("Give the view as four numbers: [west, south, east, north].")
    west, south, east, north = value
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError("The view must be [west, south, east, north] in degrees, west < east, south < north.")


class Theatre(models.Model):
    """A country or region whose control is mapped: its own areas, towns and (through them) control log."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    default_date = models.DateField(
        null=True, blank=True, help_text="The day the map opens on (default: the latest change).")
    boundaries_credit = models.CharField(max_length=500, blank=True, help_text="Credit line of the boundaries.")
    boundaries_url = models.URLField(
        "boundaries' source", max_length=500, blank=True, help_text="Where the boundaries are published (linked "
        "from their credit line on the map).")
    boundaries_licence_url = models.URLField(
        "boundaries' licence", max_length=500, blank=True, help_text="The licence the boundaries are published under.")
    gazetteer_credit = models.CharField(max_length=500, blank=True, help_text="Credit line of the towns' gazetteer.")
    control_credit = models.CharField(max_length=500, blank=True, help_text="Credit line of the control data.")
    view_bbox = models.JSONField(
        "default view", null=True, blank=True, validators=[validate_bbox],
        help_text="[west, south, east, north]; default: the extent of the theatre's areas (else its towns).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_theatre_id() -> int:
    """The theatre of an area or town made without one: the first theatre (made when there is none).

    Loaders name their theatre; this keeps code written before theatres working with the one there is.
    """
    first = Theatre.objects.order_by("pk").values_list("pk", flat=True).first()
    if first is not None:
        return first
    from .services.theatres import theatre_first  # services import the models

    return theatre_first().pk


class AdminArea(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, "Governorate / province"
        DISTRICT = 2, "District"

    theatre = models.ForeignKey(
        Theatre, on_delete=models.PROTECT, related_name="areas", default=default_theatre_id,
    )
    name = models.CharField(max_length=200)
    name_ar = models.CharField("Arabic name", max_length=200, blank=True)
    alt_names = models.JSONField(
        "alternate names", default=list, blank=True, validators=[validate_name_list]
    )
    code = models.CharField(max_length=32, unique=True, help_text="e.g. an OCHA P-code (SY05).")
    slug = models.SlugField(max_length=200, unique=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.PROVINCE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    country_code = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. SY.")
    geometry = models.JSONField(
        null=True, blank=True, validators=[validate_polygon_geojson],
        help_text="GeoJSON Polygon or MultiPolygon, longitude/latitude in WGS84.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="adminarea_level_1_or_2"),
            models.CheckConstraint(
                condition=Q(level=1) | Q(parent__isnull=False),
                name="adminarea_district_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("area-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.level == self.Level.DISTRICT and self.parent_id is None:
            raise ValidationError({"parent": "A district must belong to a governorate."})
        if self.parent_id and self.parent.level >= self.level:
            raise ValidationError({"parent": "The parent must be a higher-level area."})
        if self.country_code and not (len(self.country_code) == 2 and self.country_code.isalpha()):
            raise ValidationError({"country_code": "Use a two-letter ISO country code."})
        self.country_code = self.country_code.upper()


class Town(models.Model):
    theatre = models.ForeignKey(
        Theatre, on_delete=models.PROTECT, related_name="towns", default=default_theatre_id,
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    alt_names = models.JSONField(
        "alternate names", default=list, blank=True, validators=[validate_name_list],
        help_text="Transliterations and names in other scripts, e.g. ‘Uqayribāt, عقيربات.",
    )
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    population = models.PositiveIntegerField(null=True, blank=True)
    admin_area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="towns",
        help_text="Assigned by spatial join against the loaded boundaries.",
    )
    outside_boundaries = models.BooleanField(
        default=False, help_text="Explicitly accepted as lying outside every loaded boundary."
    )
    coarse_location = models.BooleanField(
        "show only its district", default=False,
        help_text="Anonymous readers see this town only at its district's resolution: never its name or place.",
    )
    geonames_id = models.PositiveIntegerField("GeoNames id", null=True, blank=True, unique=True)
    external_ids = models.JSONField(default=dict, blank=True, help_text='e.g. {"wikidata": "Q…"}')
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        # Towns in name order a page at a time, and the control log's admin list sorted by town.
        # A theatre's towns in name order: the time slice asked for one theatre walks its towns alone.
        indexes = [
            models.Index(fields=["name"], name="town_name_idx"),
            models.Index(fields=["theatre", "name"], name="town_theatre_name_idx"),
            # The few towns shown only at their district's resolution, read on every public slice.
            models.Index(fields=["id"], condition=Q(coarse_location=True), name="town_coarse_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="town_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="town_longitude_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("town-detail", kwargs={"slug": self.slug})

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.alt_names]


class DataRevision(models.Model):
    """Two rows: numbers bumped inside every write transaction of the data the public sees.

    Row 1 (shared) moves with writes every theatre shows (factions, their colours and aliases, default
    coalitions, sources); row 2 (every theatre) moves with a write in any theatre. A theatre's own row is a
    ``TheatreRevision``. A reader of one theatre keys on row 1 and its theatre's row, a reader of every
    theatre on rows 1 and 2 (see ``geodata.services.revision``), so no request counts or scans a table to
    learn whether anything changed, and a write in one theatre leaves another's caches and ETags alone.
    ``token`` is new at each bump: a database restored from a backup, or rebuilt by a test, never repeats
    an old ETag.
    """

    number = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=16, default="")
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk__in=[1, 2]), name="datarevision_two_rows")]

    def __str__(self) -> str:
        return f"revision {self.number}"


class TheatreRevision(models.Model):
    """A theatre's revision: bumped by writes to its areas, towns, coalitions and control log."""

    theatre = models.OneToOneField(Theatre, on_delete=models.CASCADE, primary_key=True, related_name="revision")
    number = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=16, default="")
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.theatre_id}: revision {self.number}"
