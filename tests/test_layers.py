"""The layering rules of ARCHITECTURE.md hold: geodata imports nothing from events, and nothing outside
the services writes the project's models."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layers():
    spec = importlib.util.spec_from_file_location("layers", ROOT / "scripts" / "layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_rules_hold(capsys):
    assert layers().main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_a_write_outside_services_and_an_import_of_events_are_found(tmp_path):
    module = layers()
    view = tmp_path / "view.py"
    view.write_text(
        "from events.models import Faction\n\ndef f(x):\n    Faction.objects.create(name=x)\n    x.save()\n"
    )
    assert module.imports(view) == {"events"}
    module.ROOT = tmp_path
    assert module.writes(view) == [(4, "Faction.objects.create"), (5, "x.save")]
    (tmp_path / "services").mkdir()
    service = tmp_path / "services" / "write.py"
    service.write_text(view.read_text())
    assert module.writes(service) == []
