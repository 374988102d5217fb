"""Exports (issue 5, issue 14): the kinds (kinds.py), the workbook (workbook.py), and the export jobs that build a
large one in a task (jobs.py)."""
