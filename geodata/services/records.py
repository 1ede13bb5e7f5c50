"""What the bulk writes of every kind of record share: field rules per record, uniqueness for a whole
batch, and inserts of many rows with their history rows at a fixed cost per row."""

from collections.abc import Iterable, Iterator, Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history, get_history_model_for_model

from conflictmap.text_checks import clean_refusing_nul, nul_where

from .revision import revision_bumping, theatres_written

# {index of the record in the batch: {field name or NON_FIELD_ERRORS: [messages]}}
RecordErrors = dict[int, dict[str, list[str]]]


class RecordsInvalid(ValidationError):
    """Every problem of a batch, by the record's position in it; nothing has been written."""

    def __init__(self, errors: RecordErrors, labels: Sequence[str]):
        self.errors = errors
        super().__init__(self.describe(labels))

    def describe(self, labels: Sequence[str]) -> list[str]:
        """One line per record and field: "<label>, <field>: <messages>"."""
        return [
            f"{labels[i]}{'' if name == NON_FIELD_ERRORS else f', {name}'}: {' '.join(messages)}"
            for i, fields in sorted(self.errors.items()) for name, messages in fields.items()
        ]


def errors_add(errors: RecordErrors, index: int, exc: ValidationError) -> None:
    for name, messages in exc.update_error_dict({}).items():
        errors.setdefault(index, {}).setdefault(name, []).extend(
            m for e in messages for m in (e.messages if isinstance(e, ValidationError) else [str(e)])
        )


def records_clean(objs: Sequence[models.Model], *, exclude: Sequence[str] = ()) -> RecordErrors:
    """``full_clean`` of each record; its foreign keys and unique fields checked for the whole batch at once.

    Django's own foreign-key, unique and ``Meta.constraints`` checks make a query per record and rule;
    here each foreign key and unique field costs a query for the batch. The constraints of these models
    repeat their field validators and ``clean`` (and the database enforces them), so they are not re-run.
    """
    errors: RecordErrors = {}
    if not objs:
        return errors
    model = type(objs[0])
    # Django checks that a foreign key's row exists with a query per record: done once per field below.
    keys = [f for f in model._meta.concrete_fields if f.many_to_one and f.name not in exclude]
    skipped = [*exclude, *(f.name for f in keys)]
    for i, obj in enumerate(objs):
        try:
            clean_refusing_nul(obj, lambda obj=obj: obj.full_clean(
                exclude=skipped, validate_unique=False, validate_constraints=False))  # queries none
        except ValidationError as exc:
            errors_add(errors, i, exc)
    for field in keys:
        ids = {getattr(obj, field.attname) for obj in objs} - {None}
        found = set(field.related_model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
        for i, obj in enumerate(objs):
            value = getattr(obj, field.attname)
            if value is None and not field.blank:
                errors_add(errors, i, ValidationError({field.name: field.error_messages["null"]}))
            elif value is not None and value not in found:
                message = field.error_messages["invalid"] % {
                    "model": field.related_model._meta.verbose_name, "pk": value, "field": "id", "value": value,
                }
                errors_add(errors, i, ValidationError({field.name: message}))
    unique = [f for f in model._meta.concrete_fields if f.unique and not f.primary_key and f.name not in exclude]
    batch_pks = {obj.pk for obj in objs if obj.pk is not None}
    owner: dict[tuple[str, object], object] = {}  # (field, value) -> "stored", or the batch record holding it
    for field in unique:
        values = list({getattr(obj, field.attname) for obj in objs} - {None})
        values = [v for v in values if nul_where(v) is None]  # refused above; PostgreSQL cannot even compare them
        for start in range(0, len(values), 900):  # under SQLite's bound-parameter limit
            chunk = model._default_manager.filter(**{f"{field.attname}__in": values[start:start + 900]})
            for pk, value in chunk.values_list("pk", field.attname):
                if pk not in batch_pks:  # the batch's own stored rows may change their values
                    owner[field.name, value] = "stored"
    for i, obj in enumerate(objs):
        me = obj.pk if obj.pk is not None else f"new {i}"
        for field in unique:
            value = getattr(obj, field.attname)
            if value is None or field.name in errors.get(i, {}):
                continue
            if owner.setdefault((field.name, value), me) != me:
                errors_add(errors, i, ValidationError({field.name: obj.unique_error_message(model, (field.name,))}))
    return errors


@revision_bumping(batch="objs", theatres=theatres_written("objs", many=True))
@transaction.atomic
def records_write(objs: Sequence[models.Model], *, model: type[models.Model]) -> None:
    """Insert the new records and update the stored ones in bulk, each with its history row (checked already)."""
    now = timezone.now()
    for obj in objs:
        obj.updated_at = now  # bulk_update leaves auto_now alone
    new = [obj for obj in objs if obj.pk is None]
    stored = [obj for obj in objs if obj.pk is not None]
    if new:
        created = bulk_create_with_history(new, model, batch_size=500)
        for obj, saved in zip(new, created, strict=True):
            obj.pk = saved.pk  # the databases that return no ids get them back from simple-history
    if stored:
        fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        bulk_update_with_history(stored, model, fields, batch_size=500)


# Rows per INSERT ... VALUES where the database sets no limit on parameters, and per INSERT ... UNNEST.
ROWS_PER_INSERT = 1000
ROWS_PER_UNNEST = 5000


# Fields whose database value is the Python value itself for these types (no conversion to look up).
_AS_IS = {
    **dict.fromkeys(["AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                     "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                     "PositiveSmallIntegerField"], (int, type(None))),
    **dict.fromkeys(["CharField", "TextField", "SlugField", "URLField", "EmailField"], (str, type(None))),
}


def _db_rows(fields: Sequence[models.Field], rows: Iterable[Sequence]) -> Iterator[list]:
    """Each row's values as the database takes them (``get_db_prep_save``), each distinct value converted once.

    A column of many rows holds few distinct values (a date, a state), and the conversion (a
    datetime to UTC text on SQLite) costs more than looking its result up; ids and texts are sent
    as they are.
    """
    columns = []
    for model_field in fields:
        kind = (model_field.target_field if model_field.is_relation else model_field).get_internal_type()
        columns.append((model_field.get_db_prep_save, {}, _AS_IS.get(kind, ())))
    for row in rows:
        out = []
        for value, (convert, seen, as_is) in zip(row, columns, strict=True):
            if value.__class__ in as_is:
                out.append(value)
                continue
            try:
                out.append(seen[value.__class__, value])
            except KeyError:
                seen[value.__class__, value] = converted = convert(value, connection)
                out.append(converted)
            except TypeError:  # an unhashable value (a JSON list): converted each time
                out.append(convert(value, connection))
        yield out


def _rows_insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence], *, returning: bool = False
) -> list:
    """Insert ``rows`` (Python values in the order of ``columns``, field attnames) into ``model``'s table;
    the new primary keys in the rows' order when ``returning``. Database errors are Django's."""
    fields = [model._meta.get_field(name) for name in columns]
    if [f.attname for f in fields] != list(columns):
        raise ImproperlyConfigured(f"_rows_insert takes attnames, not {columns}")
    return _insert(model, fields, _db_rows(fields, rows), returning)


def _insert(model: type[models.Model], fields: Sequence[models.Field], db_rows: Iterable[list], returning: bool):
    ops = connection.ops
    head = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} "
            f"({', '.join(ops.quote_name(f.column) for f in fields)}) ")
    tail = ops.return_insert_columns([model._meta.pk])[0] if returning else ""
    statement, per_statement, send = _statement(fields, head, tail)
    pks: list = []
    batch: list = []

    def flush(cursor) -> None:
        answered = send(cursor, statement(len(batch)), batch)
        if returning:
            pks.extend(row[0] for row in answered.fetchall())
        batch.clear()

    connection.validate_no_broken_transaction()
    with connection.cursor() as wrapper, connection.wrap_database_errors:
        for row in db_rows:
            batch.append(row)
            if len(batch) == per_statement:
                flush(wrapper.cursor)
        if batch:
            flush(wrapper.cursor)
    return pks


def _statement(fields: Sequence[models.Field], head: str, tail: str):
    """(the statement for n rows, rows per statement, send(cursor, statement, rows) -> the cursor answering)."""
    if connection.vendor == "postgresql" and all(
        (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types for f in fields
    ):
        # One array per column, as Django's bulk_create does on PostgreSQL: a short statement that psycopg
        # parses once, where VALUES would have a placeholder (parsed again each time) per value. The arrays go
        # in binary (%b) on a cursor binding them on the server: Django's cursor would quote every text.
        columns = ", ".join(f"(%b)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        unnest = f"{head}SELECT * FROM UNNEST({columns}) {tail}"

        def send_arrays(cursor, sql: str, batch: list):
            bound = connection.Database.Cursor(cursor.connection)  # psycopg's own
            return bound.execute(sql, [list(column) for column in zip(*batch, strict=True)])

        return (lambda n: unnest), ROWS_PER_UNNEST, send_arrays
    if connection.vendor == "sqlite":
        # Django's SQLite cursor rewrites every statement's %s to ? with a regular expression, a tenth of
        # a large import's time: these statements are written with ? and go to sqlite3's own execute.
        mark, execute = "?", connection.Database.Cursor.execute
    else:
        mark, execute = "%s", lambda cursor, sql, params: cursor.execute(sql, params)
    limit = connection.features.max_query_params
    per_statement = max(1, min(ROWS_PER_INSERT, limit // len(fields))) if limit else ROWS_PER_INSERT
    placeholders = [mark] * len(fields)
    statements: dict[int, str] = {}

    def values(n: int) -> str:
        if n not in statements:
            statements[n] = f"{head}{connection.ops.bulk_insert_sql(fields, [placeholders] * n)} {tail}"
        return statements[n]

    def send_values(cursor, sql: str, batch: list):
        execute(cursor, sql, [value for row in batch for value in row])
        return cursor

    return values, per_statement, send_values


def records_insert(
    objs: Sequence[models.Model], *, model: type[models.Model], user=None, reason: str = "",
    links: tuple[str, Sequence[Sequence[int]]] | None = None,
) -> list[int]:
    """Insert new records, their simple-history creation rows and, with ``links`` (a many-to-many
    field's name and each record's related ids), their link rows and the links' history rows.

    Sets each record's primary key; returns its history row's id. ``auto_now`` and ``auto_now_add``
    fields get one timestamp for the batch, which is also the history rows' date. A record's own
    ``_history_user`` and ``_change_reason`` win over ``user`` and ``reason``, as in simple-history;
    without either, its default user (the request's) is recorded. The link history rows are those
    simple-history's ``m2m_changed`` handler writes for ``set()``, one per link on the creation record
    (simple-history 3.13 has no bulk path for them, django-commons/django-simple-history#1458).

    The one fast path of the bulk writes: rows as the database takes them, one INSERT per batch on the
    driver's cursor (SQLite's ``?`` statements on sqlite3's execute; PostgreSQL's UNNEST of binary
    arrays on psycopg's cursor), the history rows as ``bulk_history_create`` builds them. It stays
    because the library path misses the import's target (100,000 rows <= 60 s). Measured with
    ``python -m bench.worker import --rows 100000`` (check + write, rolled back), on a loaded 2-core
    machine: the library path being Django's ``bulk_create`` of the records, simple-history's
    ``bulk_history_create`` and ``bulk_create`` of the links and their history rows:
      SQLite, 10,000 towns x 1,000,000 changes: library 76.6 s (write 60.4 s) vs this 50.1 s (write 28.4 s);
      PostgreSQL 15, 2,000 towns x 20,000 changes: library 120.3 s (write 93.8 s) vs this 54.7 s (write 30.7 s).
    Django's SQLite backend sends at most 999 parameters per INSERT (about 50 changes) and converts
    each value through the ORM; a history row costs a model instance. psycopg's COPY was not used:
    it returns no ids, and the records, their history rows and the links all need theirs.
    """
    if not objs:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    attnames = [f.attname for f in fields]
    db_rows = list(_db_rows(fields, ([getattr(obj, name) for name in attnames] for obj in objs)))
    pks = _insert(model, fields, db_rows, returning=True)
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias

    # The history row repeats the record's values (its fields are copies of the record's), then says who and why.
    history = get_history_model_for_model(model)
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    tracked = [f.attname for f in history.tracked_fields]
    unknown = {f.attname for f in history._meta.concrete_fields} - {*tracked, *extra, history._meta.pk.attname}
    if unknown:
        raise ImproperlyConfigured(f"records_insert does not know what to write in {sorted(unknown)}")
    at = {name: i for i, name in enumerate(attnames)}
    copied = [at.get(name) for name in tracked]  # None: the primary key
    default_user = user if user is not None else history.get_default_history_user(model())
    history_fields = [history._meta.get_field(name) for name in [*tracked, *extra]]
    when = history_fields[len(tracked)].get_db_prep_save(now, connection)

    def history_row(obj, db_row: list) -> list:
        who = getattr(obj, "_history_user", default_user)
        why = getattr(obj, "_change_reason", None) or reason
        return [*(obj.pk if i is None else db_row[i] for i in copied), when, why, "+",
                who.pk if who is not None else None]

    records = _insert(history, history_fields, map(history_row, objs, db_rows), returning=True)
    if links is not None:
        _links_insert(objs, records, model=model, history=history, links=links)
    return records


def _links_insert(objs, records: list[int], *, model, history, links: tuple[str, Sequence[Sequence[int]]]) -> None:
    """The records' many-to-many rows, and a history row per link on the record's creation row."""
    name, related = links
    field = model._meta.get_field(name)
    through = field.remote_field.through
    mine, theirs = (through._meta.get_field(n).attname
                    for n in (field.m2m_field_name(), field.m2m_reverse_field_name()))
    cited = [(obj.pk, other, record)
             for obj, record, others in zip(objs, records, related, strict=True) for other in others]
    if not cited:
        return
    ids = _rows_insert(through, [mine, theirs], [(o, t) for o, t, _ in cited], returning=True)
    _rows_insert(getattr(history, name).model, ["id", mine, theirs, "history_id"],
                 [(link, o, t, record) for link, (o, t, record) in zip(ids, cited, strict=True)])
