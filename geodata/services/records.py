"""What the checks of every kind of place share: field rules per record, uniqueness for a whole batch."""

from collections.abc import Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

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
    """``full_clean`` of each record, then its unique fields against the table and the batch, a query per field.

    Django's own unique check and ``Meta.constraints`` check make a query per record and rule; the
    constraints of these models repeat their field validators (and the database enforces them).
    """
    errors: RecordErrors = {}
    for i, obj in enumerate(objs):
        try:
            obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors_add(errors, i, exc)
    if not objs:
        return errors
    model = type(objs[0])
    unique = [f for f in model._meta.concrete_fields if f.unique and not f.primary_key and f.name not in exclude]
    batch_pks = {obj.pk for obj in objs if obj.pk is not None}
    owner: dict[tuple[str, object], object] = {}  # (field, value) -> "stored", or the batch record holding it
    for field in unique:
        values = list({getattr(obj, field.attname) for obj in objs} - {None})
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
                errors_add(errors, i, obj.unique_error_message(model, (field.name,)))
    return errors
