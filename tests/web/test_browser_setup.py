"""A missing browser is found and named (tests/test_skips.py: it skips on a developer's machine, fails in CI)."""

from tests.web import conftest


def test_missing_chromium_is_detected(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    assert "is not installed" in conftest._missing_browser_reason()
