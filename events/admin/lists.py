"""What the control log's change lists need to stay quick at a million rows: a count the page can
afford, an order its indexes serve, and rows rendered without a template or a URL lookup per row."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..params import whole_number
from . import row_urls

# Below this many rows an exact COUNT is cheap; above it, PostgreSQL's COUNT reads the whole table.
ESTIMATE_FROM_ROWS = 100_000
# A filtered list is counted up to this many pages past the one shown: a filter no index serves
# (status, confidence, part of day...) would otherwise read every row of the log to count its matches.
COUNT_PAGES_AHEAD = 10
# Searching the notes reads every note, so it is asked for with this parameter (a box by the search field).
NOTES_VAR = "notes"


class LogPaginator(Paginator):
    """Counts the list as far as ``COUNT_PAGES_AHEAD`` pages past the page shown (``capped`` when it has
    more), except for the whole unfiltered log: exact on SQLite, and on PostgreSQL the planner's row
    estimate (``pg_class.reltuples``, kept by autovacuum's ANALYZE) instead of a COUNT over every row.
    ``estimated`` and ``capped`` say which, for the page to write "about" or "more than"."""

    estimated = False
    capped = False

    def __init__(self, *args, page: int = 1, pages_ahead: int | None = COUNT_PAGES_AHEAD, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_up_to = None if pages_ahead is None else (max(page, 1) + pages_ahead) * self.per_page

    @cached_property
    def count(self) -> int:
        estimate = self._table_estimate()
        if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
            self.estimated = True
            return estimate
        if self.count_up_to is None or not self.object_list.query.where:
            return super().count
        # COUNT(*) over (the first count_up_to + 1 rows): it stops reading once it has that many.
        found = self.object_list.order_by()[:self.count_up_to + 1].count()
        self.capped = found > self.count_up_to
        return found

    def page(self, number):
        """The page's rows, always asked for as a full page: with LIMIT 1 or 2 (the last page's remainder)
        SQLite's planner prefers reading every town's changes and sorting them, 8 s at a million."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom:bottom + self.per_page], number, self)

    def _table_estimate(self) -> int | None:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or queryset.query.where or queryset.query.distinct:
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                           [connection.ops.quote_name(queryset.model._meta.db_table)])
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] >= 0 else None  # -1: never analysed


class LogChangeList(ChangeList):
    # Sorting by one of these columns sorts by the name, then keeps the row's own order within each
    # town or faction: the town (name) index, then the (town, date) or (faction, date) index, serve it
    # page by page instead of sorting the whole log.
    sorted_by_name = ("town", "faction")

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(NOTES_VAR, None)  # read by the search, not a filter
        return lookup_params

    @property
    def notes_searched(self) -> bool:
        return self.params.get(NOTES_VAR) == "1"

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        expanded = []
        for part in ordering:
            name = part.lstrip("-") if isinstance(part, str) else None
            relation = name.removesuffix("__name") if name else None
            if relation in self.sorted_by_name:
                desc = "-" if part.startswith("-") else ""
                expanded += [f"{desc}{relation}__name", f"{desc}{relation}_id"]
            else:
                expanded.append(part)
        if expanded[:1] in (["town__name"], ["-town__name"]) and expanded[2:] == ["-effective_date", "-id"]:
            expanded[2:] = ["-effective_date", "-day_part", "-id"]  # the (town, date) index's own order
        return expanded

    def url_for_result(self, result):
        return row_urls.url_with_key(f"{self.model_admin.admin_site.name}:{self.opts.app_label}_"
                                     f"{self.opts.model_name}_change", getattr(result, self.pk_attname))


class LogListMixin:
    """For the admins of the log: its paginator and change list, and the action checkbox as plain HTML
    (Django renders a form widget's template per row: a quarter of the page's time at 100 rows)."""

    paginator = LogPaginator
    show_full_result_count = False  # one COUNT per page, not a second one over the whole log
    count_pages_ahead: int | None = COUNT_PAGES_AHEAD  # None: always an exact count

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        page = request.GET.get(PAGE_VAR, "1")
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page,
                              page=whole_number(page) or 1, pages_ahead=self.count_pages_ahead)

    def action_checkbox(self, obj):
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           ACTION_CHECKBOX_NAME, obj.pk, label)
