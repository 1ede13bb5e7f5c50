"""Citable releases in the admin: the list, and the button that makes one as a background job."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from conflictmap import jobs
from geodata.models import Theatre

from ..release_models import Release

KIND, TASK = "release", "events.services.releases.release_job"
PERM_MAKE = "events.add_release"
TEMPLATES = "admin/events/release/"


class ReleaseForm(forms.Form):
    theatre = forms.ModelChoiceField(queryset=Theatre.objects.order_by("name"), to_field_name="slug")
    date = forms.DateField(
        required=False,
        help_text="The day whose layers the release holds (default: today).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_date(self):
        on = self.cleaned_data.get("date")
        if on is not None and on > timezone.localdate():
            raise forms.ValidationError(f"{on} is in the future: control then is not known.")
        return on


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["theatre", "number", "date", "moment", "changes", "files"]
    list_filter = ["theatre"]
    ordering = ["theatre__name", "-number"]

    @admin.display(description="changes")
    def changes(self, release: Release):
        return release.counts.get("changes")

    @admin.display(description="files")
    def files(self, release: Release):
        return format_html(
            '<a href="{}">{}</a>', reverse("release-detail", args=[release.theatre.slug, release.number]), "files"
        )

    # A release's files never change: its row is neither edited nor deleted here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "can_make_release": request.user.has_perm(PERM_MAKE)}
        return super().changelist_view(request, extra)

    def get_urls(self):
        site = self.admin_site
        return [
            path("make/", site.admin_view(self.make_view), name="events_release_make"),
            path("jobs/<uuid:job_id>/", site.admin_view(self.job_view), name="events_release_job"),
            *super().get_urls(),
        ]

    def _context(self, request, title: str) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def make_view(self, request):
        if not request.user.has_perm(PERM_MAKE):
            raise PermissionDenied
        form = ReleaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            on = form.cleaned_data["date"]
            job = jobs.job_start(
                kind=KIND,
                owner=request.user,
                task=TASK,
                theatre=form.cleaned_data["theatre"].slug,
                date=on.isoformat() if on else None,
            )
            return redirect("admin:events_release_job", job_id=job.pk)
        context = self._context(request, "Make a release")
        context.update(form=form, recent=jobs.jobs_recent(user=request.user, kinds=[KIND]))
        return TemplateResponse(request, TEMPLATES + "make.html", context, status=400 if form.errors else 200)

    def job_view(self, request, job_id):
        job = jobs.job_for(pk=job_id, user=request.user)
        status = jobs.job_status(job)
        context = self._context(request, "Make a release")
        context.update(job=job, status=status, report=status["report"])
        return TemplateResponse(request, TEMPLATES + "job.html", context)
