"""The admin's CSV import: upload → a preview of each row's effect → confirm, each step a background job.

The uploaded file waits on the server (events.import_uploads), owned by the uploader; the session
keeps nothing of it and the confirm form carries only its random id. The upload queues a check job
(conflictmap.jobs) whose page shows its progress, then the preview and the confirm button; the
confirm queues the import job, which checks the file again (the data may have changed meanwhile) and
writes every row or none, as the user who confirmed. A refused file's page lists every bad row.
"""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from conflictmap import jobs
from geodata.models import Theatre
from geodata.theatres import theatre_named

from . import permissions
from .csv_files import csv_decode
from .services import control_changes_create_allowed
from .services.import_uploads import UploadNotKept, import_upload_claim, import_upload_for, import_upload_store

MAX_BYTES = 20 * 1024 * 1024
CHECK_KIND, CHECK_TASK = "import-check", "events.services.import_uploads.changes_import_check_job"
IMPORT_KIND, IMPORT_TASK = "import", "events.services.import_uploads.changes_import_job"
TEMPLATES = "admin/events/controlchange/"
UPLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # events.job_models.upload_id: secrets.token_urlsafe


class UploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV; see seeds/examples/changes.csv for the columns.")
    publish = forms.BooleanField(required=False, help_text="Publish at once (reviewers only); else drafts.")
    theatre = forms.ModelChoiceField(
        queryset=Theatre.objects.order_by("name"),
        to_field_name="slug",
        help_text="The conflict whose towns the rows name; a town of another theatre is a bad row.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if Theatre.objects.count() < 2:  # one theatre: the rows name its towns, nothing to ask
            del self.fields["theatre"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
        text, errors = csv_decode(data=upload.read())
        if errors:
            raise ValidationError(f"Line {errors[0].line}: {errors[0].reason}.")
        return text


def import_urls(model_admin) -> list:
    """The import's pages under the change list's URL, each behind the admin's sign-in."""
    site = model_admin.admin_site
    return [
        path("import/", site.admin_view(import_view(model_admin)), name="events_controlchange_import"),
        path(
            "import/jobs/<uuid:job_id>/", site.admin_view(job_view(model_admin)), name="events_controlchange_import_job"
        ),
        path(
            "import/jobs/<uuid:job_id>/status.json",
            site.admin_view(job_status_view),
            name="events_controlchange_import_job_status",
        ),
    ]


def _context(request, model_admin, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "can_publish": request.user.has_perm(permissions.PERM_PUBLISH),
    }


def import_view(model_admin):
    def view(request):
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        context = _context(request, model_admin, "Import control changes from CSV")
        if request.method == "POST" and "token" in request.POST:
            return _confirm(request, model_admin)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            publish = form.cleaned_data["publish"]
            try:  # before the file is checked
                control_changes_create_allowed(by=request.user, publish=publish)
            except PermissionDenied as exc:
                hint = " Untick “publish” to enter drafts for a reviewer." if publish else ""
                form.add_error(None, f"{exc}{hint}")
                context["form"] = form
                return TemplateResponse(request, TEMPLATES + "import_form.html", context, status=403)
            name, text = request.FILES["file"].name, form.cleaned_data["file"]
            theatre = form.cleaned_data.get("theatre") or theatre_named(None)  # the only one, as import_changes
            try:
                upload = import_upload_store(owner=request.user, name=name, text=text, publish=publish, theatre=theatre)
            except UploadNotKept as exc:
                form.add_error("file", str(exc))
                context["form"] = form
                return TemplateResponse(request, TEMPLATES + "import_form.html", context, status=507)
            # The check of a large file outlasts a request (200,000 rows: 18-30 s): it is a job too.
            job = jobs.job_start(kind=CHECK_KIND, owner=request.user, task=CHECK_TASK, upload_id=upload.pk)
            return redirect("admin:events_controlchange_import_job", job_id=job.pk)
        context.update(form=form, recent=jobs.jobs_recent(user=request.user, kinds=[CHECK_KIND, IMPORT_KIND]))
        return TemplateResponse(request, TEMPLATES + "import_form.html", context)

    return view


def _confirm(request, model_admin):
    token = request.POST["token"]
    # Only an id as uploads are named can be one: a NUL was a 500 on PostgreSQL, which cannot compare it.
    well_formed = UPLOAD_TOKEN.fullmatch(token) is not None
    upload = import_upload_for(pk=token, user=request.user) if well_formed else None  # another user's: 404
    if upload is None:
        model_admin.message_user(
            request, "That import has expired or was already done; upload it again.", messages.ERROR
        )
        return redirect("admin:events_controlchange_import")
    if upload.job is not None and upload.job.state != upload.job.State.FAILED:  # confirmed twice: the first job
        return redirect("admin:events_controlchange_import_job", job_id=upload.job_id)
    job = jobs.job_start(
        kind=IMPORT_KIND,
        owner=request.user,
        task=IMPORT_TASK,
        upload_id=upload.pk,
        claim=lambda job: import_upload_claim(upload=upload, job=job),
    )
    if job is None:  # a confirm a moment before this one took it
        return _confirm(request, model_admin)
    return redirect("admin:events_controlchange_import_job", job_id=job.pk)


def job_view(model_admin):
    def view(request, job_id):
        job = jobs.job_for(pk=job_id, user=request.user)
        status = jobs.job_status(job)
        context = _context(request, model_admin, "Import control changes from CSV")
        context.update(job=job, status=status, report=status["report"])
        if job.kind == CHECK_KIND and job.state == job.State.DONE:  # the preview, with the confirm
            context["token"] = status["report"]["upload"]
            return TemplateResponse(request, TEMPLATES + "import_preview.html", context)
        return TemplateResponse(request, TEMPLATES + "import_job.html", context)

    return view


def job_status_view(request, job_id):
    """The job's state and progress as JSON, for a script or a page that polls."""
    return JsonResponse(jobs.job_status(jobs.job_for(pk=job_id, user=request.user)))
