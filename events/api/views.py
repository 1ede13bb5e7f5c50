"""Thin API views: read through selectors/exports, write through events.services."""

import datetime as dt

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from events import exports, selectors, services
from events.models import Confirmation, ControlChange, Dispute, Faction, Source
from events.params import FLAG_VALUES, parse_flag, parse_theatre
from events.permissions import is_editor
from geodata.models import AdminArea, Town

from . import filters, serializers
from .pagination import CountKept, PageCountedInOneQuery, Pagination
from .renderers import CSVRenderer, GeoJSONRenderer
from .schema import error

# Bump when the export format changes, so caches holding the old shape revalidate.
EXPORT_FORMAT = "3"  # 3: the control layer carries last_confirmed, days_since_confirmed
# ?rev=<selectors.data_revision().key> pins a response to one state of the data (see ExportView.get).
REVISION_PARAM = "rev"
AS_PUBLISHED_PARAM = OpenApiParameter("as_published", OpenApiTypes.STR, description=(
    "What a reader could see then: a day (YYYY-MM-DD, its end in the site's time zone) or an ISO 8601 "
    "timestamp, not in the future. Changes published later, and corrections and retractions made later, "
    "are left out. Left out: as known now."))
RELEASE_PARAM = OpenApiParameter("release", OpenApiTypes.INT, description=(
    "With 'theatre': the layer as published at that release's moment (/releases/), byte for byte the same "
    "on every request. Not with 'as_published'."))
AS_PUBLISHED_PARAMS = [AS_PUBLISHED_PARAM, RELEASE_PARAM]
IMMUTABLE_SECONDS = 365 * 24 * 3600
# The day a dated layer shows (events.slice_dates): the latest change date on or before the one asked for.
SLICE_DATE_HEADER = "X-Slice-Date"


class FactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Faction.objects.select_related("parent")
    serializer_class = serializers.FactionSerializer
    pagination_class = Pagination
    lookup_field = "slug"


@extend_schema_view(retrieve=extend_schema(parameters=[
    OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The theatre's slug."),
]))
class TheatreViewSet(viewsets.GenericViewSet):
    """The conflicts this installation maps: each theatre's extent, the dates of its record and what it holds.
    The lists of areas, towns and control changes take `theatre=<slug>` to show one of them."""

    serializer_class = serializers.TheatreSerializer
    pagination_class = Pagination
    lookup_field = "slug"
    filter_backends = []  # nothing to filter: a handful of rows, summed up per data revision

    def get_queryset(self):
        return list(selectors.theatre_summaries().values())

    # ``format``: the router's suffixed routes (/api/theatres.json) pass it, as to every viewset's actions.
    def list(self, request, format=None):  # noqa: A002 (DRF's name)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, slug=None, format=None):  # noqa: A002 (DRF's name)
        summary = selectors.theatre_summaries().get(slug)
        if summary is None:
            raise NotFound(f"No theatre is called '{slug}'.")
        return Response(self.get_serializer(summary).data)


class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AdminArea.objects.select_related("parent", "theatre")
    pagination_class = Pagination
    lookup_field = "slug"
    filterset_class = filters.AdminAreaFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.AdminAreaDetailSerializer
        return serializers.AdminAreaSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        # A list names each area's parent, never an outline: leave both polygons in the database.
        return qs.defer("parent__geometry") if self.action == "retrieve" else qs.defer("geometry", "parent__geometry")


class TownViewSet(viewsets.ReadOnlyModelViewSet):
    # The areas' polygons are not shown: leave them in the database rather than decode one per town.
    queryset = Town.objects.select_related("admin_area__parent", "theatre").defer(
        "admin_area__geometry", "admin_area__parent__geometry"
    )
    serializer_class = serializers.TownSerializer
    pagination_class = Pagination
    filterset_class = filters.TownFilter
    lookup_field = "slug"

    def get_queryset(self):
        # The public never sees a town shown only at its district's resolution (selectors.coarse).
        return self.queryset if is_editor(self.request.user) else selectors.without_coarse(self.queryset, force=True)


class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    """Sources cited by a published change; editors also see those cited only by drafts."""

    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer
    # Finding the cited sources is the cost (an EXISTS per source over the log): found once for the
    # page and its count, not once for each.
    pagination_class = PageCountedInOneQuery

    def get_queryset(self):
        if is_editor(self.request.user):
            return Source.objects.all()
        # A probe per source (its first link to a change in force), written as a scalar subquery: PostgreSQL
        # turns an EXISTS into a semi-join that reads every link of the log and hashes it (1.1 million rows,
        # 1.1-2.0 s at 1,000,000 changes), where a subquery with LIMIT 1 stays a walk of the source's own
        # links by index that stops at the first (0.28 s for 40,000 sources). SQLite runs both as that walk.
        cited = selectors.changes_in_force(published_only=True).filter(sources=OuterRef("pk"))
        first = Subquery(cited.order_by().values("pk")[:1])
        return Source.objects.alias(cited_by=first).filter(cited_by__isnull=False)


def _review_action(name: str, *, needs_reason: bool, summary: str):
    """A POST on one change that calls events.services.control_change_<name>."""
    service = getattr(services, f"control_change_{name}")

    def review(self, request, pk=None):
        extra = {}
        if needs_reason:
            reason = serializers.ReasonSerializer(data=request.data)
            reason.is_valid(raise_exception=True)
            extra["reason"] = reason.validated_data["reason"]
        change = service(change=self.get_object(), by=request.user, **extra)
        answer = {"id": change.pk, "state": change.state}
        if name == "publish":  # published anyway; the warnings are also kept in its review reason
            answer["warnings"] = change.warnings
        return Response(answer)

    review.__name__ = name  # DRF routes an action by its function's name
    review = action(detail=True, methods=["post"], url_path=name)(review)
    return extend_schema(
        summary=summary,
        request=serializers.ReasonSerializer if needs_reason else None,
        responses={200: serializers.PublishedSerializer if name == "publish" else serializers.StateSerializer},
    )(review)


@extend_schema_view(list=extend_schema(parameters=[AS_PUBLISHED_PARAM]))
class ControlChangeViewSet(viewsets.ModelViewSet):
    """The control log. Everyone reads published changes in force; editors also see drafts and rejected
    or retracted changes. Every write goes through events.services, which checks the user's role:
    editors add and edit drafts, reviewers publish, reject and retract."""

    queryset = ControlChange.objects.none()  # narrowed per user in get_queryset
    serializer_class = serializers.ControlChangeSerializer
    pagination_class = CountKept
    filter_backends = [filters.FilterBackend]
    filterset_class = filters.ControlChangeFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def whole_log(self) -> bool:
        """Whether the list is the whole log (an editor's, as known now), not the changes in force."""
        return is_editor(self.request.user) and selectors.known_moment() is None  # as published: the public's

    def count_key(self) -> str | None:
        """The key of the list's kept count (``CountKept``): the changes in force under the data version the
        reader reads (which names the moment of ``as_published`` and, for the public, the next delayed change
        to land), who reads (the public's list leaves coarse towns out) and the filters as parsed. An editor's
        whole log is a plain COUNT of the table: not kept."""
        filterset = getattr(self, "filterset", None)
        if self.whole_log() or filterset is None:
            return None
        reader = "editor" if is_editor(self.request.user) else "public"
        return f"api:change-count:{selectors.data_version()}:{reader}:{filters.filters_key(filterset)}"

    def page_keys(self, queryset):
        """``queryset`` for its page's keys (``CountKept``), read along the date index (change_date_idx).

        SQLite, left to choose, read every change in force (or every town's) and sorted them all for the first
        100 (1-6 s at 1,000,000 changes); given a range on the index's first column (true of every change) it
        walks the index in date order and sorts only each date's few changes: 1 ms for the first page, 90 ms at
        offset 50,000. Only for the page: the count reads the table faster by a plain scan.
        """
        return queryset.filter(effective_date__gte=dt.date.min)

    def get_queryset(self):
        if self.whole_log():
            qs = ControlChange.objects.all()
        else:
            qs = selectors.changes_in_force(published_only=True)
            if not is_editor(self.request.user):  # coarse towns: at their district's resolution only
                qs = selectors.without_coarse(qs, "town_id", force=True)
        return (
            qs.select_related("town__theatre", "faction", "contested_by")
            .prefetch_related(Prefetch("sources", queryset=Source.objects.only("pk")))
            .order_by(*selectors.CHRONOLOGICAL)
        )

    def perform_create(self, serializer):
        serializer.instance = services.control_change_create(
            **serializer.validated_data, entered_by=self.request.user
        )

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        if "state" in serializer.initial_data:
            raise ValidationError({"state": ["Use the publish, reject or retract actions to change the state."]})
        fields.pop("state", None)
        serializer.instance = services.control_change_update(
            change=serializer.instance, by=self.request.user, **fields
        )

    def perform_destroy(self, instance):
        services.control_change_delete(change=instance, by=self.request.user)

    publish = _review_action("publish", needs_reason=False, summary="Publish a draft (reviewers)")
    reject = _review_action("reject", needs_reason=True, summary="Reject a draft, saying why (reviewers)")
    retract = _review_action("retract", needs_reason=True, summary="Retract a published change (reviewers)")


class DisputeViewSet(viewsets.ReadOnlyModelViewSet):
    """Disputed claims: two sources naming different controllers of a town for one date, both kept. Until a
    reviewer decides, the claim entered later is in force (the log's order) and the town is shown disputed;
    the decision takes the other claim out of every map, layer, diff and export. Everyone reads the disputes
    between published claims; editors also those with a draft."""

    serializer_class = serializers.DisputeSerializer
    pagination_class = Pagination
    queryset = Dispute.objects.none()  # narrowed per user in get_queryset

    def get_queryset(self):
        qs = Dispute.objects.all()
        if not is_editor(self.request.user):
            published = ControlChange.State.PUBLISHED
            qs = qs.filter(claim__state=published, rival__state=published)
        claims = ControlChange.objects.select_related("faction", "contested_by").prefetch_related("sources")
        return qs.select_related("town").prefetch_related(
            Prefetch("claim", queryset=claims), Prefetch("rival", queryset=claims)
        ).order_by("-opened_at", "-id")

    @extend_schema(summary="Decide which claim is in force, saying why (reviewers)",
                   request=serializers.DisputeDecisionSerializer, responses={200: serializers.DisputeSerializer})
    @action(detail=True, methods=["post"], url_path="decide")
    def decide(self, request, pk=None):
        decision = serializers.DisputeDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        dispute = services.dispute_decide(dispute=self.get_object(), by=request.user, **decision.validated_data)
        return Response(serializers.DisputeSerializer(self.get_queryset().get(pk=dispute.pk)).data)


def _confirmation_review(name: str, *, needs_reason: bool, summary: str):
    """A POST on one confirmation that calls events.services.confirmation_<name>."""
    service = getattr(services, f"confirmation_{name}")

    def review(self, request, pk=None):
        extra = {}
        if needs_reason:
            reason = serializers.ReasonSerializer(data=request.data)
            reason.is_valid(raise_exception=True)
            extra["reason"] = reason.validated_data["reason"]
        confirmation = service(confirmation=self.get_object(), by=request.user, **extra)
        return Response({"id": confirmation.pk, "state": confirmation.state})

    review.__name__ = name
    review = action(detail=True, methods=["post"], url_path=name)(review)
    return extend_schema(summary=summary, request=serializers.ReasonSerializer if needs_reason else None,
                         responses={200: serializers.StateSerializer})(review)


@extend_schema_view(list=extend_schema(parameters=[AS_PUBLISHED_PARAM]))
class ConfirmationViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin):
    """Confirmations: "still held by F, per source S" on a date. A published one moves the town's
    `last_confirmed` on the control layer up to its date. Everyone reads published confirmations; editors
    also see drafts, rejected and retracted ones. Editors record drafts (`POST` with town, date and
    sources; the faction defaults to the town's controller in force then, and another faction is
    refused); reviewers publish, reject and retract, with the control changes' permissions."""

    serializer_class = serializers.ConfirmationSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        qs = Confirmation.objects.all()
        if not (is_editor(self.request.user) and selectors.known_moment() is None):
            qs = qs.filter(selectors.counted_q(selectors.visibility(), model=Confirmation))
        return qs.select_related("town", "faction").prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("pk"))).order_by("-confirmed_on", "-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.confirmation_create(
            town=data["town"], confirmed_on=data["confirmed_on"], faction=data.get("faction"),
            sources=data.get("sources", ()), note=data.get("note", ""), state=data["state"],
            entered_by=self.request.user,
        )

    publish = _confirmation_review("publish", needs_reason=False, summary="Publish a draft confirmation (reviewers)")
    reject = _confirmation_review("reject", needs_reason=True, summary="Reject a draft confirmation (reviewers)")
    retract = _confirmation_review("retract", needs_reason=True, summary="Retract a published confirmation (reviewers)")


class ExportNegotiation(BaseContentNegotiation):
    """An export has one format, whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _date_param(name: str, description: str, *, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.DATE, description=description, required=required)


FACTION_PARAM = OpenApiParameter(
    "faction", OpenApiTypes.STR,
    description="Only this faction (slug, name or alias) and the groups that roll up into it.",
)
THEATRE_PARAM = OpenApiParameter(
    "theatre", OpenApiTypes.STR,
    description="Only this theatre's towns and changes (a slug; /api/theatres/ lists them). Left out: every town.",
)
DOWNLOAD_PARAM = OpenApiParameter(
    "download", OpenApiTypes.STR, enum=sorted(FLAG_VALUES),
    description="true or 1: answer as an attachment (a file download); false or 0 (the default): inline.",
)
LEVEL_PARAM = OpenApiParameter(
    "level", OpenApiTypes.INT, enum=[1, 2], description="1: governorates (default); 2: districts.",
)
AREA_LAYER_PARAM = OpenApiParameter(
    "layer", OpenApiTypes.STR, enum=list(exports.AREA_LAYERS),
    description="assessed (default): control, from drawn maps where published, else the towns; advance, claimed, "
    "counteroffensive: that drawn overlay; overlays: the three; all: assessed and overlays (sum only "
    "features whose `layer` is assessed).",
)
DATE_PARAM = _date_param(
    "date", "Control as of this day (inclusive), YYYY-MM-DD, not in the future; default: the latest change. "
    "The answer shows the latest change date on or before it (`as_of`, header X-Slice-Date): every day "
    "up to the next change shows the same control. A day before the first change shows the day "
    "before it (nothing recorded yet).",
)
REV_PARAM = OpenApiParameter(REVISION_PARAM, OpenApiTypes.STR, description=(
    "The data revision (the map page names it): the answer then never changes and says so "
    "(Cache-Control: public, max-age=31536000, immutable). Any other value or none: the current data, "
    "cacheable but revalidated by ETag (Cache-Control: no-cache)."))
SLICE_DATE_HEADERS = [
    OpenApiParameter(SLICE_DATE_HEADER, OpenApiTypes.DATE, OpenApiParameter.HEADER, response=[200, 304],
                     description="The day whose control the answer shows (its `as_of`)."),
    OpenApiParameter("Content-Location", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304],
                     description="This URL with `date` set to that day: the same answer under its own date."),
]
PERIOD_PARAMS = [
    _date_param("from", "First day (inclusive), YYYY-MM-DD; default: the start of the record."),
    _date_param("to", "Last day (inclusive), YYYY-MM-DD; default: today."),
]
ERROR_RESPONSE = error('A bad parameter: {"<parameter>": ["<what is wrong>"]}.')


class ExportView(APIView):
    """A public, cacheable file built by events.exports; the same bytes as `manage.py export_geojson`."""

    layer: str = ""
    authentication_classes = []  # the same published data for everyone
    permission_classes = [AllowAny]
    content_negotiation_class = ExportNegotiation
    renderer_classes = [GeoJSONRenderer]

    def export_layer(self) -> exports.Layer:
        return exports.LAYERS[self.layer]

    def get(self, request):
        layer = self.export_layer()
        # A theatre's layers are kept under its own revision: a write in another theatre leaves them.
        theatre = parse_theatre(request.query_params)
        # One read of two primary keys, whatever the size of the log: the revision every write bumps.
        revision = selectors.data_revision(theatre=theatre)
        # The revision, and the moment when read ?as_published= (events/as_published.py).
        version = selectors.data_version(revision=revision)
        # A dated layer's ``on`` is the change date it shows (events.slice_dates, for this revision):
        # the key it is kept under, part of its ETag, and named in the answer.
        params = layer.parse_at(version, request.query_params, theatre=theatre)
        return self.answer(request, layer=layer, revision=revision, version=version, params=params)

    def answer(self, request, *, layer, revision, version, params):
        """The file of ``layer`` with ``params`` at ``version`` (of ``revision``), or 304."""
        shown = params.get("on")

        def built() -> HttpResponseBase:
            export = layer.build_at(version, params)
            # A streamed layer (a period's changes) goes out a batch at a time, never whole in memory.
            response_class = StreamingHttpResponse if export.streamed else HttpResponse
            return self.named(request, response_class(export.content, content_type=export.media_type),
                              export.filename)

        pinned = selectors.version_pinned(request.query_params.get(REVISION_PARAM), revision=revision, version=version)
        # The revision's time, or when a delayed change last reached the public (selectors.data_last_modified).
        response = self.conditional(
            request, etag=f"{version}-{shown}" if shown else version,
            changed=selectors.data_last_modified(revision=revision), build=built, immutable=pinned,
        )
        if shown:
            response[SLICE_DATE_HEADER] = shown.isoformat()
            response["Content-Location"] = _located(request, shown)
        return response

    @staticmethod
    def named(request, response: HttpResponseBase, filename: str) -> HttpResponseBase:
        """``response`` as a file called ``filename``: inline, or an attachment with ``?download=``."""
        response["Content-Disposition"] = content_disposition_header(
            parse_flag(request.query_params, "download"), filename) or ""
        return response

    @staticmethod
    def conditional(request, *, etag: str, changed, build, immutable: bool) -> HttpResponseBase:
        """``build()``, or 304 when the client holds the file of ``etag`` (a data version, with its export format
        before it) last changed at ``changed``; with its validators and how caches may keep it."""
        etag = quote_etag(f"{EXPORT_FORMAT}-{etag}")
        last_modified = int(changed.timestamp()) if changed else None
        response = get_conditional_response(request._request, etag=etag, last_modified=last_modified) or build()
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        if immutable:
            # The URL names the revision, and a revision's layers never change: a proxy or CDN may
            # keep the file for good (a write moves the page to a new revision, hence a new URL).
            patch_cache_control(response, public=True, max_age=IMMUTABLE_SECONDS, immutable=True)
        else:
            # No rev, or a stale or wrong one: the current data, which can be corrected at any time,
            # so caches keep the file but ask (cheaply, 304) before reuse. Never a year under a URL
            # that named another revision: the page that asked with it reloads under the new one.
            patch_cache_control(response, public=True, no_cache=True)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def _located(request, shown) -> str:
    """This URL with ``date`` the day the answer shows: where the same bytes live under their own date."""
    query = request.query_params.copy()
    query["date"] = shown.isoformat()
    return f"{request.path}?{query.urlencode()}"


GEOJSON_RESPONSES = {
    (200, "application/geo+json"): OpenApiTypes.OBJECT,
    304: None,
    (400, "application/json"): ERROR_RESPONSE,
}
DATED_GEOJSON_RESPONSES = {
    **GEOJSON_RESPONSES,
    (200, "application/geo+json"): OpenApiResponse(inline_serializer("DatedFeatureCollection", {
        "type": drf_serializers.ChoiceField(choices=["FeatureCollection"]),
        "as_of": drf_serializers.DateField(help_text=(
            "The day whose control this shows: the latest change date on or before `date`.")),
        "features": drf_serializers.ListField(child=drf_serializers.DictField()),
    }), description="A GeoJSON FeatureCollection (RFC 7946) of control on `as_of`."),
}


@extend_schema_view(get=extend_schema(
    operation_id="control_geojson", tags=["exports"],
    parameters=[DATE_PARAM, FACTION_PARAM, THEATRE_PARAM, REV_PARAM, *AS_PUBLISHED_PARAMS, DOWNLOAD_PARAM,
                *SLICE_DATE_HEADERS],
    responses=DATED_GEOJSON_RESPONSES,
))
class ControlGeoJSONView(ExportView):
    """One Point per town: who controlled it on `date`, since when, how sure, according to which sources."""

    layer = "control"


@extend_schema_view(get=extend_schema(
    operation_id="provinces_geojson", tags=["exports"],
    parameters=[DATE_PARAM, LEVEL_PARAM, THEATRE_PARAM, REV_PARAM, *AS_PUBLISHED_PARAMS, DOWNLOAD_PARAM,
                *SLICE_DATE_HEADERS],
    responses=DATED_GEOJSON_RESPONSES,
))
class ProvincesGeoJSONView(ExportView):
    """Governorates (or districts, `level=2`) on `date`: `dominant_faction` (holds more towns than any
    other, else null), `shares` (faction slug to fraction of the towns whose controller is known), `contested`."""

    layer = "provinces"


@extend_schema_view(get=extend_schema(
    operation_id="control_areas_geojson", tags=["exports"],
    parameters=[DATE_PARAM, THEATRE_PARAM, AREA_LAYER_PARAM, REV_PARAM, *AS_PUBLISHED_PARAMS, DOWNLOAD_PARAM,
                *SLICE_DATE_HEADERS],
    responses=DATED_GEOJSON_RESPONSES,
))
class ControlAreasGeoJSONView(ExportView):
    """Territory per faction on `date` (Voronoi cells of the towns, clipped to the governorates; a faction's
    latest published drawn map on or before `date` instead where it has one, `basis` saying which, with
    `drawn_on` and `days_old`); `faction` is a slug or "contested", `area_km2` is measured in an equal-area
    projection. A date moves on to a later drawing's day (`as_of`)."""

    layer = "areas"


@extend_schema_view(get=extend_schema(
    operation_id="changes_geojson", tags=["exports"],
    parameters=[*PERIOD_PARAMS, FACTION_PARAM, THEATRE_PARAM, REV_PARAM, *AS_PUBLISHED_PARAMS, DOWNLOAD_PARAM],
    responses=GEOJSON_RESPONSES,
))
class ChangesGeoJSONView(ExportView):
    """Published changes of control from `from` to `to` as dated Point events (QGIS temporal controller,
    kepler.gl). `faction` keeps changes that faction gained or lost."""

    layer = "changes"


@extend_schema_view(get=extend_schema(
    operation_id="changes_csv", tags=["exports"],
    parameters=[*PERIOD_PARAMS, FACTION_PARAM, THEATRE_PARAM, REV_PARAM, *AS_PUBLISHED_PARAMS, DOWNLOAD_PARAM],
    responses={(200, "text/csv"): OpenApiTypes.STR, 304: None, (400, "application/json"): ERROR_RESPONSE},
))
class ChangesCSVView(ExportView):
    """The rows of changes.geojson as CSV, with longitude and latitude columns."""

    layer = "changes-csv"
    renderer_classes = [CSVRenderer]
