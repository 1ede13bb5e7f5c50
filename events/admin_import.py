"""The admin's CSV import: upload → a preview of each row's effect → confirm.

The uploaded text waits in the session between preview and confirm, and is checked again on
confirm (the data may have changed meanwhile); nothing is written until every row is good.
"""

import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import permissions
from .csv_files import RowError, csv_decode
from .imports import ImportPlan, ImportRejected, changes_import_check, changes_import_commit
from .services import control_changes_create_allowed

SESSION_KEY = "events-import:{token}"
MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 500


class UploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV; see seeds/examples/changes.csv for the columns.")
    publish = forms.BooleanField(required=False, help_text="Publish at once (reviewers only); else drafts.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
        text, errors = csv_decode(data=upload.read())
        if errors:
            raise ValidationError(f"Line {errors[0].line}: {errors[0].reason}.")
        return text


def import_view(model_admin):
    def view(request):
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        can_publish = request.user.has_perm(permissions.PERM_PUBLISH)
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": "Import control changes from CSV",
            "can_publish": can_publish,
        }
        if request.method == "POST" and "token" in request.POST:
            return _confirm(request, model_admin, context)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            publish = form.cleaned_data["publish"]
            try:  # before the file is checked
                control_changes_create_allowed(by=request.user, publish=publish)
            except PermissionDenied as exc:
                hint = " Untick “publish” to enter drafts for a reviewer." if publish else ""
                form.add_error(None, f"{exc}{hint}")
                context["form"] = form
                return TemplateResponse(request, "admin/events/controlchange/import_form.html", context, status=403)
            text = form.cleaned_data["file"]
            plan = changes_import_check(text=text, publish=publish)
            context.update(plan=plan, preview=plan.rows[:PREVIEW_ROWS], name=request.FILES["file"].name)
            if plan.ok:
                token = secrets.token_urlsafe(16)
                request.session[SESSION_KEY.format(token=token)] = {"text": text, "publish": publish}
                context["token"] = token
            return TemplateResponse(request, "admin/events/controlchange/import_preview.html", context)
        context["form"] = form
        return TemplateResponse(request, "admin/events/controlchange/import_form.html", context)

    return view


def _confirm(request, model_admin, context):
    stored = request.session.pop(SESSION_KEY.format(token=request.POST["token"]), None)
    if stored is None:
        model_admin.message_user(request, "That import has expired or was already done; upload it again.",
                                 messages.ERROR)
        return redirect("admin:events_controlchange_import")
    plan = changes_import_check(text=stored["text"], publish=stored["publish"])
    try:
        created = changes_import_commit(plan=plan, by=request.user)
    except (ImportRejected, PermissionDenied) as exc:  # the data (or the user's roles) changed since the preview
        errors = exc.errors if isinstance(exc, ImportRejected) else [RowError(0, "-", str(exc))]
        context.update(plan=ImportPlan(errors=errors), preview=[], name="the confirmed file")
        return TemplateResponse(request, "admin/events/controlchange/import_preview.html", context, status=400)
    state = "published" if stored["publish"] else "drafts awaiting review"
    model_admin.message_user(request, f"Imported {len(created)} control change(s) as {state}.", messages.SUCCESS)
    return redirect(reverse("admin:events_controlchange_changelist"))
