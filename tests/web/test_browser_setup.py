"""A missing browser skips the browser tests on a developer's machine but fails them in CI."""

import pytest

from tests.web import conftest

MISSING = "/usr/bin/chromium is not installed"


def _outcome(reason: str) -> tuple[type, str]:
    """What skip_or_fail raised; caught here so a skip cannot pass for the test itself skipping."""
    try:
        conftest.skip_or_fail(reason)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        return type(exc), str(exc)
    raise AssertionError("skip_or_fail returned")


def test_missing_browser_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert _outcome(MISSING) == (pytest.skip.Exception, MISSING)


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on", " True "])
def test_missing_browser_fails_under_ci(monkeypatch, value):
    # The same truthiness as conflictmap.settings.base.env_bool: CI=1 must not skip its way to green.
    monkeypatch.setenv("CI", value)
    kind, message = _outcome(MISSING)
    assert kind is pytest.fail.Exception
    assert "the browser tests cannot run" in message and MISSING in message


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_ci_switched_off_still_skips(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert _outcome(MISSING)[0] is pytest.skip.Exception


def test_missing_chromium_is_detected(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    assert "is not installed" in conftest._missing_browser_reason()
