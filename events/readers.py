"""Who reads: an editor sees the published record at once; anyone else sees a published change only
once its publication delay has passed (``events.delay_models``).

The middleware reads the user once and runs the view, and a streamed answer's every batch, inside
``selectors.as_reader`` with the request's moment pinned, so the rule and every cache key and ETag
(``selectors.data_version``) agree on the moment; a reading request's small repeated reads are made once
(``selectors.request_memo``). An editor's answers are ``private``: a shared cache
must never hand what an editor sees to the public.
"""

from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.cache import patch_cache_control

from . import selectors
from .permissions import is_editor
from .selectors.request_memo import request_memo

# Requests that write nothing: what they read once (``request_memo``) cannot go stale while they run.
READING_METHODS = {"GET", "HEAD"}


def _within(editor: bool, now, chunks: Iterable, memo: dict | None = None) -> Iterator:
    batches = iter(chunks)
    while True:
        with selectors.as_reader(editor=editor, now=now), request_memo(memo):
            try:
                batch = next(batches)
            except StopIteration:
                return
        yield batch


class ReaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        editor = user is not None and is_editor(user)
        now = timezone.now()
        memo = {} if request.method in READING_METHODS else None
        with selectors.as_reader(editor=editor, now=now), request_memo(memo):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _within(editor, now, response.streaming_content, memo)
        if editor:
            patch_cache_control(response, private=True)
        return response
