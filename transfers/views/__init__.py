"""Pages of the transfer workflow. Thin: scoped look-ups through selectors, writes through services."""
from .batch import batch
from .desk import member_search, transfer_in_view, transfer_out_view
from .history import history_export, history_view
from .inbox import approve_view, assign_view, escalations_view, inbox, reject_view
from .member import apply, detail, mine, org_search, withdraw_view
from .merging import merge
from .message_center import message_center

__all__ = ["apply", "org_search", "mine", "detail", "withdraw_view", "transfer_in_view", "transfer_out_view", "member_search",
           "inbox", "approve_view", "reject_view", "assign_view", "escalations_view", "history_view",
           "history_export", "batch", "message_center", "merge"]
