"""A missing browser skips the browser tests on a developer's machine but fails them in CI."""

import pytest

from tests.web import conftest


def test_missing_browser_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        conftest.skip_or_fail("/usr/bin/chromium is not installed")


def test_missing_browser_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        conftest.skip_or_fail("/usr/bin/chromium is not installed")


def test_missing_chromium_is_detected(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    assert "is not installed" in conftest._missing_browser_reason()
