"""The admin import's files, kept on the server between upload and confirm, and its two jobs (check, import).

A file waits under IMPORT_UPLOAD_DIR, named by a random id, owned by the user who uploaded it (others
get a 404), and goes when its import job ends or after an hour: every new upload and
``manage.py prune_import_uploads`` sweep the old ones. The session keeps nothing of it: six previews
of a 3 MB file made an 18 MB session row. A user keeps a few at a time (two tabs), not a disk's worth.
"""

import datetime as dt
import errno
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from conflictmap.jobs import JobFailed
from geodata.models import Theatre

from ..csv_files import RowError
from ..imports import ImportRejected, changes_import_check, changes_import_commit
from ..job_models import ImportUpload, Job

MAX_AGE = dt.timedelta(hours=1)
KEPT_PER_USER = 3
# The report keeps this many bad rows; the count says how many there were. The preview shows the first rows.
REPORT_ROWS = 1000
PREVIEW_ROWS = 500
COMPARING = "comparing with the stored changes"


class UploadNotKept(Exception):
    """The server could not keep the file (a full disk, a missing folder); the message says which."""


def _path(upload_id: str) -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR) / f"{upload_id}.csv"


def import_upload_store(*, owner, name: str, text: str, publish: bool, theatre: Theatre | None = None) -> ImportUpload:
    """Keep a checked file for its owner's confirm; the owner's oldest beyond KEPT_PER_USER go.

    ``theatre``: the theatre whose towns the rows name (None: every theatre's, as before theatres).
    """
    import_uploads_prune()
    upload = ImportUpload(owner=owner, name=name[:255], publish=publish, theatre=theatre)
    data = text.encode()
    upload.size = len(data)
    path = _path(upload.pk)
    part = path.with_suffix(".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise UploadNotKept(
                "The server's disk is full, so the file could not be kept for the import; "
                "ask the operator to free space."
            ) from exc
        raise UploadNotKept(f"The server could not keep the file for the import ({exc.strerror}).") from exc
    upload.save()
    older = ImportUpload.objects.filter(owner=owner, job__isnull=True).order_by("-created_at")[KEPT_PER_USER:]
    for old in list(older):
        import_upload_delete(upload=old)
    return upload


def import_upload_for(*, pk: str, user) -> ImportUpload | None:
    """The user's waiting file, or None when it has expired or was imported; another's is a 404."""
    upload = ImportUpload.objects.filter(pk=pk).first()
    if upload is None:
        return None
    if upload.owner_id != user.pk:
        raise Http404("No such upload.")
    if upload.created_at < timezone.now() - MAX_AGE or not _path(upload.pk).exists():
        if upload.job_id is None:
            import_upload_delete(upload=upload)
            return None
    return upload


def import_upload_claim(*, upload: ImportUpload, job: Job) -> bool:
    """Tie the file to its import job, once: a second confirm (a double click) finds the first job.

    A job that failed before it ran (the queue was out of reach) lets go: the import ends by deleting
    the file, so a file still here with a failed job was never imported, and may be confirmed again.
    """
    free = Q(job__isnull=True) | Q(job__state=Job.State.FAILED)
    return bool(ImportUpload.objects.filter(free, pk=upload.pk).update(job=job))


def import_upload_delete(*, upload: ImportUpload) -> None:
    _path(upload.pk).unlink(missing_ok=True)
    ImportUpload.objects.filter(pk=upload.pk).delete()


def import_uploads_prune(*, now: dt.datetime | None = None) -> int:
    """Remove the files older than MAX_AGE (and any file left without its row); how many went.

    A file whose import job is still queued or running stays, however old: the job reads it.
    """
    cutoff = (now or timezone.now()) - MAX_AGE
    busy = ImportUpload.objects.filter(job__state__in=[Job.State.QUEUED, Job.State.RUNNING])
    old = list(ImportUpload.objects.filter(created_at__lt=cutoff).exclude(pk__in=busy.values("pk"))
               .values_list("pk", flat=True))
    for pk in old:
        _path(pk).unlink(missing_ok=True)
    ImportUpload.objects.filter(pk__in=old).delete()
    removed = len(old)
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    if folder.is_dir():
        kept = set(ImportUpload.objects.values_list("pk", flat=True))
        for path in folder.iterdir():
            if path.suffix not in (".csv", ".part") or path.stem in kept:
                continue
            try:
                if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                pass
    return removed


def changes_import_check_job(*, job: Job, progress, upload_id: str) -> tuple[str, dict]:
    """The preview job: what each row of the kept file would do; a refused file goes at once."""
    upload = ImportUpload.objects.filter(pk=upload_id, owner=job.owner).first()
    if upload is None:
        raise JobFailed("The uploaded file has expired; upload it again.")
    progress("reading", 0, upload.size)
    try:
        text = _path(upload.pk).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JobFailed("The uploaded file is no longer on the server; upload it again.") from None
    plan = changes_import_check(
        text=text, publish=upload.publish, progress=_after_rows(progress), theatre=upload.theatre
    )
    del text
    if not plan.ok:
        import_upload_delete(upload=upload)
        errors = plan.errors or [RowError(0, "-", "The file has no rows.")]
        raise JobFailed(
            f"{upload.name}: {len(errors)} problem(s). Nothing was written; fix the file and upload it again.",
            _report(upload, errors),
        )
    return (
        f"{upload.name}: {len(plan.rows)} good row(s).",
        {
            "name": upload.name,
            "upload": upload.pk,
            "publish": plan.publish,
            "theatre": _theatre_words(upload),
            "rows": len(plan.rows),
            "new_sources": plan.new_sources,
            "preview": [[row.line, row.effect] for row in plan.rows[:PREVIEW_ROWS]],
        },
    )


def changes_import_job(*, job: Job, progress, upload_id: str) -> tuple[str, dict]:
    """The import job: check the kept file again (the data may have changed), then write it all or nothing.

    The same check and write as the command line's import, as the job's owner; the file goes either way.
    """
    upload = ImportUpload.objects.filter(pk=upload_id, owner=job.owner).first()
    if upload is None:
        raise JobFailed("The uploaded file has expired or was already imported; nothing was written. Upload it again.")
    try:
        progress("reading", 0, upload.size)
        try:
            text = _path(upload.pk).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise JobFailed(
                "The uploaded file is no longer on the server; nothing was written. Upload it again."
            ) from None
        plan = changes_import_check(
            text=text, publish=upload.publish, progress=_after_rows(progress), theatre=upload.theatre
        )
        del text
        try:
            progress(COMPARING, len(plan.rows), len(plan.rows))  # the write checks the clashes again first
            created = changes_import_commit(plan=plan, by=job.owner, progress=progress)
        except (ImportRejected, PermissionDenied) as exc:  # the data (or the user's roles) changed since
            errors = exc.errors if isinstance(exc, ImportRejected) else [RowError(0, "-", str(exc))]
            raise JobFailed(
                f"{upload.name}: {len(errors)} problem(s); nothing was written. Fix the file and upload it again.",
                _report(upload, errors),
            ) from None
    finally:
        import_upload_delete(upload=upload)
    state = "published" if upload.publish else "drafts awaiting review"
    return (
        f"Imported {len(created)} control change(s) from {upload.name} as {state}.",
        {"name": upload.name, "created": len(created), "publish": upload.publish},
    )


def _after_rows(progress):
    """The check's progress, naming the step after its last row: the rules and clashes of all rows at once
    (a quarter of a 200,000-row file's check), so the page does not sit at "200000 of 200000" unexplained."""

    def report(stage: str, done: int, total: int) -> None:
        progress(COMPARING if stage == "checking" and done == total else stage, done, total)

    return report


def _theatre_words(upload: ImportUpload) -> str:
    return f"{upload.theatre.name} ({upload.theatre.slug})" if upload.theatre is not None else ""


def _report(upload: ImportUpload, errors: list[RowError]) -> dict:
    return {
        "name": upload.name,
        "publish": upload.publish,
        "theatre": _theatre_words(upload),
        "error_count": len(errors),
        "errors": [[e.line, e.column, e.reason] for e in errors[:REPORT_ROWS]],
    }
