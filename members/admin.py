from django.contrib import admin

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-only for operators: people change through services (STYLE.md rule 1); ID numbers masked."""
    list_display = ("name", "masked_id_number", "verification_status", "is_active")
    search_fields = ("name",)
    fields = ("name", "masked_id_number", "birth_date", "gender", "joined_on", "verification_status")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
