"""gunicorn's settings for `make serve` (gunicorn -c conflictmap/gunicorn_conf.py; the command line may override).

Threaded workers whose event loop reads each request's headers before a thread takes it
(conflictmap.serving): clients that send their requests slowly, or never finish them, hold no worker.
WORKERS processes (default two per core plus one) of THREADS threads each (default 4): the threads
serve requests that wait on the database while others compute. Each thread keeps its own database
connection, so PostgreSQL needs WORKERS x THREADS connections (max_connections is 100 by default).
"""

import os
from pathlib import Path

worker_class = "conflictmap.serving.HeaderBufferingThreadWorker"
workers = int(os.environ.get("WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("THREADS") or 4)
bind = [f"127.0.0.1:{os.environ.get('PORT') or 8000}"]
# gunicornc's control socket, one per instance: beside its data, named by its port. gunicorn's default
# (~/.gunicorn/gunicorn.ctl) is one per user: a second `make serve` (or a served test) took it over, so
# gunicornc stopped or resized the wrong server, and the first to stop deleted the other's socket.
control_socket = str(Path(__file__).resolve().parent.parent / "var" / f"gunicorn-{os.environ.get('PORT') or 8000}.ctl")
control_socket_disable = len(control_socket.encode()) > 100  # a Unix socket's path is at most ~107 bytes
accesslog = "-"
# A worker whose event loop has not checked in for this long is restarted. Threads do not stop its loop,
# so unlike the sync worker's, a long request is not cut off at 30 s: it runs to its end in its thread.
timeout = 30
