"""Writes of recruitment (issue 16, docs/recruitment-rules.md). Each: permission (R-REC-1), one transaction, the
branch held and the application locked and re-read (R-REC-14), a timeline row and an audit event (R-REC-12)."""
from .applying import apply_to_join, close_application
from .oath import take_oath
from .reversal import reverse_change
from .stages import (
    approve_admission,
    approve_prereview,
    choose_activist,
    propose_candidate,
    record_meeting,
    record_training,
    return_admission,
    return_prereview,
    start_notice,
)

__all__ = ["apply_to_join", "close_application", "choose_activist", "record_training", "propose_candidate",
           "approve_prereview", "return_prereview", "start_notice", "record_meeting", "approve_admission",
           "return_admission", "take_oath", "reverse_change"]
