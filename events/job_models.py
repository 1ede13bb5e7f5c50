"""Background jobs and the admin import's uploaded files (conflictmap.jobs, events.import_uploads).

A Job is a row per piece of long work (an import now; releases and timelapses later): who ran it,
its state, its one-line outcome and its report. Its live progress goes to the cache, not the row:
an import writes in one transaction, and a progress row updated inside it would not be seen.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "waiting for a worker"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    # Who asked for the work: what it writes is audited as theirs, and only they see the job.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)  # the task library's id
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "created_at"], name="job_owner_created")]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


def upload_id() -> str:
    return secrets.token_urlsafe(16)


class ImportUpload(models.Model):
    """A checked CSV waiting for its owner's confirm; its text is a file under IMPORT_UPLOAD_DIR."""

    id = models.CharField(primary_key=True, max_length=32, default=upload_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    publish = models.BooleanField(default=False)
    size = models.PositiveBigIntegerField(default=0)
    # The theatre whose towns the rows name (the import's --theatre); chosen on upload.
    theatre = models.ForeignKey("geodata.Theatre", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The import job that took it (set once, on confirm).
    job = models.OneToOneField(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"
