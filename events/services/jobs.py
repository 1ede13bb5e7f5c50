"""The background jobs' rows (events.job_models.Job); conflictmap.jobs queues them and reads them."""

from django.utils import timezone

from ..job_models import Job


def job_create(*, kind: str, owner) -> Job:
    return Job.objects.create(kind=kind, owner=owner)


def job_take(*, job_id) -> bool:
    """Mark a queued job running, once. A job already running was handed out again after its worker
    died: it is failed (what it had not committed was rolled back), not run twice."""
    now = timezone.now()
    if Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(state=Job.State.RUNNING, started_at=now):
        return True
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        state=Job.State.FAILED,
        finished_at=now,
        message="The worker stopped while running this job; what it had not committed was not kept.",
    )
    return False


def job_finish(*, job_id, state: str, message: str, report: dict) -> None:
    Job.objects.filter(pk=job_id).update(state=state, message=message, result=report, finished_at=timezone.now())


def job_queued(*, job_id, task_id: str) -> None:
    Job.objects.filter(pk=job_id).update(task_id=task_id)


def job_delete(*, job: Job) -> None:
    Job.objects.filter(pk=job.pk).delete()
