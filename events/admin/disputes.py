"""Admin for disputed claims: the disputes listed and looked at; a reviewer decides one on its own page
(which claim is in force, and why), through ``services.dispute_decide``. Editors open one by hand from
the control changes' list (two selected changes)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from geodata.admin import AuditedAdmin, ViewOnlyAdminMixin

from .. import permissions, services
from ..models import Dispute
from .common import AdminCss


class DecisionForm(forms.Form):
    in_force = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Claim in force")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        max_length=5000,
        label="Reason (shown with the dispute on the town's page)",
    )

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        in_force = self.fields["in_force"]
        assert isinstance(in_force, forms.ChoiceField)  # the form's own field
        in_force.choices = [
            (
                c.pk,
                f"#{c.pk}: {c.faction} ({c.get_status_display().lower()}), {c.date_label}, "
                f"cited: {'; '.join(str(s) for s in c.sources.all()) or 'no source'}",
            )
            for c in dispute.claims
        ]
        if dispute.decided_for_id:
            self.initial.setdefault("in_force", dispute.decided_for_id)


@admin.register(Dispute)
class DisputeAdmin(ViewOnlyAdminMixin, AuditedAdmin):
    list_display = ("__str__", "town", "automatic", "opened_at", "decision", "decided_at")
    list_filter = ("automatic", ("decided_for", admin.EmptyFieldListFilter))
    list_select_related = ("town", "decided_for__faction")
    search_fields = ("town__name", "town__slug")
    readonly_fields = (
        "town",
        "claim",
        "rival",
        "automatic",
        "opened_by",
        "opened_at",
        "decided_for",
        "reason",
        "decided_by",
        "decided_at",
        "decide_link",
    )
    Media = AdminCss

    @admin.display(description="decision")
    def decision(self, obj):
        return f"for {obj.decided_for.faction} (#{obj.decided_for_id})" if obj.decided_for_id else "undecided"

    @admin.display(description="decide")
    def decide_link(self, obj):
        return format_html(
            '<a href="{}">decide which claim is in force</a>', reverse("admin:events_dispute_decide", args=[obj.pk])
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(permissions.PERM_CHANGE) or super().has_view_permission(request, obj)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="events_dispute_decide"), *super().get_urls()]

    def decide_view(self, request, pk: int):
        if not request.user.has_perm(permissions.PERM_PUBLISH):
            raise PermissionDenied
        dispute = get_object_or_404(Dispute.objects.select_related("claim__faction", "rival__faction"), pk=pk)
        form = DecisionForm(request.POST or None, dispute=dispute)
        if request.method == "POST" and form.is_valid():
            try:
                services.dispute_decide(dispute=dispute, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(request, f"Decided {dispute}.", messages.SUCCESS)
                return redirect("admin:events_dispute_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Decide {dispute}",
            "dispute": dispute,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/events/dispute/decide.html", context)
