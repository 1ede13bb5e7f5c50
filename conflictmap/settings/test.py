"""Test overlay: fast hashing, no tiles from the internet, a throwaway key."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("MAP_TILES", "none")
# Jobs run inside the request that queues them; the one test of a real worker sets JOBS_SYNC=0.
os.environ.setdefault("JOBS_SYNC", "1")

from .base import *  # noqa: E402,F403
from .base import CACHES as BASE_CACHES  # noqa: E402

# The whole history's files (events.queued_files) of this test process, not the checkout's var/ (the bench
# names its own).
TEST_EXPORTS_DIR = Path(tempfile.gettempdir()) / f"conflictmap-test-exports-{os.getpid()}"  # removed after the run
EXPORTS_DIR = Path(os.environ.get("EXPORTS_DIR") or TEST_EXPORTS_DIR)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAP_TILES = "none"
WHITENOISE_AUTOREFRESH = True
# The test client and the live server speak plain HTTP; the HTTPS settings are tested with base.py.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Tests render pages without a collectstatic step, whatever DEBUG is.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The suite signs in and writes far more often than a person; tests of the limits set their own.
RATE_LIMITS = {"login": "100000/min", "write": "100000/min", "build": "100000/min"}
# Each test starts from an empty cache (tests/conftest.py clears it) and parallel test workers have
# databases of their own: a cache per process, not the shared files make serve uses, unless
# REDIS_URL names one (tests/test_settings_cache.py checks both).
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
              "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}}
else:  # the counters' fallback (Redis down) per process too, not files in the checkout
    CACHES = {**BASE_CACHES, "throttle-fallback": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                   "LOCATION": "throttle-fallback"}}
