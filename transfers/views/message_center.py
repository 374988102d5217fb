"""The message center (消息中心): the reader's messages, newest first; opening it reads them."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.selectors import pending_posts

from ..selectors import messages_of
from ..services.messages import mark_messages_read

PER_PAGE = 50


@require_GET
@login_required
def message_center(request):
    page = Paginator(messages_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page)  # read before marking, so the page can show which were new
    mark_messages_read(actor=request.user)
    return render(request, "transfers/messages.html", {"page": page, "rows": rows,
                                                       "pending_posts": list(pending_posts(request.user))})
