"""Request bodies the API accepts: JSON no deeper than MAX_JSON_DEPTH, and no NUL characters in any
body (JSON, form or multipart), refused with a 400 before anything reaches the database."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from conflictmap.text_checks import NUL_MESSAGE, nul_where

# Deep enough for any control change or token request; a deeper body is an attack or a mistake.
MAX_JSON_DEPTH = 20


def json_too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def refuse_nul(data: dict) -> None:
    """A 400 naming the field whose value holds a NUL character (PostgreSQL cannot store or compare one)."""
    items = data.lists() if hasattr(data, "lists") else data.items() if isinstance(data, dict) else [("", data)]
    for name, value in items:
        where = nul_where([name, value])
        if where is not None:
            raise ParseError(f"{name or 'body'}: {NUL_MESSAGE} (\\u0000)")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.") from None
        if json_too_deep(data):
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
        refuse_nul(data)
        return data


class NulRefusingFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_nul(data)
        return data


class NulRefusingMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_nul(result.data)
        return result
