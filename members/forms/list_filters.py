"""Reading the people lists' filters from the URL: the list pages and their exports share them, so an
export always holds exactly the rows the page shows."""
from config.forms import search_text

from ..choices import Verification


def flag(request, name: str) -> bool:
    return request.GET.get(name, "") in ("1", "on", "true")


def int_param(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def list_filters(request) -> dict:
    unverified = request.GET.get("unverified", "")
    return {
        "query": search_text(request.GET),  # STYLE 11: cleaned at the edge
        "incomplete": flag(request, "incomplete"),
        "unverified": unverified if unverified in (Verification.PENDING, Verification.FAILED) else "",
        "dev_issue": flag(request, "dev_issue"),
    }
