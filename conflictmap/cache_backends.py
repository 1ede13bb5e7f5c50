"""Cache backends: Redis whose outage is a cache miss, and files whose counters every worker shares.

``ResilientRedisCache`` is Django's RedisCache, except that Redis not answering (refused, reset,
timed out) never reaches a view: a read finds nothing, a write is dropped, ``add`` says "stored"
(so a worker builds what it came for instead of waiting on another's mark), and ``incr`` says "no
such key". Pages, layers, tokens and writes then come from the database as on a cold cache. The
outage is logged once per process when it starts and once when Redis answers again; meanwhile
Redis is asked again only every RETRY_SECONDS, so a Redis that hangs costs one socket timeout
every few seconds, not one per lookup.

``CounterFileCache`` is the shared file cache with ``add`` and ``incr`` made atomic across
processes (a lock file): the rate limits' counters (conflictmap.throttles) without Redis, where
Django's FileBasedCache would read, add and write back, and two workers would lose each other's
counts.
"""

import logging
import os
import pickle
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.core.files import locks
from redis.exceptions import RedisError

from .file_cache import SharedFileCache

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0

# Per process, per Redis LOCATION: since when it is down (None: up) and when to ask it again.
_outages: dict[str, list[float]] = {}
_outages_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)

    # --- the outage's state ------------------------------------------------------------------------

    def is_available(self) -> bool:
        """False while an outage is known and its retry time has not come."""
        with _outages_lock:
            outage = _outages.get(self._location)
            return outage is None or time.monotonic() >= outage[1]

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with _outages_lock:
            first = self._location not in _outages
            _outages[self._location] = [_outages.get(self._location, [now])[0], now + RETRY_SECONDS]
        if first:
            logger.warning(
                "Redis cache unavailable (%s: %s); serving from the database until it answers", type(exc).__name__, exc
            )

    def _answered(self) -> None:
        if self._location not in _outages:  # the usual case: no lock taken
            return
        with _outages_lock:
            outage = _outages.pop(self._location, None)
        if outage is not None:
            logger.warning("Redis cache answering again after %.0f s", time.monotonic() - outage[0])

    def _call(self, method, args, kwargs, miss):
        if not self.is_available():
            return miss()
        try:
            result = method(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc)
            return miss()
        self._answered()
        return result

    # --- every operation, with what a miss answers ---------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call(super().get, (key, default, version), {}, lambda: default)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, (keys,), {"version": version}, dict)

    def has_key(self, key, version=None):
        return self._call(super().has_key, (key,), {"version": version}, lambda: False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, (key, value, timeout, version), {}, lambda: True)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, (key, value, timeout, version), {}, lambda: None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, (data, timeout, version), {}, lambda: list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, (key, timeout, version), {}, lambda: False)

    def delete(self, key, version=None):
        return self._call(super().delete, (key,), {"version": version}, lambda: False)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, (keys,), {"version": version}, lambda: None)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (the Redis cache is unavailable)")

        return self._call(super().incr, (key, delta, version), {}, missing)

    def clear(self):
        return self._call(super().clear, (), {}, lambda: False)


class CounterFileCache(SharedFileCache):
    """The shared file cache, with ``add`` and ``incr`` atomic across processes."""

    @contextmanager
    def _exclusive(self):
        self._createdir()
        with open(Path(self._dir) / ".counters.lock", "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        """The stored number plus ``delta``, keeping the key's expiry (Django's would reset it)."""
        fname = self._key_to_file(key, version)
        with self._exclusive():
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)
                    value = pickle.load(f)
            except FileNotFoundError:
                value = None
            if value is None or (expiry is not None and expiry < time.time()):
                raise ValueError(f"Key '{key}' not found")
            value += delta
            fd, tmp = tempfile.mkstemp(dir=self._dir)
            try:
                with open(fd, "wb") as f:
                    f.write(pickle.dumps(expiry, self.pickle_protocol))
                    f.write(pickle.dumps(value, self.pickle_protocol))
                os.replace(tmp, fname)
            except BaseException:
                if os.path.exists(tmp):
                    os.remove(tmp)
                raise
            return value

    def _cull(self):
        """Past MAX_ENTRIES, expired counters go first; Django's random third only if that is not enough."""
        files = self._list_cache_files()
        if len(files) < self._max_entries:
            return
        for fname in files:
            try:
                with open(fname, "rb") as f:
                    self._is_expired(f)  # deletes the file when expired
            except (FileNotFoundError, EOFError, pickle.UnpicklingError):
                pass
        super()._cull()
