"""Limit/offset pages whose parameters are checked: a typo answers 400 instead of the default page."""

from django.core.cache import cache
from django.db.models import Count, Window
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

# No list has this many rows: an offset at or past it is past the end, answered without a query (a
# database's integers stop at 2**63 - 1, and an OFFSET beyond that is an error, not an empty page).
PAST_ANY_END = 2**62


def _whole_number(raw: str, *, parameter: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValidationError({parameter: [f"'{raw}' is not a whole number of {minimum} or more."]})
    return value


class Pagination(LimitOffsetPagination):
    """DRF's limit/offset, except that a bad value is refused (DRF quietly serves the default page).

    A limit above ``max_limit`` is still served as ``max_limit``: the ``next`` link shows there is more.
    """

    max_limit = 1000

    def get_limit(self, request):
        # Left out: the default; given empty (``?limit=``) it is refused, as the schema's integer says.
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        return min(_whole_number(raw, parameter=self.limit_query_param, minimum=1), self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        return 0 if raw is None else _whole_number(raw, parameter=self.offset_query_param, minimum=0)

    def get_schema_operation_parameters(self, view):
        # The schema states the bounds get_limit and get_offset enforce.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"]["minimum"] = minimum
            parameter["description"] += f" A whole number, {minimum} or more."
        return parameters


# How long a kept count is kept: its key names the data version, so this only bounds what a cache holds.
COUNT_SECONDS = 24 * 3600


class CountKept(Pagination):
    """``Pagination`` whose ``count`` is kept in the shared cache under the view's ``count_key()``, and whose
    page is read as its keys first (``view.page_keys``), then its rows by key.

    The control log's list counted the changes in force for every page (an EXISTS per change over the log),
    and read its page joined to towns, theatres and factions, which SQLite planned as every town's changes
    sorted: 3.5 s a page at 1,000,000 changes. The count's key names the data version the reader reads and
    the filters as parsed, so a client paging through waits for it once per state of the data; a view
    answering None (no key) is counted as DRF counts. The keys alone, in order, are a walk of the date index.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        self.count = self.get_count(queryset)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        keys = queryset.prefetch_related(None)
        keys = view.page_keys(keys) if hasattr(view, "page_keys") else keys
        keys = list(keys.values_list("pk", flat=True)[self.offset : self.offset + self.limit])
        rows = queryset.filter(pk__in=keys).in_bulk()
        return [rows[pk] for pk in keys if pk in rows]  # a draft deleted between the two reads is left out

    def get_count(self, queryset):
        count_key = getattr(self.view, "count_key", None)
        key = None if count_key is None else count_key()
        if key is None:
            return super().get_count(queryset)
        count = cache.get(key)
        if count is None:
            count = super().get_count(queryset)
            cache.set(key, count, COUNT_SECONDS)
        return count


class PageCountedInOneQuery(Pagination):
    """``Pagination`` whose count comes with its page: one query, the total a window over the same rows.

    For a list whose rows are costly to find (sources cited by a change in force: an EXISTS per source
    over the log), DRF's COUNT and then the page each find them all; at 40,000 sources and 1,000,000
    changes that was two passes of 0.15 s. ``COUNT(*) OVER ()`` counts the rows the page is cut from.
    An offset past the end has no row to carry the total, and is counted as DRF counts it.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        # The page's keys and the total first (narrow rows: the window keeps every row until the
        # sort), then the page's rows by key, in that order.
        keys = [] if self.offset >= PAST_ANY_END else list(
            queryset.annotate(rows_counted=Window(Count("pk"))).values_list("pk", "rows_counted")[
                self.offset : self.offset + self.limit
            ]
        )
        self.count = keys[0][1] if keys else self.get_count(queryset)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        rows = queryset.filter(pk__in=[pk for pk, _ in keys]).in_bulk() if keys else {}
        return [rows[pk] for pk, _ in keys]
