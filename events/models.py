"""Who controlled what, when, according to whom.

Control is an append-only log of ControlChange rows: there is no "current controller" column;
the controller of a town on a date is the latest change in force on or before it
(see ``events.selectors.control_as_of``).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from geodata.models import Theatre, Town, validate_name_list

from .reviewed_models import ReviewState

EARLIEST_DATE = dt.date(1900, 1, 1)

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as a six-digit hex value such as #1f77b4."
)


class Faction(models.Model):
    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=100, unique=True)
    aliases = models.JSONField(
        default=list, blank=True, validators=[validate_name_list],
        help_text="Other names readers and sources use, e.g. Daesh, ISIS, ISIL.",
    )
    colour = models.CharField(max_length=7, validators=[hex_colour])
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        help_text="The coalition this group belongs to, so allied groups roll up.",
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="faction_colour_hex"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="faction_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        self.colour = (self.colour or "").lower()
        self.coalition_chain()  # refuses a loop of coalitions

    def coalition_chain(self) -> list["Faction"]:
        """The coalitions above this faction, nearest first (empty for a faction in none).

        The one walk up the ``parent`` links. A loop (A in B, B in A) raises a ValidationError on
        ``parent``: the schema only rules out a faction being its own parent.
        """
        chain, seen, ancestor = [], {self.pk}, self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError({"parent": "A faction cannot be its own coalition."})
            chain.append(ancestor)
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return chain

    @property
    def coalition(self) -> "Faction":
        """The top-level coalition this faction rolls up into (itself when it is in none)."""
        chain = self.coalition_chain()
        return chain[-1] if chain else self


class FactionRole(models.Model):
    """A faction's coalition in one theatre, where it differs from its default (``Faction.parent``).

    One faction row acts in every theatre (Russia, the Islamic State); its coalition is per theatre.
    Without a row, a theatre uses ``Faction.parent`` (the seed's coalitions, so the seed's theatre needs no rows and
    everything written before theatres reads as before); a row with no coalition means the faction
    stands on its own there.
    """

    theatre = models.ForeignKey(Theatre, on_delete=models.CASCADE, related_name="faction_roles")
    faction = models.ForeignKey(Faction, on_delete=models.CASCADE, related_name="roles")
    coalition = models.ForeignKey(
        Faction, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The coalition this faction belongs to in this theatre (empty: on its own).",
    )

    class Meta:
        ordering = ["theatre", "faction"]
        constraints = [
            models.UniqueConstraint(fields=["theatre", "faction"], name="factionrole_one_per_theatre"),
            models.CheckConstraint(condition=~Q(coalition=models.F("faction")), name="factionrole_not_own_coalition"),
        ]

    def __str__(self) -> str:
        return f"{self.faction} in {self.theatre}: {self.coalition or 'on its own'}"


class Source(models.Model):
    publisher = models.CharField(max_length=200)
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    published = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 code, e.g. en, ar.")
    summary = models.TextField(blank=True, help_text="A short paraphrase of what it reports.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published", "publisher"]

    def __str__(self) -> str:
        when = f" ({self.published:%Y-%m-%d})" if self.published else ""
        return f"{self.publisher}: {self.title}{when}"


class ControlChange(models.Model):
    # Not a column: set by the publish service on the row it returns, the warnings published despite.
    warnings: list[str]

    class Status(models.TextChoices):
        CONTROLLED = "controlled", "Controlled"
        CONTESTED = "contested", "Contested"

    class Precision(models.TextChoices):
        DAY = "day", "Exact day"
        MONTH = "month", "Month only"
        APPROXIMATE = "approximate", "Approximate"

    class DayPart(models.IntegerChoices):
        # Order matters: it is the same-day order of changes (then entry order).
        UNSPECIFIED = 0, "Unspecified"
        MORNING = 1, "Morning"
        AFTERNOON = 2, "Afternoon"
        EVENING = 3, "Evening"
        NIGHT = 4, "Night"

        @classmethod
        def from_text(cls, text: str) -> "ControlChange.DayPart | None":
            """The part of day a CSV cell names (label in any case, or number; empty: unspecified); None if none."""
            text = text.strip().casefold()
            if not text:
                return cls.UNSPECIFIED
            return next((part for part in cls if text in (part.label.casefold(), str(part.value))), None)

    class Confidence(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        REPORTED = "reported", "Reported"
        CLAIMED = "claimed", "Claimed"

    State = ReviewState  # the review's states, shared with confirmations and drawn areas

    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="control_changes")
    faction = models.ForeignKey(
        Faction, on_delete=models.PROTECT, related_name="control_changes",
        help_text="The faction in control from this date.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONTROLLED)
    contested_by = models.ForeignKey(
        Faction, null=True, blank=True, on_delete=models.PROTECT, related_name="contesting_changes"
    )
    effective_date = models.DateField()
    date_precision = models.CharField(
        max_length=12, choices=Precision.choices, default=Precision.DAY
    )
    day_part = models.PositiveSmallIntegerField(
        "part of day", choices=DayPart.choices, default=DayPart.UNSPECIFIED
    )
    confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.REPORTED
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="control_changes")
    note = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by",
        help_text="An earlier change this one corrects; the earlier one leaves the map.",
    )
    rival_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rivals",
        help_text="Another source's change for the same town, date and part of day naming another faction: "
                  "both are kept as claims, and publishing this one opens a dispute for a reviewer to decide.",
    )
    # Set by the dispute decision (events.services.disputes) on the claim decided against: it leaves what is
    # in force (selectors.rule) and stays on record as a claim. A column test keeps the slice's plan.
    dispute_lost_at = models.DateTimeField(null=True, blank=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.TextField(blank=True)
    # When anonymous readers see it: reviewed_at plus the publication delay that applied when it was
    # published (events.delay_models), set by the publish service. NULL on old rows: no delay.
    public_from = models.DateTimeField(
        "public from", null=True, blank=True, editable=False,
        help_text="When anonymous readers see it: its publication plus any publication delay.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["town", "effective_date", "day_part", "id"]
        permissions = [
            ("publish_controlchange", "Can publish or reject control changes"),
            ("retract_controlchange", "Can retract published control changes"),
        ]
        indexes = [
            # Serves "latest change per town on or before D" as one index range per town.
            models.Index(
                fields=["town", "-effective_date", "-day_part", "-id"], name="change_town_asof_idx"
            ),
            # With the publication moment: a date walk "as published at T" (the first and latest change date)
            # tests it in the index and reads the row only of a change published by then. The id before it
            # keeps the admin's list (newest date, then id) an index walk, as the date and rowid alone were.
            models.Index(fields=["effective_date", "id", "reviewed_at"], name="change_date_idx"),
            # The admin's list filtered by faction, newest first, a page at a time (and its count, read
            # from the index alone). No index starts with the state: nearly every change is published,
            # and SQLite without statistics took such an index for the time slice's walk per town.
            models.Index(fields=["faction", "effective_date"], name="change_faction_date_idx"),
            # The review queue: drafts, oldest entry first, a page at a time (and its COUNT). Partial, so
            # no query about published changes can pick it instead of the indexes above. It holds the
            # state too: the ORM binds 'draft' as a parameter, and SQLite then checks that term on every
            # row unless the index covers it (the drafts' COUNT read 14,000 rows, 50 ms, at 1M changes).
            models.Index(fields=["entered_at", "id", "state"], condition=Q(state="draft"),
                         name="change_drafts_queue_idx"),
            # The change feed (events/feeds.py): publications and retractions, newest first, a page at a
            # time from a cursor. Neither starts with the state, nor can serve the slice's walk per town.
            models.Index(fields=["reviewed_at", "id"], name="change_reviewed_idx"),
            models.Index(fields=["retracted_at", "id"], name="change_retracted_idx"),
            # The public feed's order and the next delayed change's moment (MIN(public_from) > now, one seek).
            models.Index(fields=["public_from", "id"], name="change_public_from_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="controlled", contested_by__isnull=True)
                | Q(status="contested", contested_by__isnull=False),
                name="change_contested_names_contester",
            ),
            models.CheckConstraint(
                condition=~Q(contested_by=models.F("faction")), name="change_contester_differs"
            ),
            models.CheckConstraint(
                condition=Q(effective_date__gte=EARLIEST_DATE), name="change_date_not_before_1900"
            ),
            models.UniqueConstraint(
                fields=["town", "effective_date", "day_part"],
                condition=Q(supersedes__isnull=True) & Q(rival_of__isnull=True) & Q(state__in=["draft", "published"]),
                name="change_one_per_town_date_daypart",
                violation_error_message=(
                    "This town already has a change on this date and part of day; "
                    "enter this one as superseding it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} → {self.faction} on {self.effective_date:%Y-%m-%d}"

    @property
    def date_label(self) -> str:
        """The date in words, with its precision and part of day (see ``events.date_labels``)."""
        from .date_labels import date_label  # that module reads this model's choices

        return date_label(on=self.effective_date, precision=self.date_precision, day_part=self.day_part)

    def clean(self) -> None:
        errors = {}
        if self.effective_date:
            if self.effective_date > timezone.localdate():
                errors["effective_date"] = "The date is in the future."
            elif self.effective_date < EARLIEST_DATE:
                errors["effective_date"] = "The date is before 1900."
        if self.status == self.Status.CONTESTED and not self.contested_by_id:
            errors["contested_by"] = "A contested status must name the contesting faction."
        if self.status == self.Status.CONTROLLED and self.contested_by_id:
            errors["contested_by"] = "Only a contested status names a contesting faction."
        if self.contested_by_id and self.contested_by_id == self.faction_id:
            errors["contested_by"] = "A faction cannot contest its own control."
        if self.supersedes_id:
            if self.supersedes_id == self.pk:
                errors["supersedes"] = "A change cannot supersede itself."
            elif self.town_id and self.supersedes.town_id != self.town_id:
                errors["supersedes"] = "A change can only supersede a change of the same town."
        if self.rival_of_id and (rival := self.rival_of) is not None:
            if self.rival_of_id == self.pk:
                errors["rival_of"] = "A change cannot be a rival claim to itself."
            elif (self.town_id, self.effective_date, self.day_part) != (rival.town_id, rival.effective_date,
                                                                        rival.day_part):
                errors["rival_of"] = ("A rival claim names the same town, date and part of day as the change it "
                                      f"disputes ({rival.town}, {rival.date_label}).")
            elif self.faction_id == rival.faction_id:
                errors["rival_of"] = "A rival claim names another faction than the change it disputes."
        if errors:
            raise ValidationError(errors)


class ControlChangeForReview(ControlChange):
    """The review queue: drafts waiting for a reviewer (its own admin page and permissions)."""

    class Meta:
        proxy = True
        verbose_name = "draft awaiting review"
        verbose_name_plural = "review queue"


from .confirmation_models import Confirmation  # noqa: E402,F401  ("still held", its own module)
from .delay_models import PublicationDelay  # noqa: E402,F401  (publication delays, their own module)
from .dispute_models import Dispute  # noqa: E402,F401  (disputed claims, their own module)
from .drawn_models import DrawnArea  # noqa: E402,F401  (control drawn as polygons, its own module)
from .job_models import ImportUpload, Job  # noqa: E402,F401  (models of their own module, registered here)
from .release_models import Release  # noqa: E402,F401  (citable releases, their own module)
