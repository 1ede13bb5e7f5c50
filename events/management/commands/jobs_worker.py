"""Run the background job worker: django-q2's cluster, on the queue settings.Q_CLUSTER names."""

import os
import signal
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; an ended process nobody has reaped yet (a zombie) has ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc: as kill said
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class Command(BaseCommand):
    help = (
        "Run the background job worker (imports) until stopped (SIGTERM or Ctrl-C). With --while-pid it also "
        "stops when that process ends: make serve starts it beside gunicorn so."
    )

    def add_arguments(self, parser):
        parser.add_argument("--while-pid", type=int, help="stop when the process with this id has ended")

    def handle(self, *args, while_pid: int | None = None, **options) -> None:
        cluster = Cluster()
        # The cluster's own handlers stop it from inside the signal handler, which hangs when the signal
        # went to the whole process group (kill -- -PGID, a service manager): its sentinel dies of the
        # same SIGTERM, maybe holding the lock the stop needs. Here a signal is noted, and the loop stops
        # a cluster that is still alive, or leaves one that died with its group.
        stopping: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda signum, frame: stopping.append(signum))
        cluster.start()
        while cluster.sentinel.is_alive():
            if stopping or (while_pid and not _alive(while_pid)):
                time.sleep(0.2)  # a group's signal reaches the sentinel too: let it die first
                if cluster.sentinel.is_alive():
                    cluster.stop()
                break
            time.sleep(0.5)
