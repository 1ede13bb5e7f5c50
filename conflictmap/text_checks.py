"""NUL characters are refused in every text the project stores.

PostgreSQL cannot store a NUL in text or jsonb (a DataError mid-write); SQLite stores it silently and
every export then carries it. Django's form fields and DRF's serializer fields already refuse NULs,
but the imports, the seed and the loaders build models directly, so the services' pure checks (the
one door of every write) call ``nul_errors`` too. It lives in the project package because geodata
and events both use it and geodata never imports events.
"""

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models

NUL_MESSAGE = str(ProhibitNullCharactersValidator.message)  # "Null characters are not allowed."


def nul_where(value) -> str | None:
    """Where a NUL is in a text or a JSON value: "" for the value itself, "[2]" or "['en']" inside it; None if none."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            stack.extend((f"{path} key {key!r}", key) for key in item)
            stack.extend((f"{path}[{key!r}]", child) for key, child in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def nul_errors(obj: models.Model) -> dict[str, list[str]]:
    """{field name: [message]} for each stored field of ``obj`` holding a NUL character (text or JSON)."""
    errors = {}
    for model_field in obj._meta.concrete_fields:
        where = nul_where(getattr(obj, model_field.attname, None))
        if where is not None:
            errors[model_field.name] = [NUL_MESSAGE if not where else f"{NUL_MESSAGE[:-1]} (at {where.strip()})."]
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
