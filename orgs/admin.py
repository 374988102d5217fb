from django.contrib import admin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Read-only for operators: organizations change through services (STYLE.md rule 1)."""
    list_display = ("full_name", "org_type", "region_code", "is_active")
    list_filter = ("org_type", "is_active", "region_code")
    search_fields = ("full_name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
