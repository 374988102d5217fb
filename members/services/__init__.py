"""Writes about people. The contract's names (CONTRACT.md "members") are imported from here."""
from .accounts import issue_reset_code, reset_password
from .age_exceptions import (
    enter_from_age_exception,
    file_age_exception,
    forward_age_exceptions,
    refile_age_exception,
    return_age_exception,
    withdraw_age_exception,
)
from .cases import file_case, mark_verified_by_hand, purge_case_photos, reject_case, untangle
from .editing import correct_identity, end_post, update_profile
from .entry import enter_cadre, enter_member
from .league_approvals import approve_status_change, reject_status_change
from .leaving import change_league_status, leave_league_in_bulk
from .posts import confirm_post, decline_post
from .preferences import set_language, set_reminder_opt_outs
from .restoring import restore_member
from .segments import allocate_segment, change_segment

__all__ = ["enter_member", "enter_cadre", "issue_reset_code", "reset_password", "allocate_segment", "change_segment",
           "update_profile", "correct_identity", "end_post", "change_league_status", "approve_status_change",
           "reject_status_change", "restore_member", "leave_league_in_bulk", "confirm_post", "decline_post",
           "set_language", "set_reminder_opt_outs",
           "file_case", "untangle", "mark_verified_by_hand", "reject_case", "purge_case_photos",
           "file_age_exception", "refile_age_exception",
           "withdraw_age_exception", "forward_age_exceptions", "enter_from_age_exception", "return_age_exception"]
