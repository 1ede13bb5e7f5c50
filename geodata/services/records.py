"""What the checks of every kind of place share: field rules per record, uniqueness for a whole batch."""

from collections.abc import Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conflictmap.text_checks import clean_refusing_nul, nul_where

from .revision import revision_bumping

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


@revision_bumping(batch="objs")
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
