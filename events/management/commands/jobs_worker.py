"""Run the background job worker: django-q2's cluster, on the queue settings.Q_CLUSTER names."""

import os
import time

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class Command(BaseCommand):
    help = (
        "Run the background job worker (imports) until stopped (SIGTERM or Ctrl-C). With --while-pid it also "
        "stops when that process ends: make serve starts it beside gunicorn so."
    )

    def add_arguments(self, parser):
        parser.add_argument("--while-pid", type=int, help="stop when the process with this id has ended")

    def handle(self, *args, while_pid=None, **options):
        cluster = Cluster()  # stops itself on SIGTERM and SIGINT
        cluster.start()
        try:
            while cluster.sentinel.is_alive():
                if while_pid and not _alive(while_pid):
                    cluster.stop()
                    break
                time.sleep(1)
        except KeyboardInterrupt:
            cluster.stop()
