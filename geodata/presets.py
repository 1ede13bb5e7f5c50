"""The usual sources of boundaries and towns, read once from ``presets.json`` (data, not country constants).

Each preset gives the field names a source's files use and the credit line and licence its data must be
shown with; a loader run with ``--preset`` into a theatre whose credit is blank fills it from here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRESETS_FILE = Path(__file__).with_name("presets.json")
SPEC_KEYS = ("name", "code", "name_ar", "parent", "finer")
CREDIT_FIELDS = ("title", "credit", "licence", "licence_url", "source_url")


class PresetsFileError(ValueError):
    """presets.json is malformed; the message names the preset and the field."""


@dataclass(frozen=True)
class Preset:
    """A source: its name, what it is, its credit line (``{theatre}`` is the theatre's name) and licence."""

    kind: str  # "boundaries" or "towns"
    name: str
    title: str
    credit: str
    licence: str
    licence_url: str
    source_url: str
    levels: dict[int, dict[str, list[str]]]  # boundaries: the FieldSpec lists per admin level
    fields: dict[str, Any]  # towns: TownFields' values (lists, or text for id_scheme)
    format: str | None = None  # towns: the file format the source ships in, when it is one

    def credit_for(self, *, theatre_name: str) -> str:
        return self.credit.replace("{theatre}", theatre_name)


def _preset(kind: str, name: str, raw: dict) -> Preset:
    where = f"{PRESETS_FILE.name}: {kind} preset '{name}'"
    for key in CREDIT_FIELDS:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PresetsFileError(f"{where}: '{key}' must be text")
    levels: dict[int, dict[str, list[str]]] = {}
    if kind == "boundaries":
        for level, spec in raw.get("levels", {}).items():
            if level not in {"1", "2"} or sorted(spec) != sorted(SPEC_KEYS):
                raise PresetsFileError(f"{where}: level {level} must be 1 or 2 and give {', '.join(SPEC_KEYS)}")
            levels[int(level)] = {key: list(spec[key]) for key in SPEC_KEYS}
        if not levels:
            raise PresetsFileError(f"{where}: no levels")
    fields = {k: (v if isinstance(v, str) else tuple(v)) for k, v in raw.get("fields", {}).items()}
    return Preset(
        kind=kind, name=name, **{key: raw[key] for key in CREDIT_FIELDS}, levels=levels, fields=fields,
        format=raw.get("format"),
    )


@functools.cache
def _presets() -> dict[str, Any]:
    raw = json.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    return {
        kind: {name: _preset(kind, name, body) for name, body in raw[kind].items()} for kind in ("boundaries", "towns")
    } | {"iso3_to_iso2": dict(raw["iso3_to_iso2"]["codes"])}


def boundary_presets() -> dict[str, Preset]:
    return _presets()["boundaries"]


def town_presets() -> dict[str, Preset]:
    return _presets()["towns"]


def iso3_to_iso2() -> dict[str, str]:
    return _presets()["iso3_to_iso2"]
