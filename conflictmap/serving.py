"""gunicorn's threaded worker, but a thread is given a connection only once its request headers are in.

gunicorn's gthread worker hands a new connection to a thread, which then blocks reading the request
line and headers for as long as the client takes: six clients that send half a request hold six
threads (and the sync worker, a whole process each). Here the worker's event loop reads the headers
itself, without blocking, and a thread runs only a request whose headers have arrived. A client that
has not finished its headers after HEADER_TIMEOUT seconds is disconnected, as nginx's
client_header_timeout does. A slow request *body* still holds a thread while the app reads it: the
proxy in front must buffer requests (nginx does by default; README, "Production").
"""

import errno
import math
import os
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

# A blank line ended by a bare LF ends the headers too, as far as waiting goes: gunicorn's parser then answers
# 400 at once (it refuses bare LF), where waiting for CRLF CRLF held the client in silence until the timeout.
HEADER_ENDS = (b"\n\n", b"\n\r\n")


def _header_timeout() -> float:
    """GUNICORN_HEADER_TIMEOUT, seconds: a positive finite number ('nan' would never disconnect anyone)."""
    text = os.environ.get("GUNICORN_HEADER_TIMEOUT") or "20"
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"GUNICORN_HEADER_TIMEOUT: '{text}' is not a number of seconds above 0 (default 20).")
    return seconds


HEADER_TIMEOUT = _header_timeout()
# Past this many bytes without the end of the headers, gunicorn's parser reads on and refuses them.
HEADER_LIMIT = 64 * 1024


def _ended(held: bytes) -> bool:
    return any(end in held for end in HEADER_ENDS)  # b"\r\n\r\n" holds b"\n\r\n"


class HeaderBufferingThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading_headers: dict = {}  # conn -> the monotonic time by which its headers must be in
        # TLS and HTTP/2 read their first bytes in gunicorn's own code: those connections go as gthread sends them.
        self.buffer_headers = not self.cfg.is_ssl and getattr(self.cfg, "http2_cleartext", None) not in {
            "prior-knowledge",
            "both",
        }

    @staticmethod
    def _held(conn) -> bytes:
        """The bytes of the next request already read: ours, then any read-ahead left in gunicorn's parser."""
        unreader = getattr(conn.parser, "unreader", None)
        ahead = unreader.buf.getvalue() if unreader is not None else b""
        return ahead + getattr(conn, "header_bytes", b"")

    def enqueue_req(self, conn):
        held = self._held(conn)
        if not self.buffer_headers or conn.is_http2 or _ended(held) or len(held) > HEADER_LIMIT:
            return super().enqueue_req(conn)
        conn.sock.setblocking(False)
        self.reading_headers.setdefault(conn, time.monotonic() + HEADER_TIMEOUT)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_headers, conn))
        return None

    def _read_headers(self, conn, _sock):
        try:
            data = conn.sock.recv(HEADER_LIMIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno not in (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE):
                self.log.debug("Socket error reading request headers: %s", exc)
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        conn.header_bytes = getattr(conn, "header_bytes", b"") + data
        held = self._held(conn)
        if _ended(held) or len(held) > HEADER_LIMIT:
            self.poller.unregister(conn.sock)
            del self.reading_headers[conn]
            conn.data_ready = True  # gthread's handle() must not wait for data it already has
            super().enqueue_req(conn)

    def _drop(self, conn):
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.reading_headers.pop(conn, None)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self.reading_headers.items()):
            if deadline <= now or not self.alive:
                self._drop(conn)

    def handle(self, conn):
        """Runs in a thread: give gunicorn's parser the header bytes the event loop read."""
        held = conn.__dict__.pop("header_bytes", b"")
        if held:
            conn.sock.setblocking(True)
            conn.init()
            buf = conn.parser.unreader.buf
            buf.seek(0, os.SEEK_END)
            buf.write(held)
        return super().handle(conn)
