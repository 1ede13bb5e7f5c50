"""Form fields for JSON lists of names and JSON maps of ids, edited as plain lines of text.

Editors type one name per line (alternate names, aliases) or one ``key: value`` per line (external
ids) instead of JSON. Text that is already a JSON list or object, as scripts and older forms post
it, is read as JSON, so both work. The model's validators still run on the value (e.g. a NUL is
refused with its position).
"""

import json

from django import forms
from django.core.exceptions import ValidationError


def _json_of(text: str, kind: type):
    """``text`` read as JSON when it is a JSON value of ``kind``, else None."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class NameListField(forms.Field):
    """A JSON list of names, one per line; blank lines and exact repeats are left out."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})
    default_help = "One name per line."
    container = list  # what the JSON field stores
    keeps_model_help = True  # the model's help gives examples of names, still true here

    def __init__(self, *, encoder=None, decoder=None, **kwargs):  # a JSONField passes these; unused
        model_help = str(kwargs.get("help_text") or "") if self.keeps_model_help else ""
        kwargs["help_text"] = " ".join(t for t in (self.default_help, model_help) if t)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):  # what was posted, shown again with the form's errors
            return value
        return "\n".join(str(name) for name in value or [])

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = value or ""
        as_json = _json_of(text, list)
        if as_json is not None:
            return as_json
        return list(dict.fromkeys(_lines(text)))

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return self.to_python(data) != self.container(initial or self.container())
        except ValidationError:
            return True


class KeyValueField(NameListField):
    """A JSON object of ids, one ``key: value`` per line (``wikidata: Q207081``)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
    default_help = "One id per line, as “key: value” (e.g. “wikidata: Q207081”)."
    container = dict
    keeps_model_help = False  # the model's help shows the stored JSON, not what is typed here

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        # In key order: PostgreSQL's jsonb keeps its own order, so the form reads the same on either database.
        return "\n".join(f"{key}: {item}" for key, item in sorted((value or {}).items()))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        text = value or ""
        as_json = _json_of(text, dict)
        if as_json is not None:
            return as_json
        ids: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, colon, item = line.partition(":")
            key, item = key.strip(), item.strip()
            if not colon or not key or not item:
                raise ValidationError(f"Line {number} (“{line.strip()}”) is not “key: value”.", code="invalid")
            if key in ids:
                raise ValidationError(f"Line {number}: “{key}” is given twice.", code="invalid")
            ids[key] = item
        return ids
