"""Admin for publication delays: how long the public waits for a faction's or an area's published changes."""

from django.contrib import admin

from ..delay_models import PublicationDelay
from ..permissions import PERM_PUBLISH, is_editor
from ..services.delays import publication_delay_check, publication_delay_save
from .common import ActingUserFormMixin, ServiceCheckedForm


class PublicationDelayForm(ServiceCheckedForm):
    class Meta:
        model = PublicationDelay
        fields = ("faction", "area", "hours", "reason")

    def service_check(self, instance) -> None:
        publication_delay_check(delay=instance)


@admin.register(PublicationDelay)
class PublicationDelayAdmin(ActingUserFormMixin, admin.ModelAdmin):
    form = PublicationDelayForm
    list_display = ("__str__", "faction", "area", "hours", "reason")
    autocomplete_fields = ("faction", "area")

    # Reviewers decide what the public sees, so they set delays; editors may read them.
    def has_view_permission(self, request, obj=None):
        return is_editor(request.user) or request.user.has_perm(PERM_PUBLISH)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return request.user.has_perm(PERM_PUBLISH)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(PERM_PUBLISH)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(PERM_PUBLISH)

    def save_model(self, request, obj, form, change):
        publication_delay_save(delay=obj, by=request.user)
