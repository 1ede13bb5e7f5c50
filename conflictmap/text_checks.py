"""NUL characters are refused in every text the project stores.

PostgreSQL cannot store a NUL in text or jsonb (a DataError mid-write); SQLite stores it silently and
every export then carries it. Django's form fields and DRF's serializer fields already refuse NULs,
but the imports, the seed and the loaders build models directly, so the services' pure checks (the
one door of every write) call ``nul_errors`` too. It lives in the project package because geodata
and events both use it and geodata never imports events.
"""

from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models

NUL_MESSAGE = str(ProhibitNullCharactersValidator.message)  # "Null characters are not allowed."


_HOLDERS = (str, dict, list, tuple)  # nothing else in a text or a JSON value can hold a NUL


def nul_where(value) -> str | None:
    """Where a NUL is in a text or a JSON value: "" for the value itself, "[2]" or "['en']" inside it; None if none.

    A JSON value is first written by orjson (a NUL anywhere is escaped as \\u0000 there), and walked only when
    that text holds one; the walk skips numbers and spells a place out only where it finds a NUL: a drawn
    area's GeoJSON holds thousands of coordinates, and naming each one's place cost more than storing it.
    """
    if isinstance(value, dict | list | tuple):
        try:
            if b"\\u0000" not in orjson.dumps(value):
                return None
        except TypeError:  # not plain JSON (a non-text key, a huge integer): the walk decides
            pass
    stack: list[tuple[Any, Any]] = [(None, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return _where_text(where)
        elif isinstance(item, dict):
            stack.extend(((where, True, key), key) for key in item)
            stack.extend(((where, False, key), child) for key, child in item.items() if isinstance(child, _HOLDERS))
        elif isinstance(item, list | tuple):
            stack.extend(((where, False, i), child) for i, child in enumerate(item) if isinstance(child, _HOLDERS))
    return None


def _where_text(where) -> str:
    parts = []
    while where is not None:
        where, is_key, key = where
        parts.append(f" key {key!r}" if is_key else f"[{key!r}]")
    return "".join(reversed(parts))


def nul_errors(obj: models.Model) -> dict[str, list[str]]:
    """{field name: [message]} for each stored field of ``obj`` holding a NUL character (text or JSON)."""
    errors = {}
    for model_field in obj._meta.concrete_fields:
        message = _nul_message(getattr(obj, model_field.attname, None))
        if message:
            errors[model_field.name] = [message]
    return errors


def clean_refusing_nul(obj: models.Model, *steps) -> None:
    """Run ``steps`` (default ``obj.full_clean``) and the NUL check; one ValidationError naming every bad field.

    The default leaves a field holding a NUL out of ``full_clean``: its unique check would send the NUL
    to the database, which PostgreSQL refuses with an error of its own.
    """
    errors = nul_errors(obj)
    for step in steps or (lambda: obj.full_clean(exclude=list(errors)),):
        try:
            step()
        except ValidationError as exc:
            for name, messages in exc.update_error_dict({}).items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


class FieldsCleaner:
    """``clean_refusing_nul(obj, lambda: obj.clean_fields(exclude), *steps)`` for many records of one model.

    A field's rules (its type, choices, length, validators) depend on its value alone, so each
    distinct value of a field is cleaned once, and its cleaned value or its errors reused for every
    record holding it: the same messages, at the cost of a dictionary lookup per field and record
    instead of Django's ``clean_fields``. Relation fields (a foreign key checks that its row exists)
    and unhashable values (JSON lists) are cleaned record by record.
    """

    def __init__(self, model: type[models.Model], *, exclude=()):
        self.concrete = [(f.attname, f.name) for f in model._meta.concrete_fields]
        self.cleaned = [(f, f.attname, {}) for f in model._meta.fields if f.name not in exclude and not f.generated]

    def clean(self, obj: models.Model, *steps) -> None:
        """Check ``obj``'s fields, then run ``steps``; one ValidationError naming every bad field."""
        stored = obj.__dict__  # the field values, without a descriptor call each (a deferred one is loaded)
        errors: dict[str, list] = {}
        for attname, name in self.concrete:
            value = stored[attname] if attname in stored else getattr(obj, attname)
            if value.__class__ is str and "\x00" not in value:
                continue
            if isinstance(value, str | dict | list | tuple):  # nothing else can hold a NUL
                message = _nul_message(value)
                if message:
                    errors[name] = [message]
        problems: dict[str, list] = {}
        for model_field, attname, seen in self.cleaned:
            value = stored[attname] if attname in stored else getattr(obj, attname)
            try:
                cleaned, error_list = seen[value.__class__, value]
            except (KeyError, TypeError) as exc:
                cleaned, error_list = _field_clean(model_field, value, obj)
                if isinstance(exc, KeyError) and not model_field.is_relation:
                    seen[value.__class__, value] = cleaned, error_list
            if error_list:
                problems[model_field.name] = list(error_list)  # later steps extend it; the cache keeps its own
            elif cleaned is not _BLANK and (cleaned.__class__ is not value.__class__ or cleaned != value):
                setattr(obj, attname, cleaned)
        for step in steps:
            try:
                step()
            except ValidationError as exc:
                problems = exc.update_error_dict(problems)
        for name, messages in problems.items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)


def _nul_message(value) -> str | None:
    where = nul_where(value)
    if where is None:
        return None
    return NUL_MESSAGE if not where else f"{NUL_MESSAGE[:-1]} (at {where.strip()})."


_BLANK = object()  # a blank field's empty value, which clean_fields leaves alone


def _field_clean(model_field: models.Field, value, obj: models.Model) -> tuple[object, list | None]:
    """(the cleaned value, or _BLANK; its errors) as ``Model.clean_fields`` finds them for one field."""
    if model_field.blank and value in model_field.empty_values:
        return _BLANK, None
    try:
        return model_field.clean(value, obj), None
    except ValidationError as exc:
        return None, exc.error_list
