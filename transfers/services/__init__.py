"""Writes of the transfer workflow. The contract's names (CONTRACT.md "transfers") are imported from here."""
from .batch import batch_transfer
from .decide import approve, assign_branch, reject, withdraw
from .start import apply_for_transfer, transfer_in, transfer_out
from .sweep import auto_approve_due

__all__ = ["apply_for_transfer", "transfer_in", "transfer_out", "batch_transfer", "approve", "reject",
           "assign_branch", "withdraw", "auto_approve_due"]
