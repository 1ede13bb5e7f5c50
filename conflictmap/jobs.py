"""Background jobs: the one place that queues long work and says how far it has got.

A task is a function ``task(*, job, progress, **kwargs)`` named by its dotted path. It reports through
``progress(stage, done, total)`` (the services' callback), returns ``(message, report)`` when done, or
raises ``JobFailed(message, report)`` when its work was refused. ``job_start`` records a Job owned by
the user who asked (the task writes as them, so the audit names them, never the worker) and queues it
through django-q2: its queue is the database by default, Redis when REDIS_URL is set; JOBS_SYNC=1 runs
the task before ``job_start`` returns. ``job_status`` is what a page or a poll shows.

Progress goes to the cache (shared by every process: Redis or the shared files), not the job's row:
an import writes in one transaction, so a row updated inside it would be seen only at the end.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from conflictmap.throttles import BuildLimited
from events.job_models import Job
from events.services import jobs as job_rows

logger = logging.getLogger(__name__)

PROGRESS_KEY = "job-progress:{id}"
PROGRESS_TIMEOUT = 6 * 3600
# A job no worker has taken for this long: the page says how to start one.
WAITING_HINT_SECONDS = 30


class JobFailed(Exception):
    """The task's work was refused (bad rows, a clash, an expired file): say why, give the report."""

    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.report = report or {}


def queue_once(lock: str, task: str, *args, task_name: str, hold_seconds: int = 3600) -> None:
    """Queue ``task(*args)`` once however many requests ask: ``lock``, taken in the shared cache, is held until
    the task lets it go (``cache.delete(lock)`` when it ends) or ``hold_seconds`` pass (its worker died). With
    JOBS_SYNC=1 the task runs here. The work kept per data version (``events.queued_files``,
    ``events.factions_figures``) is queued this way.

    A queue out of reach (Redis down) is logged and the lock let go, so the next request tries again: the
    caller answers with what it has, never a 500. A client past its build limit (``BuildLimited``, raised by a
    task run here) is the request's 429, not swallowed.
    """
    if not cache.add(lock, True, hold_seconds):
        return  # queued already
    try:
        async_task(task, *args, sync=settings.JOBS_SYNC, task_name=task_name)
    except BuildLimited:
        raise
    except Exception as exc:
        cache.delete(lock)
        logger.error("%s could not be queued: %s", task_name, exc)


def job_start(*, kind: str, owner, task: str, claim=None, **kwargs) -> Job | None:
    """Record a job for ``owner`` and queue ``task(job=..., progress=..., **kwargs)``.

    Call it outside a transaction: the worker must find the job's row. ``kwargs`` are plain values.
    ``claim(job)``, if given, ties what the job works on to it before it is queued; when it says no
    (another job has it: a double click), nothing is queued and None is returned.
    """
    job = job_rows.job_create(kind=kind, owner=owner)
    if claim is not None and not claim(job):
        job_rows.job_delete(job=job)
        return None
    try:
        task_id = async_task("conflictmap.jobs.job_run", str(job.pk), task, kwargs, task_name=f"{kind}-{job.pk}")
    except Exception as exc:  # the queue is out of reach (Redis down): the job is refused, not a 500
        logger.error("job %s (%s) could not be queued: %s", job.pk, task, exc)
        _finish(
            job.pk,
            Job.State.FAILED,
            "The job could not be queued (the job queue is out of reach); nothing was done. Try again in a minute.",
            {},
        )
    else:
        job_rows.job_queued(job_id=job.pk, task_id=str(task_id or ""))
    job.refresh_from_db()
    return job


def job_run(job_id: str, task: str, kwargs: dict) -> str:
    """The queued entry point (in the worker): run ``task`` once and record how it ended."""
    if not job_rows.job_take(job_id=job_id):  # taken once already (its worker died), or deleted
        logger.warning("job %s was not queued any more; not run again", job_id)
        return "skipped"
    job = Job.objects.select_related("owner").get(pk=job_id)
    progress = Progress(job_id)
    try:
        message, report = import_string(task)(job=job, progress=progress, **kwargs)
    except JobFailed as exc:
        _finish(job_id, Job.State.FAILED, str(exc), exc.report)
        return Job.State.FAILED
    except Exception as exc:
        logger.exception("job %s (%s) stopped on an error", job_id, task)
        _finish(
            job_id,
            Job.State.FAILED,
            f"The job stopped on an unexpected error ({type(exc).__name__}); the server's log has the details.",
            {},
        )
        return Job.State.FAILED
    _finish(job_id, Job.State.DONE, message, report)
    return Job.State.DONE


def _finish(job_id, state: str, message: str, report: dict) -> None:
    job_rows.job_finish(job_id=job_id, state=state, message=message, report=report)
    try:
        cache.delete(PROGRESS_KEY.format(id=job_id))
    except Exception:  # a cache that is down keeps nothing to delete
        pass


class Progress:
    """``progress(stage, done, total)`` for a task: kept in the cache where every process reads it."""

    def __init__(self, job_id):
        self.key = PROGRESS_KEY.format(id=job_id)
        self.failed = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        try:
            cache.set(self.key, {"stage": stage, "done": done, "total": total}, PROGRESS_TIMEOUT)
        except Exception as exc:  # progress is a nicety: the job goes on without it
            if not self.failed:
                logger.warning("job progress not kept (%s): %s", self.key, exc)
            self.failed = True


def job_for(*, pk, user) -> Job:
    """The user's own job; any other (or none) is a 404, so a job's id tells nothing to others."""
    job = Job.objects.filter(pk=pk, owner=user).first()
    if job is None:
        raise Http404("No such job.")
    return _reconciled(job)


def jobs_recent(*, user, kinds: list[str], limit: int = 5) -> list[Job]:
    """The user's latest jobs of these kinds, newest first (a page's "your recent jobs")."""
    return list(Job.objects.filter(owner=user, kind__in=kinds).order_by("-created_at")[:limit])


def _reconciled(job: Job) -> Job:
    """A job whose task the library saw fail (killed, timed out) outside ``job_run`` is failed too."""
    if job.finished or not job.task_id:
        return job
    from django_q.models import Task

    failed = Task.objects.filter(id=job.task_id, success=False).only("result").first()
    if failed is not None:
        _finish(job.pk, Job.State.FAILED, f"The worker stopped before the job ended ({failed.result}).", {})
        job.refresh_from_db()
    return job


def job_status(job: Job) -> dict:
    """What a page shows of a job: its state, progress while it runs, its outcome and report when done."""
    status = {
        "id": str(job.pk),
        "kind": job.kind,
        "state": job.state,
        "state_label": job.get_state_display(),
        "finished": job.finished,
        "message": job.message,
        "stage": "",
        "done": 0,
        "total": 0,
        "waiting_for_worker": False,
        "report": job.result if job.finished else {},
    }
    if job.state == Job.State.QUEUED:
        waited = (timezone.now() - job.created_at).total_seconds()
        status["waiting_for_worker"] = waited > WAITING_HINT_SECONDS
    elif job.state == Job.State.RUNNING:
        try:
            status.update(cache.get(PROGRESS_KEY.format(id=job.pk)) or {})
        except Exception:  # a cache that is down: the page says "running" without the count
            pass
    return status
