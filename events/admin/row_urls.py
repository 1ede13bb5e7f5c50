"""URLs for every row of a change list, each reversed once rather than once per row (a URL lookup
costs about as much as the rest of a row's cell)."""

from functools import lru_cache

from django.conf import settings
from django.contrib.admin.utils import quote
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=64)
def _reversed(name: str, with_key: bool, root_urlconf: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, args=("0",) if with_key else (), urlconf=urlconf)


def url(name: str) -> str:
    """``reverse(name)`` for a URL without arguments."""
    return _reversed(name, False, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())


def url_with_key(name: str, pk) -> str:
    """``reverse(name, args=(quote(pk),))`` for a URL whose one argument is an object's key."""
    pattern = _reversed(name, True, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    head, _zero, tail = pattern.rpartition("/0/")
    return f"{head}/{quote(pk)}/{tail}"
