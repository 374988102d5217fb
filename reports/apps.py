from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计报表"

    def ready(self):
        from .exporting import register_report_exports  # issue 14: the audit, roster and graduates exports as jobs
        register_report_exports()
