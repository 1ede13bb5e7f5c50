"""The cache every worker shares without REDIS_URL: Django's FileBasedCache, minus its zlib.

What the app keeps big is compressed already (a layer is a Zstandard blob, events.exports), and
zlib gains nothing on it but time: at 10,000 towns a 1.6 MB control-areas layer took 66 ms to
write and ~20 ms to read back through zlib, on every warm request. Files are written as Django
writes them (an expiry, then the pickled value), only not deflated.
"""

import pickle

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


class SharedFileCache(FileBasedCache):
    cache_suffix = ".cache"  # not Django's .djcache: another layout, so never read as one

    def get(self, key, default=None, version=None):
        try:
            with open(self._key_to_file(key, version), "rb") as f:
                if not self._is_expired(f):
                    return pickle.load(f)
        except FileNotFoundError:
            pass
        return default

    def _write_content(self, file, timeout, value):
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            with open(self._key_to_file(key, version), "r+b") as f:
                try:
                    locks.lock(f, locks.LOCK_EX)
                    if self._is_expired(f):
                        return False
                    value = pickle.load(f)
                    f.seek(0)
                    self._write_content(f, timeout, value)
                    f.truncate()
                    return True
                finally:
                    locks.unlock(f)
        except FileNotFoundError:
            return False
