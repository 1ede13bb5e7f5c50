"""Production settings pass Django's deployment checks; each HTTPS setting can be changed from the environment."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x7Qp-" * 12, "ALLOWED_HOSTS": "conflictmap.example.org",
              "DJANGO_SETTINGS_MODULE": "conflictmap.settings.base"}
NAMES = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER")


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE would leak into this "production" process.
    leaks = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in NAMES and k not in leaks}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **PRODUCTION, **env},
                          capture_output=True, text=True, timeout=120)


def production_settings(**env: str) -> dict:
    code = ("import conflictmap.settings.base as s; "
            f"print(repr({{n: getattr(s, n, None) for n in {NAMES!r}}}))")
    done = run(["-c", code], **env)
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout)


def test_check_deploy_has_no_warnings():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "security.W" not in done.stdout + done.stderr


def test_https_settings_are_on_by_default_without_debug():
    assert production_settings() == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_behind_a_tls_proxy_the_environment_decides():
    got = production_settings(SECURE_SSL_REDIRECT="0", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
                              SECURE_HSTS_SECONDS="3600")
    assert (got["SECURE_SSL_REDIRECT"], got["SECURE_PROXY_SSL_HEADER"], got["SECURE_HSTS_SECONDS"]) == (
        False, ("HTTP_X_FORWARDED_PROTO", "https"), 3600)
    done = run(["manage.py", "check", "--deploy"], SECURE_SSL_REDIRECT="0")
    assert "security.W008" in done.stdout + done.stderr  # the check notices what was turned off


def test_a_malformed_proxy_header_is_refused():
    done = run(["-c", "import conflictmap.settings.base"], SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert done.returncode != 0 and "SECURE_PROXY_SSL_HEADER must be 'HEADER,value'" in done.stderr


@pytest.mark.django_db
def test_the_test_settings_speak_plain_http(client, settings):
    assert not settings.SECURE_SSL_REDIRECT and not settings.SESSION_COOKIE_SECURE
    assert client.get("/").status_code == 200
