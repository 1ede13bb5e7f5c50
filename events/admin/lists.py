"""What the control log's change lists need to stay quick at a million rows: a count the page can
afford, and rows rendered without a template or a URL lookup per row."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from . import row_urls

# Below this many rows an exact COUNT is cheap; above it, PostgreSQL's COUNT reads the whole table.
ESTIMATE_FROM_ROWS = 100_000


class LogPaginator(Paginator):
    """Exact counts, except for the whole unfiltered log on PostgreSQL: there the planner's row estimate
    (``pg_class.reltuples``, kept by autovacuum's ANALYZE) instead of a COUNT over every row. Any filter
    or search gives an exact count. ``estimated`` says which, for the page to write "about"."""

    estimated = False

    @cached_property
    def count(self) -> int:
        estimate = self._table_estimate()
        if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
            self.estimated = True
            return estimate
        return super().count

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
    def url_for_result(self, result):
        return row_urls.url_with_key(f"{self.model_admin.admin_site.name}:{self.opts.app_label}_"
                                     f"{self.opts.model_name}_change", getattr(result, self.pk_attname))


class LogListMixin:
    """For the admins of the log: its paginator and change list, and the action checkbox as plain HTML
    (Django renders a form widget's template per row: a quarter of the page's time at 100 rows)."""

    paginator = LogPaginator
    show_full_result_count = False  # one COUNT per page, not a second one over the whole log

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def action_checkbox(self, obj):
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           ACTION_CHECKBOX_NAME, obj.pk, label)
